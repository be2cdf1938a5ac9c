package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// copyConcurrency bounds how many objects of one promotion copy at once.
const copyConcurrency = 4

// copyStep copies every object of the action into the target bucket, the
// source object the check bound (its version or ETag, and size) and no
// other, verifying the SHA-256 the package records or the check computed,
// and hands on where each went.
type copyStep struct {
	*plan.CopyArtifacts
	r *runner
}

func (s copyStep) run(ctx context.Context, st *state) error {
	if err := s.copyable(); err != nil {
		return err
	}
	if err := s.bound(); err != nil {
		return err
	}
	copies, err := s.copyAll(ctx, s.copier(st))
	st.record.Artifacts = copies
	if err != nil {
		return err
	}
	st.copied = map[string]string{}
	for _, o := range s.Objects {
		st.copied[o.Source] = o.Target
	}
	return nil
}

func (s copyStep) predict(ctx context.Context, st *state, pv *PromotionPreview) error {
	if err := s.copyable(); err != nil {
		return err
	}
	c := s.copier(st)
	for _, o := range s.Objects {
		src, _ := artifacts.ParseURI(o.Source)
		dst, _ := artifacts.ParseURI(o.Target)
		p, err := c.PredictBound(ctx, src, dst, artifacts.Bound{Parts: o.Parts})
		if err != nil {
			return err
		}
		pv.Copies = append(pv.Copies, PlannedCopy{Source: o.Source, Target: o.Target, Size: p.Size, Path: p.Path})
	}
	return nil
}

// copier reads with the source role and writes (and, when the buckets
// allow it, copies server-side) with the environment's deploy role.
func (s copyStep) copier(st *state) *artifacts.Copier {
	return &artifacts.Copier{
		Source:      artifacts.Client(st.sourceCfg, s.r.env.S3PathStyle),
		Target:      artifacts.Client(st.target, s.r.env.S3PathStyle),
		SourceOwner: s.SourceAccount,
		TargetOwner: s.Account,
		KMSKeyARN:   s.KMSKeyARN,
	}
}

// copyable refuses an action whose objects are unknown (the source package
// was not read) or one of which cannot be copied safely: a recorded digest
// that is not SHA-256, a URI that could not name one object under the
// target prefix.
func (s copyStep) copyable() error {
	if s.SourcePackageARN == "" {
		return fmt.Errorf("%s version %d was not read from the source registry: its objects are unknown", s.Group, s.Version)
	}
	var errs []string
	for _, o := range s.Objects {
		if o.Problem != "" {
			errs = append(errs, o.Problem)
		}
		for _, uri := range []string{o.Source, o.Target} {
			if _, err := artifacts.ParseURI(uri); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("the source package refers to objects that cannot be copied safely: %s", strings.Join(errs, "; "))
	}
	return nil
}

// bound refuses an object the check did not bind (no ETag and SHA-256 it
// saw): apply copies only bytes the check read, whatever let the plan
// through.
func (s copyStep) bound() error {
	var errs []string
	for _, o := range s.Objects {
		if o.ETag == "" || o.SHA256 == "" {
			errs = append(errs, o.Source)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("the check did not bind %s to its source version and digest: nothing the check did not see is copied", strings.Join(errs, ", "))
	}
	return nil
}

func (s copyStep) copyAll(ctx context.Context, c *artifacts.Copier) ([]RecordArtifact, error) {
	out := make([]RecordArtifact, len(s.Objects))
	errs := make([]error, len(s.Objects))
	sem := make(chan struct{}, copyConcurrency)
	var wg sync.WaitGroup
	for i, obj := range s.Objects {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			src, _ := artifacts.ParseURI(obj.Source)
			dst, _ := artifacts.ParseURI(obj.Target)
			res, err := c.CopyBound(ctx, src, dst, artifacts.Bound{SHA256: obj.SHA256, ETag: obj.ETag, VersionID: obj.VersionID, Size: obj.Size, Parts: obj.Parts})
			out[i] = RecordArtifact{Source: obj.Source, SourceETag: obj.ETag, Target: obj.Target, SHA256: res.SHA256, Size: res.Size, Path: res.Path}
			if err == nil && res.SHA256 == obj.SHA256 {
				// The copy has the bound bytes, so the parts digest
				// the check computed of them is the copy's too.
				out[i].Parts = obj.Parts
			}
			if err != nil {
				errs[i] = fmt.Errorf("copy %s: %w", obj.Source, err)
				return
			}
			s.r.progress("copied %s (%d bytes, %s)", obj.Source, res.Size, res.Path)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
