package propose

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Candidate is a next-stage promotion the policy asks for: a stage with
// `after` and autoPropose, where the manifest names a newer version for the
// `after` stage than for this one.
type Candidate struct {
	Model, Stage, After string
	ModelPackageGroup   string
	// Version is what the manifest names for After; Current what it names
	// for Stage.
	Version, Current int
	Soak             time.Duration
	// AfterEnv and AfterEndpoint are where Version must be live.
	AfterEnv      manifest.Environment
	AfterEndpoint string
}

// Candidates lists the next-stage promotions the configuration asks for,
// by model and stage. Only upgrades are proposed: a stage ahead of its
// `after` stage is left alone.
func Candidates(cfg *manifest.Config, models map[string]*manifest.ModelDoc) []Candidate {
	var out []Candidate
	for _, env := range cfg.Environments {
		sp := cfg.Policy.Stages[env.Name]
		if env.After == "" || !sp.AutoPropose {
			continue
		}
		afterEnv, ok := cfg.Environment(env.After)
		if !ok {
			continue
		}
		for name, m := range models {
			from, okFrom := m.Stages[env.After]
			to, okTo := m.Stages[env.Name]
			if !okFrom || !okTo || from.Version <= to.Version {
				continue
			}
			out = append(out, Candidate{Model: name, Stage: env.Name, After: env.After, ModelPackageGroup: m.ModelPackageGroup,
				Version: from.Version, Current: to.Version, Soak: sp.SoakTime.Duration, AfterEnv: afterEnv, AfterEndpoint: from.Endpoint.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Model != out[j].Model {
			return out[i].Model < out[j].Model
		}
		return out[i].Stage < out[j].Stage
	})
	return out
}

// Readiness is whether a candidate is due now.
type Readiness struct {
	Due bool
	// DueAt is when the soak ends (zero when the version is not live).
	DueAt time.Time
	// Reason says why it is not due.
	Reason string
}

// Judge decides whether c is due at now, given what the `after` stage's
// endpoint serves: the version must be live there, InService, for at least
// the soak time — the same rule the check's policy gate applies.
func (c Candidate) Judge(s *plan.Serving, now time.Time) Readiness {
	switch {
	case c.AfterEnv.RegistryOnly && s == nil:
		return Readiness{Reason: fmt.Sprintf("%s's registry holds no copy of v%d", c.After, c.Version)}
	case c.AfterEnv.RegistryOnly && s.ApprovalStatus != "Approved":
		return Readiness{Reason: fmt.Sprintf("%s's copy of v%d is %s, not Approved", c.After, c.Version, s.ApprovalStatus)}
	case c.AfterEnv.RegistryOnly:
	case s == nil:
		return Readiness{Reason: fmt.Sprintf("endpoint %s does not exist in %s", c.AfterEndpoint, c.After)}
	case s.SourceVersion != c.Version || !strings.Contains(s.SourcePackageARN, "/"+strings.ToLower(c.ModelPackageGroup)+"/"):
		return Readiness{Reason: fmt.Sprintf("%s serves %s on %s, not v%d", c.After, describe(s), c.AfterEndpoint, c.Version)}
	case s.EndpointStatus != "InService":
		return Readiness{Reason: fmt.Sprintf("endpoint %s in %s is %s, not InService", c.AfterEndpoint, c.After, s.EndpointStatus)}
	}
	dueAt := s.Since.Add(c.Soak)
	if now.Before(dueAt) {
		return Readiness{DueAt: dueAt, Reason: fmt.Sprintf("v%d has soaked in %s for %s of %s", c.Version, c.After, now.Sub(s.Since).Round(time.Minute), c.Soak)}
	}
	return Readiness{Due: true, DueAt: dueAt}
}

func describe(s *plan.Serving) string {
	if s.SourceVersion == 0 {
		return fmt.Sprintf("config %s, which modelpromote did not deploy", s.EndpointConfig)
	}
	return fmt.Sprintf("v%d", s.SourceVersion)
}
