package apply

import (
	"context"
	"sync"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// plantedPackages says, for each promotion, why the package its register
// step would adopt must not be: a package in the target group whose
// provenance names the source but which is not the copy apply would
// register (issue 12 §6). Asked before anything is copied, so a refusal
// changes nothing in any account; the register step asks again.
func (r *runner) plantedPackages(ctx context.Context) []string {
	var mu sync.Mutex
	var out []string
	var wg sync.WaitGroup
	for _, pr := range r.plan.Promotions {
		var cp *plan.CopyArtifacts
		var reg *plan.RegisterPackage
		for _, a := range r.plan.ActionsFor(pr.Model, pr.Stage) {
			switch a := a.(type) {
			case *plan.CopyArtifacts:
				cp = a
			case *plan.RegisterPackage:
				reg = a
			}
		}
		if cp == nil || reg == nil || reg.SourcePackageARN == "" {
			continue
		}
		wg.Go(func() {
			copied := map[string]string{}
			for _, o := range cp.Objects {
				copied[o.Source] = o.Target
			}
			target := registry.New(r.accts.Environment(pr.Environment), reg.Account)
			source, _ := r.upstream(&pr)
			identity := reg.SourcePackageARN
			if reg.OriginARN != "" {
				identity = reg.OriginARN
			}
			_, err := target.FindCopy(ctx, source, registry.Copy{SourceARN: reg.SourcePackageARN, TargetGroup: reg.Group,
				TargetKMSKeyARN: reg.KMSKeyARN, Copied: copied, Provenance: map[string]string{plan.ProvenanceSourceARN: identity},
				Images: imageMap(reg.Images)})
			if err != nil {
				mu.Lock()
				out = append(out, pr.Model+"/"+pr.Stage+": "+err.Error())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}
