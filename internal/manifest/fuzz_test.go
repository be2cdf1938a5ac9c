package manifest

import (
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F) {
	f.Helper()
	for _, pattern := range []string{"testdata/malformed/*.yaml", "../../promotions/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// checkInvariants holds for any input: a file either decodes or has
// problems, and every problem names the file and a sane position.
func checkInvariants(t *testing.T, decoded bool, ps Problems) {
	if !decoded && len(ps) == 0 {
		t.Fatal("not decoded, yet no problem reported")
	}
	for _, p := range ps {
		if p.File != "f.yaml" || p.Line < 0 || p.Col < 0 || p.Message == "" {
			t.Fatalf("malformed problem %+v", p)
		}
	}
}

func FuzzParseModel(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, ps := ParseModel("f.yaml", data)
		checkInvariants(t, doc != nil, ps)
		if doc != nil && len(ps) == 0 {
			for name, s := range doc.Stages {
				if s.Version < 1 || !ValidEndpointName(s.Endpoint.Name) {
					t.Fatalf("valid model with invalid stage %s: %+v", name, s)
				}
			}
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, ps := ParseConfig("f.yaml", data)
		checkInvariants(t, doc != nil, ps)
		if doc != nil && len(ps) == 0 {
			for _, e := range doc.Environments {
				if !accountRE.MatchString(e.Account) {
					t.Fatalf("valid config with account %q", e.Account)
				}
			}
		}
	})
}
