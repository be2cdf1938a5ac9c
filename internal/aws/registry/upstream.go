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

// Upstream is how a stage sourced from the registry-only stage central
// reads it: its read configuration, the mode for the plan, and who reads.
//
// The central account's read role (its deploy role when it has none) is
// assumed, at check and apply alike.
func Upstream(accts *accounts.Accounts, central, stage manifest.Environment, deploy bool) (aws.Config, string, string) {
	return accts.Read(central), plan.UpstreamRole, central.AsSource().RoleARN
}

// Upstreams is plan.Sources.Upstream over accts: the copies and objects of
// a registry-only stage, read as Upstream says.
func Upstreams(accts *accounts.Accounts, origin manifest.Source, pathStyle, deploy bool) func(central, stage manifest.Environment) (plan.Upstream, error) {
	return func(central, stage manifest.Environment) (plan.Upstream, error) {
		cfg, mode, who := Upstream(accts, central, stage, deploy)
		reg := New(cfg, central.Account)
		return plan.Upstream{Reg: Copies{Registry: reg, Origin: origin}, Objects: artifacts.New(cfg, central.Account, pathStyle), Mode: mode, ReadWith: who}, nil
	}
}

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
