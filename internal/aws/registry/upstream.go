package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/modelpromote/modelpromote/internal/aws/accounts"
	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Copies is a registry-only stage's registry read as the source of the
// stages sourced from it (plan/upstream.go): version N of a group is the
// copy whose provenance names the source registry's version N.
type Copies struct {
	*Registry
	// Origin is the configuration's source, whose versions the model
	// files name.
	Origin manifest.Source
}

// ModelPackage implements plan.Registry: the copy of the source's version,
// with Origin set, or an error wrapping plan.ErrNotFound.
func (c Copies) ModelPackage(ctx context.Context, group string, version int) (*plan.ModelPackage, error) {
	origin := plan.SourceARN(c.Origin, group, version)
	d, err := c.findBySource(ctx, group, origin)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("no package in group %s of account %s names %s as its source: %w", group, c.Account, origin, plan.ErrNotFound)
	}
	p := Convert(d)
	p.Origin = origin
	return p, nil
}

// Reader is how a stage sourced from a registry-only stage (central)
// reads it: with what credentials, in which mode, and who reads.
type Reader struct {
	// Config is the configuration the reads use, in central's region.
	Config aws.Config
	// Mode is plan.UpstreamRole or plan.UpstreamShared; ReadWith names
	// the role the reads use.
	Mode, ReadWith string
	// Registry is central's registry read with Config.
	Registry *Registry
}

// Upstream is how the stage reads central. This is the one place that
// decides, for the check, propose and apply alike:
//   - by default central's read role (its deploy role when it has none)
//     is assumed;
//   - with central's sharedRegistry, no role in central's account is
//     assumed: the stage's own read role (its deploy role at apply, which
//     registers and copies with it) reads central's groups by ARN, as
//     their resource policies allow, and central's bucket, as its policy
//     allows.
func Upstream(accts *accounts.Accounts, central, stage manifest.Environment, deploy bool) Reader {
	if !central.SharedRegistry {
		cfg := accts.Read(central)
		return Reader{Config: cfg, Mode: plan.UpstreamRole, ReadWith: central.AsSource().RoleARN, Registry: New(cfg, central.Account)}
	}
	cfg, who := accts.Read(stage), stage.ReadRoleARN
	if deploy || who == "" {
		cfg, who = accts.Environment(stage), stage.RoleARN
	}
	cfg = cfg.Copy()
	cfg.Region = central.Region // SageMaker and S3 are read in central's region
	reg := New(cfg, central.Account)
	reg.Shared = true
	return Reader{Config: cfg, Mode: plan.UpstreamShared, ReadWith: who, Registry: reg}
}

// Upstreams is plan.Sources.Upstream over accts: the copies and objects of
// a registry-only stage, read as Upstream says. A shared registry's
// evidence records and held copies are read that way too; with central's
// read role the sources' own readers of central already use it.
func Upstreams(accts *accounts.Accounts, origin manifest.Source, pathStyle, deploy bool) func(central, stage manifest.Environment) (plan.Upstream, error) {
	return func(central, stage manifest.Environment) (plan.Upstream, error) {
		r := Upstream(accts, central, stage, deploy)
		up := plan.Upstream{Reg: Copies{Registry: r.Registry, Origin: origin}, Objects: artifacts.New(r.Config, central.Account, pathStyle), Mode: r.Mode, ReadWith: r.ReadWith}
		if central.SharedRegistry {
			up.History = sharedHistory{&artifacts.Evidence{Configs: oneConfig{r.Config}, PathStyle: pathStyle}}
			up.Held = r.Registry
		}
		return up, nil
	}
}

// sharedHistory reads a shared registry's evidence records, a refusal by
// its bucket policy marked plan.ErrNotShared.
type sharedHistory struct{ plan.History }

// Records implements plan.History.
func (h sharedHistory) Records(ctx context.Context, env manifest.Environment, group string, version int) ([]plan.StoredRecord, error) {
	r, err := h.History.Records(ctx, env, group, version)
	return r, notShared(err)
}

// ReadAll implements plan.History.
func (h sharedHistory) ReadAll(ctx context.Context, env manifest.Environment, uri string, limit int64) ([]byte, error) {
	b, err := h.History.ReadAll(ctx, env, uri, limit)
	return b, notShared(err)
}

// oneConfig hands out one configuration for every environment.
type oneConfig struct{ cfg aws.Config }

// Environment implements artifacts.Configs.
func (o oneConfig) Environment(manifest.Environment) aws.Config { return o.cfg }

// LatestApproved is the newest source version of group whose copy here is
// Approved and Completed: the copies are listed newest first and each
// is read back to its source version by its provenance (within the
// adoption scan's bound). Copies of other sources' packages are skipped.
func (c Copies) LatestApproved(ctx context.Context, group string) (int, error) {
	latest, scanned := 0, 0
	err := c.Versions(ctx, group, true, func(s Summary) (bool, error) {
		scanned++
		if s.Status != "Completed" {
			return scanned < adoptScan, nil
		}
		d, err := c.DescribeARN(ctx, s.ARN)
		if err != nil {
			return false, err
		}
		g, v, ok := plan.PackageGroupVersion(d.CustomerMetadataProperties[plan.ProvenanceSourceARN])
		if ok && strings.EqualFold(g, group) && d.CustomerMetadataProperties[plan.ProvenanceSourceARN] == plan.SourceARN(c.Origin, group, v) && v > latest {
			latest = v
		}
		return scanned < adoptScan, nil
	})
	if err != nil {
		return 0, fmt.Errorf("list approved copies of %s in account %s: %w", group, c.Account, err)
	}
	if latest == 0 {
		return 0, fmt.Errorf("model package group %s of account %s holds no Approved, Completed copy of a source version", group, c.Account)
	}
	return latest, nil
}

// PackageARN is the source package version N stands for.
func (c Copies) PackageARN(group string, version int) string {
	return plan.SourceARN(c.Origin, group, version)
}
