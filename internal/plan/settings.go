package plan

import (
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// CapacitySummary describes what serves an endpoint: its instances (and
// their autoscaling range) or its serverless capacity, and whether it is
// asynchronous.
func CapacitySummary(e manifest.Endpoint) string {
	var parts []string
	if s := e.Serverless; s != nil {
		c := fmt.Sprintf("serverless, %d MB, up to %d concurrent", s.MemorySizeMB, s.MaxConcurrency)
		if s.ProvisionedConcurrency > 0 {
			c += fmt.Sprintf(" (%d provisioned)", s.ProvisionedConcurrency)
		}
		parts = append(parts, c)
	} else {
		parts = append(parts, fmt.Sprintf("%d × %s", e.InstanceCount, e.InstanceType))
	}
	if a := e.Autoscaling; a != nil {
		parts = append(parts, fmt.Sprintf("autoscaling %d–%d instances at %d invocations per instance per minute", a.MinInstances, a.MaxInstances, a.TargetInvocationsPerInstance))
	}
	if d := e.DataCapture; d != nil {
		parts = append(parts, fmt.Sprintf("capturing %s of %d%% of requests", strings.Join(d.Capture, " and "), d.SamplingPercent))
	}
	if e.Async != nil {
		parts = append(parts, "asynchronous")
	}
	return strings.Join(parts, ", ")
}

func settingsSuffix(s manifest.DeploySettings) string {
	if sum := s.Summary(); sum != "" {
		return "; " + sum
	}
	return ""
}
