package endpoints_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	asemu "github.com/modelpromote/modelpromote/internal/emulator/aws/autoscaling"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// memJournal is an endpoints.Journal in memory; loadErr stands for a
// journal that is kept but cannot be read or trusted (apply's judges the
// object: internal/apply/journal.go).
type memJournal struct {
	mu      sync.Mutex
	data    []byte
	loadErr error
	cleared int
}

func (j *memJournal) Load(context.Context) ([]byte, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.data, j.loadErr
}

func (j *memJournal) Save(_ context.Context, b []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.data = b
	return nil
}

func (j *memJournal) Clear(context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.data, j.loadErr = nil, nil
	j.cleared++
	return nil
}

// scaled is an env with Application Auto Scaling, its endpoint live on
// version 1 (config returned) and, when lo > 0, registered lo–hi.
func scaled(t *testing.T, lo, hi int32) (*env, *asemu.Service, string) {
	t.Helper()
	e := newEnv(t, 2*time.Millisecond)
	as := asemu.New(asemu.Options{Variants: e.sm})
	e.sm.SetScaling(as)
	e.srv.Mount(as)
	e.d.AAS = applicationautoscaling.NewFromConfig(e.cfg)
	old := e.live(t)
	if lo > 0 {
		if _, err := e.d.AAS.RegisterScalableTarget(ctx(t), &applicationautoscaling.RegisterScalableTargetInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
			ResourceId: aws.String("endpoint/" + endpoint + "/variant/AllTraffic"), ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount,
			MinCapacity: aws.Int32(lo), MaxCapacity: aws.Int32(hi)}); err != nil {
			t.Fatal(err)
		}
	}
	return e, as, old
}

// A journal that cannot be read, or that the journal's keeper does not
// trust, is the only copy of a registration taken down, or planted: the
// deployment stops before changing anything, registers nothing from it,
// and says why and what to do.
func TestUnreadableScalingJournalStopsTheDeployment(t *testing.T) {
	for _, c := range []struct {
		name    string
		journal *memJournal
		want    []string
	}{
		{"not JSON", &memJournal{data: []byte("not json")}, []string{"cannot be read", "nothing is registered from it", "put the scaling back by hand"}},
		{"another variant's", &memJournal{data: []byte(`{"resource":"endpoint/other/variant/AllTraffic","min":50,"max":100}`)}, []string{`it is for "endpoint/other/variant/AllTraffic"`}},
		{"not trusted", &memJournal{loadErr: errors.New("its scaling journal s3://b/k is not trusted: it is not encrypted with the key")}, []string{"is not trusted: it is not encrypted"}},
		{"of an update settled since", &memJournal{data: []byte(`{"fromConfig":"x-v0","toConfig":"x-v00","resource":"endpoint/` + endpoint + `/variant/AllTraffic","min":50,"max":100}`)},
			[]string{"kept for the update from config x-v0 to x-v00, but it serves config", "nothing is registered from it"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, as, old := scaled(t, 0, 0)
			r := e.request(2, "bbbbbbb", manifest.Rollout{})
			r.Endpoint.InstanceType = "ml.m5.xlarge"
			r.Journal = c.journal
			_, err := e.d.Deploy(ctx(t), r)
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("deploy over the journal: %v, want %q", err, w)
				}
			}
			if got := e.endpoint(t).EndpointConfigName; got != old {
				t.Errorf("the endpoint moved to %s", got)
			}
			if lo, hi, ok := as.Registered(account, region, endpoint, "AllTraffic"); ok {
				t.Errorf("registered %d–%d from the journal", lo, hi)
			}
			if c.journal.cleared != 0 {
				t.Errorf("the journal was cleared")
			}
		})
	}
}

// A journal beside a live registration is a leftover (or planted): it is
// not applied, only cleared.
func TestJournalBesideALiveRegistrationIsOnlyCleared(t *testing.T) {
	e, as, old := scaled(t, 2, 4)
	j := &memJournal{data: []byte(`{"fromConfig":"` + old + `","resource":"endpoint/` + endpoint + `/variant/AllTraffic","min":50,"max":100}`)}
	r := e.request(2, "bbbbbbb", manifest.Rollout{})
	r.Journal = j
	e.deploy(t, r)
	if lo, hi, ok := as.Registered(account, region, endpoint, "AllTraffic"); !ok || lo != 2 || hi != 4 {
		t.Errorf("registration %v %d–%d, want 2–4 as it was", ok, lo, hi)
	}
	if j.data != nil || j.cleared != 1 {
		t.Errorf("journal %q cleared %d times, want cleared once", j.data, j.cleared)
	}
}

