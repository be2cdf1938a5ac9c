// Package cloudwatch emulates the part of Amazon CloudWatch that
// modelpromote needs: metric alarms, read with DescribeAlarms, created and
// switched between OK and ALARM from Go. SageMaker's endpoint emulator asks
// it whether auto-rollback alarms exist and whether they are firing.
//
// It speaks the three protocols CloudWatch does: Smithy RPC v2 CBOR
// (aws-sdk-go-v2's), AWS JSON 1.0 (recent AWS CLIs') and the AWS query
// protocol (older CLIs' and SDKs'); see protocol.go.
package cloudwatch

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Options configures a [Service]. The zero value is usable.
type Options struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Service is the emulated CloudWatch. It implements service.Service, and
// the sagemaker package's Alarms and AlarmSetter.
type Service struct {
	now func() time.Time

	mu     sync.Mutex
	alarms map[scope]map[string]*Alarm
}

var _ service.Service = (*Service)(nil)

type scope struct{ account, region string }

// New returns a CloudWatch with no alarms.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{now: opts.Now, alarms: map[scope]map[string]*Alarm{}}
}

// Alarm is a metric alarm.
type Alarm struct {
	AlarmName          string
	AlarmArn           string
	AlarmDescription   string
	Namespace          string
	MetricName         string
	Dimensions         []Dimension
	Statistic          string
	Period             int32
	EvaluationPeriods  int32
	Threshold          float64
	ComparisonOperator string
	ActionsEnabled     bool
	// StateValue is OK, ALARM or INSUFFICIENT_DATA.
	StateValue                         string
	StateReason                        string
	StateUpdatedTimestamp              time.Time
	AlarmConfigurationUpdatedTimestamp time.Time
}

// Dimension narrows an alarm's metric.
type Dimension struct{ Name, Value string }

// States an alarm can be in.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// PutAlarm creates or replaces an alarm in account and region. Empty fields
// get realistic defaults (a SageMaker endpoint 5XX alarm, state OK).
func (s *Service) PutAlarm(account, region string, a Alarm) Alarm {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	a.AlarmArn = fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, account, a.AlarmName)
	a.Namespace = or(a.Namespace, "AWS/SageMaker")
	a.MetricName = or(a.MetricName, "Invocation5XXErrors")
	a.Statistic = or(a.Statistic, "Sum")
	a.ComparisonOperator = or(a.ComparisonOperator, "GreaterThanThreshold")
	if a.Period == 0 {
		a.Period = 60
	}
	if a.EvaluationPeriods == 0 {
		a.EvaluationPeriods = 1
	}
	if a.StateValue == "" {
		a.StateValue, a.StateReason = StateOK, "Threshold Crossed: no datapoints were breaching"
	}
	a.StateUpdatedTimestamp = now
	a.AlarmConfigurationUpdatedTimestamp = now
	k := scope{account, region}
	if s.alarms[k] == nil {
		s.alarms[k] = map[string]*Alarm{}
	}
	s.alarms[k][a.AlarmName] = &a
	return a
}

// SetAlarmState changes an alarm's state, as SetAlarmState or a metric
// breach would.
func (s *Service) SetAlarmState(account, region, name, state, reason string) error {
	switch state {
	case StateOK, StateAlarm, StateInsufficientData:
	default:
		return fmt.Errorf("cloudwatch: invalid alarm state %q", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alarms[scope{account, region}][name]
	if !ok {
		return fmt.Errorf("cloudwatch: alarm %q does not exist in %s/%s", name, account, region)
	}
	if a.StateValue != state {
		a.StateUpdatedTimestamp = s.now().UTC()
	}
	a.StateValue, a.StateReason = state, reason
	return nil
}

// AlarmState returns an alarm's state and whether it exists.
func (s *Service) AlarmState(account, region, name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alarms[scope{account, region}][name]
	if !ok {
		return "", false
	}
	return a.StateValue, true
}

// Alarms returns copies of the alarms of account in region, by name.
func (s *Service) Alarms(account, region string) []Alarm {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Alarm
	for _, a := range s.alarms[scope{account, region}] {
		c := *a
		c.Dimensions = slices.Clone(a.Dimensions)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Alarm) int { return strings.Compare(a.AlarmName, b.AlarmName) })
	return out
}

// Name is the SigV4 signing name of CloudWatch.
func (s *Service) Name() string { return "monitoring" }

// Operation names the operation r calls, in whichever protocol.
func (s *Service) Operation(r *http.Request) string { return protocolOf(r).operation(r) }

// ServeAWS handles an authenticated request.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, c service.Caller) {
	p := protocolOf(r)
	if r.Method != http.MethodPost && p != awsQuery {
		p.writeError(w, http.StatusBadRequest, "UnknownOperationException", "expected a POST")
		return
	}
	in, err := p.decode(r)
	var out map[string]any
	if err == nil {
		switch op := p.operation(r); op {
		case "DescribeAlarms":
			out, err = s.describeAlarms(c, in)
		default:
			code := "UnknownOperationException"
			if p == awsQuery {
				code = "InvalidAction" // the query protocol's word for it
			}
			err = &apiError{code, "the CloudWatch emulator does not implement operation " + op}
		}
	}
	if err != nil {
		e := err.(*apiError)
		p.writeError(w, http.StatusBadRequest, e.code, e.message)
		return
	}
	p.write(w, p.operation(r), out)
}

// shapes maps awsQuery error codes to the error shapes CloudWatch's model
// gives them; the SDK looks the shape up by __type and takes the code from
// X-Amzn-Query-Error.
var shapes = map[string]string{
	"InvalidNextToken":            "InvalidNextToken",
	"InvalidParameterCombination": "InvalidParameterCombinationException",
	"InvalidParameterValue":       "InvalidParameterValueException",
	"MissingParameter":            "MissingRequiredParameterException",
	"ResourceNotFound":            "ResourceNotFound",
	"LimitExceeded":               "LimitExceededFault",
	"InternalServiceError":        "InternalServiceFault",
}

// WriteError writes an error in the protocol of r.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	protocolOf(r).writeError(w, status, code, message)
}

type apiError struct{ code, message string }

func (e *apiError) Error() string { return e.code + ": " + e.message }

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func requestID() string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", time.Now().UnixNano()&0xffffffff, time.Now().UnixNano()&0xffffffffffff)
}
