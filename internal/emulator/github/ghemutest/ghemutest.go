// Package ghemutest starts GitHub emulators for tests. It is the only place
// the emulator meets package testing, so the product binary (which serves
// the emulators in `modelpromote demo` and `modelpromote emulator`) does not
// link it.
package ghemutest

import (
	"testing"

	ghemu "github.com/modelpromote/modelpromote/internal/emulator/github"
)

// New starts an emulator that is closed at the test's cleanup; the test
// fails then for every request, response or webhook payload that did not
// match GitHub's OpenAPI description (see ghemu.Emulator.ValidationErrors).
func New(tb testing.TB, opts ...ghemu.Option) *ghemu.Emulator {
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
func CloseAndReport(tb testing.TB, e *ghemu.Emulator) {
	e.Close()
	for _, v := range e.ValidationErrors() {
		tb.Errorf("ghemu: %s", v)
	}
}
