package plan

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Chain of custody: a promotion into a stage with an `after` deploys only
// the bytes the `after` stage ran. That stage's evidence record of the
// version (written by apply into its own artifact bucket with its deploy
// role) lists every object it copied with the SHA-256 of the bytes; each
// object the promotion binds must have the same digest. So a dev-account
// writer who swaps model data after staging ran it cannot get the swapped
// bytes into prod, even though the package and its metadata are unchanged
// and the check would bind the new bytes.

// custody is what the `after` stage's evidence record says it ran, or why
// it cannot be known. need is false when the promotion has no chain to
// keep (no `after`, a reconfiguration, a rollback or break-glass).
//
// The gate fails closed: it shuts, saying why, when the stage's records
// cannot be read, when its bucket holds records of the version that apply
// did not write (StoredRecord.Untrusted: planted by someone who can write
// there, to choose the digests), when it has no trusted record of a
// successful deployment of the version on its endpoint (deployed out of
// band, or the record was deleted), and when that record lists no
// artifacts (written before records carried them): the bytes to deploy
// cannot then be shown to have run there.
type custody struct {
	need   bool
	record *PastDeployment
	// err says why the chain cannot be checked; it shuts the gate.
	err string
	// copies: the promotion is sourced from the `after` stage itself (a
	// registry-only stage), so it binds that stage's copies: the record's
	// artifacts are matched by where they were copied to.
	copies bool
}

// afterStageRecord reads the `after` stage's newest successful evidence
// record of the version on its endpoint.
func afterStageRecord(ctx context.Context, src Sources, cfg *manifest.Config, pr *Promotion, pkg *ModelPackage) custody {
	after := pr.Environment.After
	if after == "" || pr.IsReconfiguration() || pr.AfterEndpoint == "" && !pr.AfterRegistry || pr.waivesTiming() {
		return custody{}
	}
	env, ok := cfg.Environment(after)
	if !ok {
		return custody{}
	}
	c := custody{need: true, copies: pr.Environment.Source == after}
	if src.History == nil {
		c.err = fmt.Sprintf("%s's evidence records are not read here: the bytes to deploy cannot be shown to have run in %s", after, after)
		return c
	}
	recs, err := readStageRecords(ctx, src.History, env, pr.ModelPackageGroup, pr.ToVersion)
	if err != nil {
		c.err = fmt.Sprintf("could not read %s's evidence records of version %d: %v; the bytes to deploy cannot be shown to have run in %s", after, pr.ToVersion, err, after)
		return c
	}
	if len(recs.untrusted) > 0 {
		c.err = fmt.Sprintf("%s's bucket holds evidence records of version %d that apply did not write: %s; the bytes to deploy cannot be shown to have run in %s", after, pr.ToVersion, strings.Join(recs.untrusted, "; "), after)
		return c
	}
	c.record = recs.newest(after, pr.ToVersion, pkg.Identity(), func(r PastDeployment) bool {
		return r.Model == pr.Model && strings.EqualFold(r.Endpoint, pr.AfterEndpoint)
	})
	if c.record == nil {
		on := " on " + pr.AfterEndpoint
		if pr.AfterRegistry {
			on = " into its registry"
		}
		c.err = fmt.Sprintf("%s has no evidence record of a successful deployment of version %d%s: the bytes to deploy cannot be shown to have run in %s", after, pr.ToVersion, on, after)
	}
	return c
}

// known is the digest the `after` stage recorded for a source object, if
// the object still has the ETag and size it had then: the check then
// takes it without reading the source again.
func (c custody) known(info ObjectInfo) (Binding, bool) {
	if c.record == nil || info.ETag == "" || c.copies {
		return Binding{}, false // (a copy's own ETag is not recorded)
	}
	for _, a := range c.record.Artifacts {
		if a.URI == info.URI && a.ETag == info.ETag && a.Size == info.Size && a.SHA256 != "" {
			b := binding(info.URI, info, a.SHA256)
			if a.Parts != nil && a.Parts.Valid(info.Size) == nil {
				b.Parts = a.Parts
			}
			return b, true
		}
	}
	return Binding{}, false
}

// judge adds an error for every bound object whose bytes the `after` stage
// did not run.
func (c custody) judge(pr *Promotion, add func(Gate, Severity, string)) {
	if s := pr.Details.PreviousStage; !c.need || s == nil || s.SourceVersion != pr.ToVersion {
		return // the stage order check says the version is not live there
	}
	if c.err == "" && len(c.record.Artifacts) == 0 {
		c.err = fmt.Sprintf("%s's evidence record %s lists no artifacts: the bytes to deploy cannot be shown to have run in %s", pr.Environment.After, c.record.URI, pr.Environment.After)
	}
	if c.err != "" {
		add(GatePolicy, SeverityError, c.err)
		return
	}
	ran := map[string]string{}
	for _, a := range c.record.Artifacts {
		if c.copies {
			ran[a.Target] = a.SHA256
		} else {
			ran[a.URI] = a.SHA256
		}
	}
	after := pr.Environment.After
	for _, b := range pr.Details.Objects {
		sum, ok := ran[b.URI]
		switch {
		case !ok:
			add(GatePolicy, SeverityError, fmt.Sprintf("%s never ran in %s: its evidence record (%s) did not copy it", b.URI, after, c.record.URI))
		case sum != b.SHA256:
			add(GatePolicy, SeverityError, fmt.Sprintf("%s has SHA-256 %s, but %s ran %s (evidence record %s): those bytes never ran in %s", b.URI, b.SHA256, after, sum, c.record.URI, after))
		}
	}
}
