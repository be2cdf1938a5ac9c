package cloudwatch

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// describeAlarms serves DescribeAlarms: filters AlarmNames, AlarmNamePrefix
// and StateValue; MaxRecords (1–100, default 50) and NextToken paginate.
// Only metric alarms exist here, so CompositeAlarms is always empty.
func (s *Service) describeAlarms(c service.Caller, in cbor.Map) (cbor.Map, error) {
	names, err := stringList(in, "AlarmNames")
	if err != nil {
		return nil, err
	}
	prefix, _ := in["AlarmNamePrefix"].(cbor.String)
	state, _ := in["StateValue"].(cbor.String)
	token, _ := in["NextToken"].(cbor.String)
	if len(names) > 100 {
		return nil, &apiError{"InvalidParameterValue", "The collection AlarmNames must not have a size greater than 100."}
	}
	if len(names) > 0 && prefix != "" {
		return nil, &apiError{"InvalidParameterCombination", "AlarmNamePrefix and AlarmNames cannot be specified together."}
	}
	switch state {
	case "", StateOK, StateAlarm, StateInsufficientData:
	default:
		return nil, &apiError{"InvalidParameterValue", "1 validation error detected: Value '" + string(state) + "' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"}
	}
	max := 50
	if v, ok := in["MaxRecords"]; ok {
		n, err := cbor.AsInt64(v)
		if err != nil || n < 1 || n > 100 {
			return nil, &apiError{"InvalidParameterValue", "MaxRecords must be between 1 and 100."}
		}
		max = int(n)
	}
	if types, err := stringList(in, "AlarmTypes"); err != nil {
		return nil, err
	} else if len(types) > 0 && !slices.Contains(types, "MetricAlarm") {
		return cbor.Map{"MetricAlarms": cbor.List{}, "CompositeAlarms": cbor.List{}}, nil
	}

	var match []Alarm
	for _, a := range s.Alarms(c.Account, c.Region) {
		switch {
		case len(names) > 0 && !slices.Contains(names, a.AlarmName):
		case prefix != "" && !strings.HasPrefix(a.AlarmName, string(prefix)):
		case state != "" && a.StateValue != string(state):
		default:
			match = append(match, a)
		}
	}
	start := 0
	if token != "" {
		n, err := strconv.Atoi(string(token))
		if err != nil || n < 0 || n > len(match) {
			return nil, &apiError{"InvalidNextToken", "The service returned an invalid next token."}
		}
		start = n
	}
	end := min(start+max, len(match))
	list := cbor.List{}
	for _, a := range match[start:end] {
		list = append(list, encodeAlarm(a))
	}
	out := cbor.Map{"MetricAlarms": list, "CompositeAlarms": cbor.List{}}
	if end < len(match) {
		out["NextToken"] = cbor.String(strconv.Itoa(end))
	}
	return out, nil
}

func stringList(in cbor.Map, key string) ([]string, error) {
	v, ok := in[key]
	if !ok {
		return nil, nil
	}
	l, ok := v.(cbor.List)
	if !ok {
		return nil, &apiError{"InvalidParameterValue", key + " must be a list of strings."}
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(cbor.String)
		if !ok {
			return nil, &apiError{"InvalidParameterValue", key + " must be a list of strings."}
		}
		out = append(out, string(s))
	}
	return out, nil
}

func encodeAlarm(a Alarm) cbor.Map {
	dims := cbor.List{}
	for _, d := range a.Dimensions {
		dims = append(dims, cbor.Map{"Name": cbor.String(d.Name), "Value": cbor.String(d.Value)})
	}
	m := cbor.Map{
		"AlarmName":                          cbor.String(a.AlarmName),
		"AlarmArn":                           cbor.String(a.AlarmArn),
		"Namespace":                          cbor.String(a.Namespace),
		"MetricName":                         cbor.String(a.MetricName),
		"Dimensions":                         dims,
		"Statistic":                          cbor.String(a.Statistic),
		"Period":                             cbor.Uint(a.Period),
		"EvaluationPeriods":                  cbor.Uint(a.EvaluationPeriods),
		"Threshold":                          cbor.Float64(a.Threshold),
		"ComparisonOperator":                 cbor.String(a.ComparisonOperator),
		"ActionsEnabled":                     cbor.Bool(a.ActionsEnabled),
		"AlarmActions":                       cbor.List{},
		"OKActions":                          cbor.List{},
		"InsufficientDataActions":            cbor.List{},
		"StateValue":                         cbor.String(a.StateValue),
		"StateReason":                        cbor.String(a.StateReason),
		"StateUpdatedTimestamp":              timestamp(a.StateUpdatedTimestamp),
		"StateTransitionedTimestamp":         timestamp(a.StateUpdatedTimestamp),
		"AlarmConfigurationUpdatedTimestamp": timestamp(a.AlarmConfigurationUpdatedTimestamp),
	}
	if a.AlarmDescription != "" {
		m["AlarmDescription"] = cbor.String(a.AlarmDescription)
	}
	return m
}

// timestamp is a CBOR epoch-seconds timestamp (tag 1), as RPC v2 sends it.
func timestamp(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1000)}
}
