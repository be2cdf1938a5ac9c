package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// The demo is the first thing a newcomer runs: it must tell the whole
// story and leave the world in the state the story describes.
func TestDemoPlaysTheWholeStory(t *testing.T) {
	var out bytes.Buffer
	d, err := Run(t.Context(), Options{Out: &out, EndpointDelay: 5 * time.Millisecond, Version: "test"})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	defer d.Close()
	text := out.String()
	for _, want := range []string{
		"1. Alice opens", "Check on #1: pending", "Check on #1: pass",
		"fraud-detector/staging: success",
		"regression", "needs 2 approval(s)",
		"fraud-detector/prod: success",
		"Promotion history",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the story lacks %q", want)
		}
	}
	for stage, want := range map[string]int{"staging": 14, "prod": 14} {
		env, _ := d.World.Config.Environment(stage)
		name := map[string]string{"staging": "fraud-detector-staging", "prod": "fraud-detector"}[stage]
		s, err := endpoints.Trace(t.Context(), sagemaker.NewFromConfig(d.World.AdminAWS(env.Account)), name)
		if err != nil || s == nil || s.SourceVersion != want {
			t.Errorf("%s serves %+v (%v), want v%d", stage, s, err, want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}