// An instance-type change keeps the registration in the journal while it
// is taken down, with the update it is for, and clears it once the
// registration is back.
func TestInstanceTypeChangeKeepsTheRegistrationInTheJournal(t *testing.T) {
	e, as, old := scaled(t, 2, 4)
	j := &memJournal{}
	var kept string
	e.d.Interrupt = func(b endpoints.Boundary) error {
		if b == endpoints.BoundaryScalingSuspended {
			kept = string(j.data)
		}
		return nil
	}
	r := e.request(2, "bbbbbbb", manifest.Rollout{})
	r.Endpoint.InstanceType = "ml.m5.xlarge"
	r.Journal = j
	out := e.deploy(t, r)
	for _, w := range []string{`"fromConfig":"` + old + `"`, `"toConfig":"` + out.NewConfig + `"`, `"min":2`, `"max":4`} {
		if !strings.Contains(kept, w) {
			t.Errorf("journal while taken down %s, want %s", kept, w)
		}
	}
	if lo, hi, ok := as.Registered(account, region, endpoint, "AllTraffic"); !ok || lo != 2 || hi != 4 {
		t.Errorf("registration %v %d–%d, want 2–4 back", ok, lo, hi)
	}
	if j.data != nil {
		t.Errorf("journal left: %s", j.data)
	}

	// Without a journal, the type change is refused before anything changes.
	r = e.request(1, "ccccccc", manifest.Rollout{})
	r.Endpoint.InstanceType = "ml.m5.2xlarge"
	if _, err := e.d.Deploy(ctx(t), r); err == nil || !strings.Contains(err.Error(), "no journal to keep the registration in") {
		t.Fatalf("type change without a journal: %v", err)
	}
	if got := e.endpoint(t).EndpointConfigName; got != out.NewConfig {
		t.Errorf("the endpoint moved to %s", got)
	}
	if _, _, ok := as.Registered(account, region, endpoint, "AllTraffic"); !ok {
		t.Errorf("the registration was taken down")
	}
}

// Journal tags an older modelpromote kept on the endpoint are not read
// (anyone who may tag the endpoint could have written them): an
// unregistered variant gets nothing registered from them, and the
// outcome names them.
func TestOlderJournalTagsAreIgnoredWithAWarning(t *testing.T) {
	e, as, _ := scaled(t, 0, 0)
	planted := base64.StdEncoding.EncodeToString([]byte(`{"resource":"endpoint/` + endpoint + `/variant/AllTraffic","min":50,"max":100}`))
	arn := e.endpoint(t).EndpointArn
	if _, err := e.admin.AddTags(ctx(t), &sagemaker.AddTagsInput{ResourceArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String(endpoints.LegacyJournalTag + ":0"), Value: aws.String(planted)}}}); err != nil {
		t.Fatal(err)
	}
	r := e.request(2, "bbbbbbb", manifest.Rollout{})
	r.Endpoint.InstanceType = "ml.m5.xlarge"
	r.Journal = &memJournal{}
	out := e.deploy(t, r)
	if lo, hi, ok := as.Registered(account, region, endpoint, "AllTraffic"); ok {
		t.Errorf("registered %d–%d from the tags", lo, hi)
	}
	if !strings.Contains(out.Warning, endpoints.LegacyJournalTag+":0") || !strings.Contains(out.Warning, "ignored") {
		t.Errorf("warning %q, want it to name the tag and say it is ignored", out.Warning)
	}
	if out.Scaling != "" {
		t.Errorf("scaling %q, want nothing put back", out.Scaling)
	}
	found := false
	for _, tag := range e.sm.Tags(account, region, arn) {
		found = found || tag.Key == endpoints.LegacyJournalTag+":0"
	}
	if !found {
		t.Errorf("the tag was deleted; it is left for the operator")
	}
}

// A registration one deployment took down (and crashed) is carried by the
// next deployment: the journal then names that deployment's update, so
// that when it too stops after its rollout, its rerun still finds the
// journal to be of the update under way and puts the registration back.
func TestJournalFollowsTheDeploymentThatCarriesIt(t *testing.T) {
	e, as, _ := scaled(t, 2, 4)
	j := &memJournal{}
	crashAt := func(at endpoints.Boundary) {
		e.d.Interrupt = func(b endpoints.Boundary) error {
			if b == at {
				return errors.New("simulated crash")
			}
			return nil
		}
	}
	a := e.request(2, "aaaaaaa", manifest.Rollout{})
	a.Endpoint.InstanceType, a.Journal = "ml.m5.xlarge", j
	crashAt(endpoints.BoundaryScalingSuspended)
	if _, err := e.d.Deploy(ctx(t), a); err == nil {
		t.Fatal("deployment A did not stop")
	}
	b := e.request(2, "bbbbbbb", manifest.Rollout{})
	b.Endpoint.InstanceType, b.Journal = "ml.m5.xlarge", j
	crashAt(endpoints.BoundaryRolledOut)
	if _, err := e.d.Deploy(ctx(t), b); err == nil {
		t.Fatal("deployment B did not stop")
	}
	if _, _, ok := as.Registered(account, region, endpoint, "AllTraffic"); ok || j.data == nil {
		t.Fatalf("after B stopped: registered %v, journal %s; want taken down and kept", ok, j.data)
	}
	e.d.Interrupt = nil
	e.deploy(t, b)
	if lo, hi, ok := as.Registered(account, region, endpoint, "AllTraffic"); !ok || lo != 2 || hi != 4 {
		t.Errorf("after B's rerun: registration %v %d–%d, want 2–4 back", ok, lo, hi)
	}
	if j.data != nil {
		t.Errorf("journal left: %s", j.data)
	}
}
