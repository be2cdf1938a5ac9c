// Package sagemaker emulates the subset of Amazon SageMaker that
// modelpromote uses: the model registry (model package groups and versioned
// model packages), the lineage a package points at (training and processing
// jobs, pipeline executions and their steps, lineage artifacts), model
// cards, and real-time deployment (models, endpoint configs, endpoints with
// blue/green updates and alarm-driven rollbacks).
//
// It speaks the real wire protocol (AWS JSON 1.1, dispatched on
// X-Amz-Target: SageMaker.<Operation>, timestamps as epoch seconds, errors
// as {"__type", "Message"}) so that the unmodified aws-sdk-go-v2 client can
// be pointed at it. State is kept per (account, region); names are unique
// per account and region, case-insensitively, and lower-cased in ARNs.
// Another account's model package group is shared by its resource policy
// (Put/Get/DeleteModelPackageGroupPolicy, share.go): its versions can be
// listed, described or deployed with CreateModel by ARN only as that
// policy allows the caller the action on the resource.
//
// Time is real and short: a model package goes Pending → InProgress →
// Completed over [Options.PackageDelay]; an endpoint spends
// [Options.EndpointDelay] per phase (creating, each traffic shift of an
// update plus one to bake, rolling back, deleting).
//
// From Go, tests
//   - seed: [Service.SeedDevPackage] (a whole dev-account lineage),
//     [Service.SeedModelPackageGroup], [Service.SeedModelPackage],
//     [Service.SeedTrainingJob], [Service.SeedProcessingJob],
//     [Service.SeedPipelineExecution], [Service.SeedModelCard],
//     [Service.SeedArtifact], [Service.SeedLineageEntity],
//     [Service.SeedAssociation];
//   - steer: [Service.InjectRolloutFault], [Service.TripAlarmDuringNextRollout],
//     [Service.SetEndpointStatus], [Service.FailNextPackage];
//   - inspect: [Service.Snapshot], [Service.ModelPackage], [Service.Endpoint]
//     (with its History), [Service.Tags].
//
// Error codes, HTTP statuses and the "Could not find …", "Cannot create
// already existing …" and "Cannot update in-progress endpoint …" messages
// follow SageMaker. Where AWS does not document its wording (missing
// auto-rollback alarms, tags on a versioned package, rollback reasons) the
// message is the emulator's own and says plainly what is wrong.
package sagemaker

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Options configures a [Service]. The zero value is usable.
type Options struct {
	// PackageDelay is how long a new model package takes to go from
	// Pending through InProgress to Completed. Zero means 20ms.
	PackageDelay time.Duration
	// EndpointDelay is the length of one endpoint phase: creating, each
	// traffic shift of an update and the bake after the last, rolling back,
	// deleting. Zero means 20ms.
	EndpointDelay time.Duration
	// Alarms resolves the CloudWatch alarms named in an endpoint's
	// AutoRollbackConfiguration. With nil, no alarm exists, so any update
	// that names one is refused.
	Alarms Alarms
	// EndpointInstanceQuota is the account-level "<instance type> for
	// endpoint usage" quota, per account and region; instance types not in
	// it are unlimited. CreateEndpoint and UpdateEndpoint over it fail with
	// ResourceLimitExceeded.
	EndpointInstanceQuota map[string]int32
	// ImageAccess, when set, says whether an account can pull a container
	// image (ECR repository policy, cross-account access); CreateModel
	// refuses images it returns an error for. Nil lets every image through.
	ImageAccess func(account, region, image string) error
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Manual, when set, makes status transitions wait for Advance instead
	// of PackageDelay and EndpointDelay: a test then sees every
	// intermediate status however slowly it polls.
	Manual bool
}

// Alarms is what the SageMaker emulator needs from CloudWatch: whether an
// alarm exists in an account and region, and its state (OK, ALARM or
// INSUFFICIENT_DATA). The CloudWatch emulator implements it.
type Alarms interface {
	AlarmState(account, region, name string) (state string, ok bool)
}

// AlarmSetter is implemented by an [Alarms] that can also change an alarm's
// state; [Service.TripAlarmDuringNextRollout] uses it so that the alarm is
// visible in ALARM through CloudWatch too.
type AlarmSetter interface {
	SetAlarmState(account, region, name, state, reason string) error
}

