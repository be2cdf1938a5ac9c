package github

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckScope is what a check run judged: which pull request, against which
// base branch. It travels in the check run's external_id
// (https://docs.github.com/en/rest/checks/runs#create-a-check-run), so that
// apply accepts a green check only for the pull request it applies, judged
// against the branch it was merged into: a check judged for another pull
// request on the same head commit, or before the pull request was
// retargeted, does not count.
type CheckScope struct {
	PR      int
	BaseRef string
}

const scopePrefix = "modelpromote/v1 "

// String is the external_id form: "modelpromote/v1 pr=12 base=main".
func (s CheckScope) String() string {
	return fmt.Sprintf("%spr=%d base=%s", scopePrefix, s.PR, s.BaseRef)
}

// ParseCheckScope reads an external_id; ok is false when it is not one
// modelpromote wrote.
func ParseCheckScope(externalID string) (s CheckScope, ok bool) {
	rest, found := strings.CutPrefix(externalID, scopePrefix)
	if !found {
		return CheckScope{}, false
	}
	for _, f := range strings.Fields(rest) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "pr":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return CheckScope{}, false
			}
			s.PR = n
		case "base":
			s.BaseRef = v
		}
	}
	return s, s.PR > 0 && s.BaseRef != ""
}
