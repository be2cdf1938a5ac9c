package sagemaker

import (
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

func init() {
	handlers["ListModels"] = (*Service).listModels
	handlers["ListEndpointConfigs"] = (*Service).listEndpointConfigs
}

// listFilter is the request shape ListModels and ListEndpointConfigs share:
// NameContains (case-insensitive), a creation time window, SortBy Name or
// CreationTime (the default), SortOrder (default Descending) and pages.
type listFilter struct {
	NameContains, SortBy, SortOrder, NextToken string
	CreationTimeAfter, CreationTimeBefore      *Timestamp
	MaxResults                                 int
}

// nameSummary is a list entry: ModelSummary and EndpointConfigSummary both
// carry a name, an ARN and a creation time.
type nameSummary struct {
	name, arn    string
	creationTime Timestamp
}

// list filters, sorts and pages items, given in creation order.
func (f listFilter) list(items []nameSummary) ([]nameSummary, string, error) {
	var all []nameSummary
	for _, it := range items {
		if f.NameContains != "" && !strings.Contains(strings.ToLower(it.name), strings.ToLower(f.NameContains)) {
			continue
		}
		if !inTimeRange(it.creationTime, f.CreationTimeAfter, f.CreationTimeBefore) {
			continue
		}
		all = append(all, it)
	}
	if f.SortBy == "Name" {
		slices.SortStableFunc(all, func(a, b nameSummary) int { return strings.Compare(a.name, b.name) })
	}
	if f.SortOrder != "Ascending" { // the API's default is Descending
		slices.Reverse(all)
	}
	return page(all, f.NextToken, f.MaxResults)
}

func (s *Service) listModels(st *state, _ service.Caller, body []byte) (any, error) {
	var in listFilter
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var items []nameSummary
	for _, m := range inOrder(st.models, func(m *Model) uint64 { return m.seq }) {
		items = append(items, nameSummary{m.ModelName, m.ModelArn, m.CreationTime})
	}
	page, next, err := in.list(items)
	if err != nil {
		return nil, err
	}
	type summary struct {
		ModelName    string
		ModelArn     string
		CreationTime Timestamp
	}
	out := []summary{}
	for _, it := range page {
		out = append(out, summary{it.name, it.arn, it.creationTime})
	}
	return struct {
		Models    []summary
		NextToken string `json:",omitempty"`
	}{out, next}, nil
}

func (s *Service) listEndpointConfigs(st *state, _ service.Caller, body []byte) (any, error) {
	var in listFilter
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var items []nameSummary
	for _, c := range inOrder(st.configs, func(c *EndpointConfig) uint64 { return c.seq }) {
		items = append(items, nameSummary{c.EndpointConfigName, c.EndpointConfigArn, c.CreationTime})
	}
	page, next, err := in.list(items)
	if err != nil {
		return nil, err
	}
	type summary struct {
		EndpointConfigName string
		EndpointConfigArn  string
		CreationTime       Timestamp
	}
	out := []summary{}
	for _, it := range page {
		out = append(out, summary{it.name, it.arn, it.creationTime})
	}
	return struct {
		EndpointConfigs []summary
		NextToken       string `json:",omitempty"`
	}{out, next}, nil
}