// Service is the emulated SageMaker. It implements service.Service.
type Service struct {
	opts Options

	mu     sync.Mutex
	scopes map[scope]*state
	closed bool
	// guardrails are the accounts' service control policies (SetGuardrail).
	guardrails map[string]Guardrail
	// scaling says which variants are registered with Application Auto
	// Scaling (SetScaling; nil: none), for UpdateEndpoint's instance-type
	// rule.
	scaling ScalableTargets
	// due are the transitions waiting for Advance (Options.Manual).
	due []func()
}

var _ service.Service = (*Service)(nil)

// scope is one account in one region: SageMaker resources are regional.
type scope struct{ account, region string }

// New returns an empty emulated SageMaker.
func New(opts Options) *Service {
	if opts.PackageDelay <= 0 {
		opts.PackageDelay = 20 * time.Millisecond
	}
	if opts.EndpointDelay <= 0 {
		opts.EndpointDelay = 20 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{opts: opts, scopes: map[scope]*state{}}
}

// Close stops every pending status transition: resources keep the status
// they have.
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}

// Name is the SigV4 signing name.
func (s *Service) Name() string { return "sagemaker" }

// Operation returns the operation named by X-Amz-Target.
func (s *Service) Operation(r *http.Request) string {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	return op
}

const targetPrefix = "SageMaker."

// handler serves one operation for a caller's scope, with s.mu held. It
// returns the response body, or an *apiError.
type handler func(s *Service, st *state, c service.Caller, body []byte) (any, error)

// handlers maps operation names to their implementations; each resource
// family registers its own in an init function.
var handlers = map[string]handler{}

// ServeAWS handles an authenticated request.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, c service.Caller) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("X-Amz-Target"), targetPrefix) {
		s.WriteError(w, r, http.StatusBadRequest, "UnknownOperationException", "expected a POST with X-Amz-Target: "+targetPrefix+"<Operation>")
		return
	}
	h, ok := handlers[s.Operation(r)]
	if !ok {
		// SageMaker's own answer carries no message; the emulator says
		// which operation it lacks, so that a client does not fail blank.
		s.WriteError(w, r, http.StatusBadRequest, "UnknownOperationException", "the SageMaker emulator does not implement "+s.Operation(r))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.WriteError(w, r, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	// Encode under the lock: out may point into state that timers change.
	s.mu.Lock()
	out, err := h(s, s.state(c.Account, c.Region), c, body)
	var resp []byte
	if err == nil {
		if out == nil {
			out = struct{}{}
		}
		resp, err = json.Marshal(out)
	}
	s.mu.Unlock()
	if err != nil {
		e := asAPIError(err)
		s.WriteError(w, r, e.status, e.code, e.message)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", requestID())
	w.Write(resp)
}

// WriteError writes a JSON 1.1 error: the code in __type and the
// X-Amzn-ErrorType header, the message in the body.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", requestID())
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	b, _ := json.Marshal(errorBody{Type: code, Message: message})
	w.Write(b)
}

// errorBody is SageMaker's error document. SageMaker's modelled errors carry
// their text in a member called Message; the SDK's generic decoder reads it
// case-insensitively, its typed errors need the exact name.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"Message,omitempty"`
}

// state returns the resources of one account in one region, creating them on
// first use. s.mu must be held.
func (s *Service) state(account, region string) *state {
	k := scope{account, region}
	st, ok := s.scopes[k]
	if !ok {
		st = newState(account, region)
		s.scopes[k] = st
	}
	return st
}

// after runs f with s.mu held once d has passed, unless the service is
// closed by then. s.mu must be held when after is called.
func (s *Service) after(d time.Duration, f func()) {
	if s.closed {
		return
	}
	if s.opts.Manual {
		s.due = append(s.due, f)
		return
	}
	time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.closed {
			f()
		}
	})
}

// SetManual turns Options.Manual on or off from now on. Turning it off
// starts the transitions waiting for Advance, each after EndpointDelay.
func (s *Service) SetManual(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Manual = on
	if !on {
		due := s.due
		s.due = nil
		for _, f := range due {
			s.after(s.opts.EndpointDelay, f)
		}
	}
}

// Advance runs, in order, the status transitions due by now, as if their
// delay had passed, and returns how many ran; those they schedule wait for
// the next Advance. It is for Options.Manual: one call moves every pending
// endpoint one phase on (a traffic shift or bake of an update; creating
// takes two) and every new model package to Completed.
func (s *Service) Advance() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	due := s.due
	s.due = nil
	for _, f := range due {
		if !s.closed {
			f()
		}
	}
	return len(due)
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// decode unmarshals a request body into v.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "SerializationException", message: fmt.Sprintf("Start of structure or map found where not expected: %v", err)}
	}
	return nil
}
