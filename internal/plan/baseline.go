package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// The regression baseline: the live version's reports, read from the
// verified copies in the stage's own bucket, not from the dev account.
// Writers in the dev account are a lower-trust group than the deploy role:
// a report there can change after the version went live (its digest then
// fails, which could only block a promotion), but the bytes a stage judged
// when it took the version are the ones apply copied into the stage's
// bucket and listed, with their SHA-256, in the evidence record of that
// deployment. The baseline is those bytes, re-hashed against that record.

// liveDeployment is the trusted evidence record of the deployment that put
// what the stage's endpoint serves there: the newest successful one of the
// live version on that endpoint, from the same source package. Records in
// the bucket that apply did not write are returned too, to be warned of.
func liveDeployment(ctx context.Context, src Sources, env manifest.Environment, stage, endpoint string, s *Serving, group string, version int) (*PastDeployment, []string, error) {
	if src.History == nil {
		return nil, nil, fmt.Errorf("%s's evidence records are not read here", stage)
	}
	recs, err := readStageRecords(ctx, src.History, env, group, version)
	if err != nil {
		return nil, nil, fmt.Errorf("could not read %s's evidence records of version %d: %w", stage, version, err)
	}
	best := recs.newest(stage, version, s.SourcePackageARN, func(r PastDeployment) bool {
		return strings.EqualFold(r.Endpoint, endpoint)
	})
	if best == nil {
		return nil, recs.untrusted, fmt.Errorf("%s has no evidence record of the deployment of version %d on %s, which names the verified copies of its reports", stage, version, endpoint)
	}
	return best, recs.untrusted, nil
}

// readCopies reads, verifies and parses the live package's reports of the
// given kinds from the copies rec lists, in env's bucket: each copy must be
// where apply writes it (TargetKey) and have the SHA-256 the record says.
// A report that fails is in checks with its problem and absent from the set.
func readCopies(ctx context.Context, src Sources, env manifest.Environment, rec *PastDeployment, pkg *ModelPackage, kinds []manifest.ReportKind, limit int64) ([]ReportCheck, reportSet) {
	copies := map[string]PastArtifact{}
	for _, a := range rec.Artifacts {
		copies[a.URI] = a
	}
	var refs []ReportRef
	for _, ref := range pkg.Reports {
		if ref.S3URI != "" && slices.Contains(kinds, ref.Kind) {
			refs = append(refs, ref)
		}
	}
	// Apply writes under the promoted version's number (the source
	// registry's), which is the record's: a registry-only stage's copy of
	// the live version has a number of its own.
	prefix := ArtifactPrefix(pkg.Group, rec.Version)
	checks := make([]ReportCheck, len(refs))
	parsed := make([]any, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Go(func() {
			c := ReportCheck{ReportRef: ref, Status: StatusPass}
			fail := func(format string, args ...any) {
				c.Status, c.Problem = StatusFail, fmt.Sprintf(format, args...)
			}
			defer func() { checks[i] = c }()
			a, ok := copies[ref.S3URI]
			want := "s3://" + env.ArtifactBucket + "/" + TargetKey(prefix, ref.S3URI)
			switch {
			case !ok:
				fail("was not copied into %s by the deployment its evidence record %s records", env.Name, rec.URI)
				return
			case a.Target != want || a.SHA256 == "":
				fail("has no verified copy: the evidence record %s lists %q with SHA-256 %q, not apply's copy %s", rec.URI, a.Target, a.SHA256, want)
				return
			}
			// Reports sharing a file share its read: the check's History
			// is memoized (Sources.memoized).
			data, err := src.History.ReadAll(ctx, env, a.Target, limit)
			switch {
			case errors.Is(err, ErrNotFound):
				fail("has no copy in %s: %s does not exist", env.Name, a.Target)
				return
			case err != nil:
				fail("could not read its copy %s: %v", a.Target, err)
				return
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != strings.ToLower(a.SHA256) {
				fail("has a copy %s whose SHA-256 %s is not the %s its evidence record %s says (the copy changed after apply wrote it)", a.Target, got, a.SHA256, rec.URI)
				return
			}
			c.ComputedDigest = evidence.DigestOf(data).String()
			c.Size = int64(len(data))
			v, err := parseReport(ref, data, &evidence.Options{Name: a.Target, MaxBytes: limit})
			if err != nil {
				fail("does not parse: %v", err)
				return
			}
			parsed[i] = v
		})
	}
	wg.Wait()
	var set reportSet
	for i, ref := range refs {
		if parsed[i] != nil {
			set.add(ref, parsed[i])
		}
	}
	return checks, set
}
