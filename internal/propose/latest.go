package propose

import (
	"context"
	"fmt"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
)

// LatestApproved returns the newest Approved, Completed version of a model
// package group in the source registry. Proposals pin the number it
// returns: "latest" is resolved once, here, never left floating.
func LatestApproved(ctx context.Context, reg *registry.Registry, group string) (int, error) {
	latest := 0
	err := reg.Versions(ctx, group, true, func(s registry.Summary) (bool, error) {
		if s.Status == "Completed" && s.Version > 0 {
			latest = s.Version
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return 0, fmt.Errorf("list approved versions of %s: %w", group, err)
	}
	if latest == 0 {
		return 0, fmt.Errorf("model package group %s has no Approved, Completed version", group)
	}
	return latest, nil
}
