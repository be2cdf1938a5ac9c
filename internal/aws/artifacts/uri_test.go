package artifacts

import (
	"strings"
	"testing"
)

// Keys are copied under a target prefix; a hostile package must not name
// objects that could climb out of it or be ambiguous.
func TestParseURIRefusesHostileKeys(t *testing.T) {
	cases := map[string]string{
		"s3://bucket/../etc/passwd":         "segment",
		"s3://bucket/a/../../b":             "segment",
		"s3://bucket/a/./b":                 "segment",
		"s3://bucket//leading":              "segment",
		"s3://bucket/dir/":                  "names no object",
		"s3://bucket":                       "names no object",
		"s3://Bad_Bucket/key":               "not a valid bucket name",
		"https://bucket.s3.amazonaws.com/k": "not an s3:// URI",
		"s3://bucket/a\nb":                  "control characters",
	}
	for uri, want := range cases {
		if _, err := ParseURI(uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURI(%q) = %v, want an error containing %q", uri, err, want)
		}
	}
	u, err := ParseURI("s3://bucket/models/fraud detector+v1/model.tar.gz")
	if err != nil || u.Key != "models/fraud detector+v1/model.tar.gz" {
		t.Errorf("a legitimate key with spaces and + was refused: %v", err)
	}
}
