// Package gitsha is how every part of modelpromote shows a commit: by the
// first seven characters of its SHA, as GitHub does.
package gitsha

// Short returns the first seven characters of a commit SHA (all of a
// shorter one).
func Short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
