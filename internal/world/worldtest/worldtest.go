// Package worldtest builds emulated worlds for tests: closed at the test's
// end, and failing the test for every GitHub request, response or webhook
// payload that strayed from GitHub's OpenAPI description. Only tests import
// it; like ghemutest it takes testing.TB's methods as an interface.
package worldtest

import (
	"github.com/modelpromote/modelpromote/internal/emulator/github/ghemutest"
	"github.com/modelpromote/modelpromote/internal/world"
)

// New is world.New, closed at tb's cleanup.
func New(tb ghemutest.TB, opts world.Options) (*world.World, error) {
	w, err := world.New(opts)
	if err == nil {
		closeAtCleanup(tb, w)
	}
	return w, err
}

// Example is world.Example, closed at tb's cleanup.
func Example(tb ghemutest.TB, opts world.Options) (*world.World, error) {
	w, err := world.Example(tb.Context(), opts)
	if err == nil {
		closeAtCleanup(tb, w)
	}
	return w, err
}

func closeAtCleanup(tb ghemutest.TB, w *world.World) {
	tb.Cleanup(func() {
		w.Close()
		ghemutest.CloseAndReport(tb, w.GitHub)
	})
}
