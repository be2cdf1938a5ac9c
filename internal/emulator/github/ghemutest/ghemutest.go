// Package ghemutest starts GitHub emulators for tests: closed at the test's
// end, failing the test for every request that strayed from GitHub's
// OpenAPI description. Only tests import it; it takes the testing.TB methods
// it uses as an interface, so not even it imports package testing.
package ghemutest

import (
	"context"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

// TB is the part of testing.TB these helpers use: *testing.T and
// *testing.B satisfy it, and the package need not import testing.
type TB interface {
	Helper()
	Fatal(args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
	Context() context.Context
}

// New starts an emulator that is closed at the test's cleanup; the test
// fails then for every request, response or webhook payload that did not
// match GitHub's OpenAPI description (see ghemu.Emulator.ValidationErrors).
func New(tb TB, opts ...ghemu.Option) *ghemu.Emulator {
	tb.Helper()
	e, err := ghemu.New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { CloseAndReport(tb, e) })
	return e
}

// CloseAndReport closes e and fails tb for each validation error left on
// it. For emulators a test did not start with New (a world's, say).
func CloseAndReport(tb TB, e *ghemu.Emulator) {
	e.Close()
	for _, v := range e.ValidationErrors() {
		tb.Errorf("ghemu: %s", v)
	}
}
