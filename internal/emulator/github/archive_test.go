package ghemu_test

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// readTarball downloads a codeload link and returns the files below the
// archive's top directory, and the pax global header's comment.
func readTarball(t *testing.T, link string) (map[string]string, string) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", link, resp.Status)
	}
	gz, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	comment := ""
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, comment
		}
		if err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			comment = h.PAXRecords["comment"]
		case tar.TypeReg:
			top, p, _ := strings.Cut(h.Name, "/")
			if !strings.HasPrefix(top, "acme-models-") {
				t.Errorf("%s is not below the OWNER-REPO-SHA directory", h.Name)
			}
			b, _ := io.ReadAll(tr)
			files[p] = string(b)
		}
	}
}

// The tarball link answers 302 to codeload with a token; the archive holds
// the commit's files under OWNER-REPO-SHORTSHA/ and names the commit in its
// pax header, as `git archive` writes it. A wrong token gets 404.
func TestTarballArchiveOfACommit(t *testing.T) {
	f := newFixture(t)
	link, resp, err := f.bot.Repositories.GetArchiveLink(ctx, "acme", "models", github.Tarball, &github.RepositoryContentGetOptions{Ref: f.mainSHA}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusFound || link.Query().Get("token") == "" {
		t.Fatalf("%d %s: want 302 to a link with a token", resp.StatusCode, link)
	}
	files, comment := readTarball(t, link.String())
	if comment != f.mainSHA {
		t.Errorf("pax comment %q, want the commit %s", comment, f.mainSHA)
	}
	if len(files) != 8 || files["promotions/fraud.yaml"] != "model: fraud\nstage: prod\nversion: 7\n" || files["policy/nested/deep/x.yaml"] != "x: 1\n" {
		t.Errorf("archive files %v", files)
	}
	// A branch name resolves too.
	if _, _, err := f.bot.Repositories.GetArchiveLink(ctx, "acme", "models", github.Tarball, &github.RepositoryContentGetOptions{Ref: "main"}, 1); err != nil {
		t.Error(err)
	}
	q := link.Query()
	q.Set("token", "forged")
	link.RawQuery = q.Encode()
	if r, err := http.Get(link.String()); err != nil || r.StatusCode != http.StatusNotFound {
		t.Errorf("forged token: %v %v, want 404", r.Status, err)
	}
}

// curl, following the redirect as a person would, gets a tarball tar reads.
func TestTarballArchiveWithCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	f := newFixture(t)
	token, err := f.e.InstallationToken(f.inst)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", `curl -sfL -H "Authorization: Bearer `+token+`" "`+f.e.URL()+`repos/acme/models/tarball/main" | tar tzf -`).CombinedOutput()
	if err != nil {
		t.Fatalf("curl | tar: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "/promotions/churn.yaml") {
		t.Errorf("tar lists:\n%s", out)
	}
}
