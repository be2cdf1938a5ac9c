// Package propose opens promotion pull requests: `modelpromote propose`
// (one stage of one model to a version, pinned), the next-stage proposals
// the policy asks for once a version is live and soaked (autoPropose), and
// the revert a failed rollout calls for (revertOnFailure). It also renders
// local edits as a diff for people who open pull requests themselves.
//
// A proposal edits only the version scalar of promotions/<model>.yaml
// (SetVersion), commits it through the Contents API with the file's blob
// SHA so a concurrent edit is refused instead of overwritten, and keeps one
// pull request per promotion on a branch named after it, so proposing the
// same promotion twice updates the same pull request.
package propose

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Kind says why a proposal was made.
type Kind string

// The proposal kinds.
const (
	// KindPromote is a promotion someone asked for.
	KindPromote Kind = "promote"
	// KindNext is a next-stage promotion the policy asks for (autoPropose).
	KindNext Kind = "next"
	// KindRevert puts a stage back to what its endpoint serves after a
	// failed rollout (revertOnFailure).
	KindRevert Kind = "revert"
)

// Proposal is one promotion to propose: model, stage and pinned version,
// with what the pull request says about it.
type Proposal struct {
	Kind              Kind   `json:"kind"`
	Model             string `json:"model"`
	Stage             string `json:"stage"`
	ModelPackageGroup string `json:"modelPackageGroup"`
	Version           int    `json:"version"`
	// FromVersion is what the base manifest names for the stage.
	FromVersion int    `json:"fromVersion"`
	File        string `json:"file"`
	PackageARN  string `json:"packageArn"`
	// Resolved says how the version was chosen ("latest-approved"), when it
	// was not given.
	Resolved string `json:"resolved,omitempty"`
	// After is the stage the version is live in (next-stage proposals).
	After string `json:"after,omitempty"`
	// FailedVersion and FailedPR are the rollout a revert undoes.
	FailedVersion int `json:"failedVersion,omitempty"`
	FailedPR      int `json:"failedPullRequest,omitempty"`
}

// Limits GitHub puts on what a proposal names.
const (
	// MaxTitle is the longest pull request title GitHub accepts.
	MaxTitle = 256
	// MaxBranch keeps "refs/heads/<branch>" within 255 bytes, the longest
	// ref name GitHub's Git storage handles everywhere.
	MaxBranch = 255 - len("refs/heads/")
	// maxBody is GitHub's limit on a pull request body.
	maxBody = 65536
)

// BlockMarker starts the hidden machine-readable block in a pull request
// body: "<!-- modelpromote:proposal {json} -->".
const BlockMarker = "<!-- modelpromote:proposal "

var unsafeRef = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Branch is the proposal's deterministic branch:
// modelpromote/<model>/<stage>-v<version>. The same promotion always gets
// the same branch, whoever asks and why, so there is one pull request per
// promotion. Characters git refuses are replaced; a name over MaxBranch is
// cut and suffixed with a hash of the full name, so it stays unique.
func (p *Proposal) Branch() string {
	name := "modelpromote/" + refPart(p.Model) + "/" + refPart(p.Stage) + fmt.Sprintf("-v%d", p.Version)
	if len(name) <= MaxBranch {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := "-" + hex.EncodeToString(sum[:4])
	return strings.TrimRight(name[:MaxBranch-len(suffix)], "./-") + suffix
}

// refPart makes s a valid git ref component: no "..", no leading dot, no
// ".lock" suffix, none of the characters git refuses.
func refPart(s string) string {
	s = unsafeRef.ReplaceAllString(s, "-")
	s = strings.ReplaceAll(s, "..", "-")
	s = strings.TrimLeft(s, ".")
	s = strings.TrimSuffix(s, ".lock")
	if s == "" {
		return "-"
	}
	return s
}

// Title is the pull request title, at most MaxTitle characters.
func (p *Proposal) Title() string {
	return truncate(p.title(func(s string) string { return s }), MaxTitle)
}

// title words the proposal, passing each name through quote.
func (p *Proposal) title(quote func(string) string) string {
	switch p.Kind {
	case KindRevert:
		return fmt.Sprintf("Revert %s in %s to v%d, which still serves after the failed rollout of v%d", quote(p.Model), quote(p.Stage), p.Version, p.FailedVersion)
	case KindNext:
		return fmt.Sprintf("Promote %s v%d to %s (live in %s)", quote(p.Model), p.Version, quote(p.Stage), quote(p.After))
	}
	return fmt.Sprintf("Promote %s v%d to %s", quote(p.Model), p.Version, quote(p.Stage))
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Block is the hidden machine-readable block that identifies the proposal
// in its pull request body. JSON escapes '<' and '>', so the block cannot
// end early.
func (p *Proposal) Block() string {
	data, _ := json.Marshal(p) // plain strings and ints: cannot fail
	return BlockMarker + string(data) + " -->"
}

// ParseBlock reads the proposal back from a pull request body.
func ParseBlock(body string) (*Proposal, bool) {
	_, rest, ok := strings.Cut(body, BlockMarker)
	if !ok {
		return nil, false
	}
	data, _, ok := strings.Cut(rest, " -->")
	if !ok {
		return nil, false
	}
	var p Proposal
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return nil, false
	}
	return &p, true
}
