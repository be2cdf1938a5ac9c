package sagemaker

import (
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/identity"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// ModelPackageGroup is a versioned collection of model packages.
type ModelPackageGroup struct {
	ModelPackageGroupName        string
	ModelPackageGroupArn         string
	ModelPackageGroupDescription string `json:",omitempty"`
	ModelPackageGroupStatus      string
	CreationTime                 Timestamp
	// ResourcePolicy is the policy set by PutModelPackageGroupPolicy, if
	// any. It is not part of DescribeModelPackageGroup's output.
	ResourcePolicy string `json:",omitempty"`

	policy      *identity.Policy // ResourcePolicy, parsed
	seq         uint64
	lastVersion int32
}

func init() {
	handlers["CreateModelPackageGroup"] = (*Service).createModelPackageGroup
	handlers["DescribeModelPackageGroup"] = (*Service).describeModelPackageGroup
	handlers["ListModelPackageGroups"] = (*Service).listModelPackageGroups
	handlers["PutModelPackageGroupPolicy"] = (*Service).putModelPackageGroupPolicy
	handlers["GetModelPackageGroupPolicy"] = (*Service).getModelPackageGroupPolicy
	handlers["DeleteModelPackageGroupPolicy"] = (*Service).deleteModelPackageGroupPolicy
}

func (s *Service) createModelPackageGroup(st *state, c service.Caller, body []byte) (any, error) {
	var in struct {
		ModelPackageGroupName        string
		ModelPackageGroupDescription string
		Tags                         []Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.ModelPackageGroupName, "modelPackageGroupName"); err != nil {
		return nil, err
	}
	key := strings.ToLower(in.ModelPackageGroupName)
	if g, ok := st.groups[key]; ok {
		return nil, validationError("Model Package Group already exists: %s", g.ModelPackageGroupArn)
	}
	if err := s.guardGroup(st, c, in.ModelPackageGroupName, in.Tags); err != nil {
		return nil, err
	}
	g := &ModelPackageGroup{
		ModelPackageGroupName:        in.ModelPackageGroupName,
		ModelPackageGroupArn:         st.arn("model-package-group", in.ModelPackageGroupName),
		ModelPackageGroupDescription: in.ModelPackageGroupDescription,
		ModelPackageGroupStatus:      "Completed",
		CreationTime:                 stamp(s.now()),
		seq:                          st.next(),
	}
	if err := st.addTags(g.ModelPackageGroupArn, in.Tags); err != nil {
		return nil, err
	}
	st.groups[key] = g
	return map[string]string{"ModelPackageGroupArn": g.ModelPackageGroupArn}, nil
}

// group finds a group by name or ARN.
func (st *state) group(nameOrARN string) (*ModelPackageGroup, bool) {
	g, ok := st.groups[strings.ToLower(nameFromARN(nameOrARN, "model-package-group"))]
	return g, ok
}

func (st *state) groupNotFound(nameOrARN string) error {
	return validationError("ModelPackageGroup %s does not exist.", st.arn("model-package-group", nameFromARN(nameOrARN, "model-package-group")))
}

func (s *Service) describeModelPackageGroup(st *state, c service.Caller, body []byte) (any, error) {
	var in struct{ ModelPackageGroupName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelPackageGroupName, "modelPackageGroupName"); err != nil {
		return nil, err
	}
	_, g, err := s.resolveGroup(st, c, in.ModelPackageGroupName, "DescribeModelPackageGroup")
	if err != nil {
		return nil, err
	}
	out := *g
	out.ResourcePolicy, out.policy = "", nil
	return out, nil
}

func (s *Service) listModelPackageGroups(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		NameContains                 string
		CreationTimeAfter            *Timestamp
		CreationTimeBefore           *Timestamp
		SortBy, SortOrder, NextToken string
		MaxResults                   int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	type summary struct {
		ModelPackageGroupName        string
		ModelPackageGroupArn         string
		ModelPackageGroupDescription string `json:",omitempty"`
		ModelPackageGroupStatus      string
		CreationTime                 Timestamp
	}
	var all []summary
	for _, g := range inOrder(st.groups, func(g *ModelPackageGroup) uint64 { return g.seq }) {
		if in.NameContains != "" && !strings.Contains(strings.ToLower(g.ModelPackageGroupName), strings.ToLower(in.NameContains)) {
			continue
		}
		if !inTimeRange(g.CreationTime, in.CreationTimeAfter, in.CreationTimeBefore) {
			continue
		}
		all = append(all, summary{g.ModelPackageGroupName, g.ModelPackageGroupArn, g.ModelPackageGroupDescription, g.ModelPackageGroupStatus, g.CreationTime})
	}
	if in.SortBy == "Name" {
		slices.SortStableFunc(all, func(a, b summary) int { return strings.Compare(a.ModelPackageGroupName, b.ModelPackageGroupName) })
	}
	if in.SortOrder == "Descending" { // the API's default is Ascending
		slices.Reverse(all)
	}
	items, next, err := page(all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		ModelPackageGroupSummaryList []summary
		NextToken                    string `json:",omitempty"`
	}{nonNil(items), next}, nil
}

// inTimeRange applies the CreationTimeAfter/Before filters of List calls.
func inTimeRange(t Timestamp, after, before *Timestamp) bool {
	return (after == nil || t.After(after.Time)) && (before == nil || t.Before(before.Time))
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
