package propose

import (
	"context"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// Packages is the registry a stage's proposals read versions from: the
// source registry (registry.Registry), or for a stage sourced from a
// registry-only stage, that stage's copies (registry.Copies).
type Packages interface {
	// LatestApproved is the newest Approved, Completed version.
	LatestApproved(ctx context.Context, group string) (int, error)
	// PackageARN is the source package a version names.
	PackageARN(group string, version int) string
	ModelPackage(ctx context.Context, group string, version int) (*plan.ModelPackage, error)
}

// LatestApproved returns the newest Approved, Completed version of a model
// package group in the registry the stage takes its packages from.
// Proposals pin the number it returns: "latest" is resolved once, here,
// never left floating.
func LatestApproved(ctx context.Context, reg Packages, group string) (int, error) {
	return reg.LatestApproved(ctx, group)
}
