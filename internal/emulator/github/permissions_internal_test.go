package ghemu

import (
	"net/http"
	"testing"
)

// TestEveryWriteNamesItsPermission: authorize refuses an installation a
// write that writePermissions does not list, so every write operation
// served to tokens must be listed, with permissions some App has.
func TestEveryWriteNamesItsPermission(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, rt := range e.allRoutes() {
		if rt.auth != authToken || rt.method == http.MethodGet || rt.method == http.MethodHead {
			continue
		}
		perms := writePermissions[rt.id]
		if len(perms) == 0 {
			t.Errorf("%s %s (%s) writes but names no App permission", rt.method, rt.path, rt.id)
		}
		for _, p := range perms {
			if appPermissions[p] != "write" {
				t.Errorf("%s: the bot's App lacks %s: write", rt.id, p)
			}
		}
	}
}
