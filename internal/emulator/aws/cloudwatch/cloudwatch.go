// Package cloudwatch emulates the part of Amazon CloudWatch that
// modelpromote needs: metric alarms, read with DescribeAlarms, created and
// switched between OK and ALARM from Go. SageMaker's endpoint emulator asks
// it whether auto-rollback alarms exist and whether they are firing.
//
// aws-sdk-go-v2's CloudWatch client (v1.75) speaks Smithy RPC v2 CBOR, not
// the older awsQuery: POST /service/GraniteServiceVersion20100801/operation/
// <Operation> with Smithy-Protocol: rpc-v2-cbor and CBOR bodies. The service
// is awsQueryCompatible, so errors also carry X-Amzn-Query-Error:
// <code>;Sender, from which the SDK takes the error code it reports.
package cloudwatch

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

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

const pathPrefix = "/service/GraniteServiceVersion20100801/operation/"

// Operation is the last segment of the RPC v2 path.
func (s *Service) Operation(r *http.Request) string {
	op, _ := strings.CutPrefix(r.URL.Path, pathPrefix)
	return op
}

// ServeAWS handles an authenticated request.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, c service.Caller) {
	if r.Method != http.MethodPost || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		s.WriteError(w, r, http.StatusBadRequest, "UnknownOperationException", "expected a Smithy RPC v2 CBOR request")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.WriteError(w, r, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	in := cbor.Map{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			s.WriteError(w, r, http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		m, ok := v.(cbor.Map)
		if !ok {
			s.WriteError(w, r, http.StatusBadRequest, "SerializationException", "request body is not a CBOR map")
			return
		}
		in = m
	}
	var out cbor.Map
	switch op := s.Operation(r); op {
	case "DescribeAlarms":
		out, err = s.describeAlarms(c, in)
	default:
		s.WriteError(w, r, http.StatusBadRequest, "UnknownOperationException", "operation "+op+" is not emulated")
		return
	}
	if err != nil {
		e := err.(*apiError)
		s.WriteError(w, r, http.StatusBadRequest, e.code, e.message)
		return
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-RequestId", requestID())
	w.Write(cbor.Encode(out))
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

// WriteError writes an RPC v2 CBOR error of an awsQuery-compatible service.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	typ := code
	if shape, ok := shapes[code]; ok {
		typ = "com.amazonaws.cloudwatch#" + shape
	}
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-RequestId", requestID())
	w.Header().Set("X-Amzn-Query-Error", code+";"+fault)
	w.WriteHeader(status)
	w.Write(cbor.Encode(cbor.Map{
		"__type":  cbor.String(typ),
		"message": cbor.String(message),
		"Message": cbor.String(message),
	}))
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
