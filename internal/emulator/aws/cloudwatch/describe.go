package cloudwatch

import (
	"slices"
	"strconv"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// describeAlarms serves DescribeAlarms: filters AlarmNames, AlarmNamePrefix
// and StateValue; MaxRecords (1–100, default 50) and NextToken paginate.
// Only metric alarms exist here, so CompositeAlarms is always empty.
func (s *Service) describeAlarms(c service.Caller, in params) (map[string]any, error) {
	names, err := in.strs("AlarmNames")
	if err != nil {
		return nil, err
	}
	prefix, err := in.str("AlarmNamePrefix")
	if err != nil {
		return nil, err
	}
	state, err := in.str("StateValue")
	if err != nil {
		return nil, err
	}
	token, err := in.str("NextToken")
	if err != nil {
		return nil, err
	}
	if len(names) > 100 {
		return nil, &apiError{"InvalidParameterValue", "The collection AlarmNames must not have a size greater than 100."}
	}
	if len(names) > 0 && prefix != "" {
		return nil, &apiError{"InvalidParameterCombination", "AlarmNamePrefix and AlarmNames cannot be specified together."}
	}
	switch state {
	case "", StateOK, StateAlarm, StateInsufficientData:
	default:
		return nil, &apiError{"InvalidParameterValue", "1 validation error detected: Value '" + state + "' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"}
	}
	max := 50
	if n, ok, err := in.integer("MaxRecords"); err != nil || ok && (n < 1 || n > 100) {
		return nil, &apiError{"InvalidParameterValue", "MaxRecords must be between 1 and 100."}
	} else if ok {
		max = int(n)
	}
	if types, err := in.strs("AlarmTypes"); err != nil {
		return nil, err
	} else if len(types) > 0 && !slices.Contains(types, "MetricAlarm") {
		return map[string]any{"MetricAlarms": []any{}, "CompositeAlarms": []any{}}, nil
	}

	var match []Alarm
	for _, a := range s.Alarms(c.Account, c.Region) {
		switch {
		case len(names) > 0 && !slices.Contains(names, a.AlarmName):
		case prefix != "" && !strings.HasPrefix(a.AlarmName, prefix):
		case state != "" && a.StateValue != state:
		default:
			match = append(match, a)
		}
	}
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(match) {
			return nil, &apiError{"InvalidNextToken", "The service returned an invalid next token."}
		}
		start = n
	}
	end := min(start+max, len(match))
	list := []any{}
	for _, a := range match[start:end] {
		list = append(list, encodeAlarm(a))
	}
	out := map[string]any{"MetricAlarms": list, "CompositeAlarms": []any{}}
	if end < len(match) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

func encodeAlarm(a Alarm) map[string]any {
	dims := []any{}
	for _, d := range a.Dimensions {
		dims = append(dims, map[string]any{"Name": d.Name, "Value": d.Value})
	}
	m := map[string]any{
		"AlarmName":                          a.AlarmName,
		"AlarmArn":                           a.AlarmArn,
		"Namespace":                          a.Namespace,
		"MetricName":                         a.MetricName,
		"Dimensions":                         dims,
		"Statistic":                          a.Statistic,
		"Period":                             a.Period,
		"EvaluationPeriods":                  a.EvaluationPeriods,
		"Threshold":                          a.Threshold,
		"ComparisonOperator":                 a.ComparisonOperator,
		"ActionsEnabled":                     a.ActionsEnabled,
		"AlarmActions":                       []any{},
		"OKActions":                          []any{},
		"InsufficientDataActions":            []any{},
		"StateValue":                         a.StateValue,
		"StateReason":                        a.StateReason,
		"StateUpdatedTimestamp":              a.StateUpdatedTimestamp,
		"StateTransitionedTimestamp":         a.StateUpdatedTimestamp,
		"AlarmConfigurationUpdatedTimestamp": a.AlarmConfigurationUpdatedTimestamp,
	}
	if a.AlarmDescription != "" {
		m["AlarmDescription"] = a.AlarmDescription
	}
	return m
}
