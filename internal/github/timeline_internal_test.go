package github

import (
	"reflect"
	"testing"

	"github.com/modelpromote/modelpromote/internal/plan"
)

func TestCoAuthors(t *testing.T) {
	for _, tc := range []struct {
		message string
		want    []plan.CoAuthor
	}{
		{"Promote 13", nil},
		{"Promote 13\n\nCo-authored-by: Bob Lee <bob@acme.example>\nco-authored-by: Gina <1234+gina@users.noreply.github.com>\n",
			[]plan.CoAuthor{{Name: "Bob Lee", Email: "bob@acme.example"}, {Name: "Gina", Email: "1234+gina@users.noreply.github.com"}}},
		{"x\n\nCo-authored-by: just a name", []plan.CoAuthor{{Name: "just a name"}}},
		{"not a trailer: Co-authored-by: Bob <bob@acme.example>", nil},
	} {
		if got := CoAuthors(tc.message); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("CoAuthors(%q) = %+v, want %+v", tc.message, got, tc.want)
		}
	}
}

func TestCoAuthorLogin(t *testing.T) {
	known := map[string]string{"bob@acme.example": "bob"}
	for _, tc := range []struct{ email, want string }{
		{"1234+gina@users.noreply.github.com", "gina"},
		{"gina@users.noreply.github.com", "gina"},
		{"Bob@Acme.example", "bob"},
		{"mallory@elsewhere.example", ""},
		{"gina@users.noreply.github.com.evil.example", ""},
	} {
		if got := coAuthorLogin(tc.email, known); got != tc.want {
			t.Errorf("coAuthorLogin(%q) = %q, want %q", tc.email, got, tc.want)
		}
	}
}
