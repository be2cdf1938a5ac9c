package apply

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// registerStep registers the source package's copy in the target registry,
// every S3 URI pointing at the copies, or adopts the one an earlier run
// registered; it hands on the package's ARN.
type registerStep struct {
	*plan.RegisterPackage
	r *runner
}

func (s registerStep) run(ctx context.Context, st *state) error {
	if s.SourcePackageARN == "" {
		return fmt.Errorf("%s version %d was not read from the source registry", s.Group, s.SourceVersion)
	}
	if len(s.Images) == 0 {
		return fmt.Errorf("the images of %s version %d were not bound to digests by the check", s.Group, s.SourceVersion)
	}
	reg, err := registry.New(st.target, s.Account).RegisterCopy(ctx, st.source, registry.Copy{
		SourceARN:       s.SourcePackageARN,
		TargetGroup:     s.Group,
		TargetKMSKeyARN: s.KMSKeyARN,
		Copied:          st.copied,
		Provenance:      s.provenance(st),
		Images:          imageMap(s.Images),
		Tags:            s.Tags,
	}, s.r.env.Poll)
	st.record.Images = s.Images
	st.record.Target.PackageARN = reg.ARN
	st.record.Target.Version = endpoints.VersionOf(reg.ARN)
	if err != nil {
		return err
	}
	st.packageARN = reg.ARN
	s.r.progress("%s/%s: package %s (%s)", s.Model, s.Stage, reg.ARN, map[bool]string{true: "adopted", false: "registered"}[reg.Adopted])
	return nil
}

func (s registerStep) predict(ctx context.Context, st *state, pv *PromotionPreview) error {
	found, err := registry.New(st.target, s.Account).FindBySource(ctx, s.Group, s.identity())
	switch {
	case err != nil:
		return err
	case found != "":
		pv.Package = "adopt " + found + " (registered from the same source package by an earlier run)"
	default:
		pv.Package = fmt.Sprintf("create a package in group %s of account %s from %s, then approve it", s.Group, s.Account, s.SourcePackageARN)
	}
	return nil
}

// provenance names the source package and account, from the plan, and
// the merge's pull request, commit, approvers and evidence record.
func (s registerStep) provenance(st *state) map[string]string {
	p := map[string]string{
		plan.ProvenanceSourceARN:     s.SourcePackageARN,
		plan.ProvenanceSourceAccount: s.SourceAccount,
		plan.ProvenancePullRequest:   st.merge.URL,
		plan.ProvenanceMergeSHA:      st.merge.MergeSHA,
		plan.ProvenanceApprovers:     truncate(strings.Join(st.approvers, " "), 256),
		plan.ProvenanceEvidence:      st.recordURI,
	}
	if s.OriginARN != "" {
		// Read from a registry-only stage's copy: the package stands for
		// the source package, and names the copy it came through.
		p[plan.ProvenanceSourceARN], p[plan.ProvenanceVia] = s.OriginARN, s.SourcePackageARN
		if a, err := arn.Parse(s.OriginARN); err == nil {
			p[plan.ProvenanceSourceAccount] = a.AccountID
		}
	}
	return p
}

// identity is the source package the registered package stands for.
func (s registerStep) identity() string {
	if s.OriginARN != "" {
		return s.OriginARN
	}
	return s.SourcePackageARN
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// imageMap maps each source image to the reference the target package
// holds.
func imageMap(imgs []plan.DeployImage) map[string]string {
	m := make(map[string]string, len(imgs))
	for _, i := range imgs {
		m[i.Source] = i.Image
	}
	return m
}
