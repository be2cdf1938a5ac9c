package sagemaker

import (
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

func init() {
	handlers["AddTags"] = (*Service).addTagsOp
	handlers["ListTags"] = (*Service).listTags
	handlers["DeleteTags"] = (*Service).deleteTags
}

// addTags merges tags into a resource's, replacing values of existing keys.
// A resource has at most 50 tags.
func (st *state) addTags(arn string, tags []Tag) error {
	cur := slices.Clone(st.tags[arn])
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return constraintError(t.Key, "tags.member.key", "Member must have length less than or equal to 128 and greater than or equal to 1")
		}
		if len(t.Value) > 256 {
			return constraintError(t.Value, "tags.member.value", "Member must have length less than or equal to 256")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return validationError("Tag keys beginning with 'aws:' are reserved for system use.")
		}
		if i := slices.IndexFunc(cur, func(c Tag) bool { return c.Key == t.Key }); i >= 0 {
			cur[i].Value = t.Value
		} else {
			cur = append(cur, t)
		}
	}
	if len(cur) > 50 {
		return resourceLimitExceeded("Resource %s can have at most 50 tags; the request would make it %d.", arn, len(cur))
	}
	if len(cur) > 0 {
		st.tags[arn] = cur
	}
	return nil
}

// resourceExists reports whether an ARN names something taggable that this
// scope holds.
func (st *state) resourceExists(arn string) bool {
	for _, g := range st.groups {
		if g.ModelPackageGroupArn == arn {
			return true
		}
	}
	if st.findPackage(arn) != nil {
		return true
	}
	for _, m := range st.models {
		if m.ModelArn == arn {
			return true
		}
	}
	for _, c := range st.configs {
		if c.EndpointConfigArn == arn {
			return true
		}
	}
	for _, e := range st.endpoints {
		if e.EndpointArn == arn {
			return true
		}
	}
	return false
}

func (s *Service) addTagsOp(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		ResourceArn string
		Tags        []Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ResourceArn, "resourceArn"); err != nil {
		return nil, err
	}
	if !st.resourceExists(in.ResourceArn) {
		return nil, validationError("Resource %s does not exist.", in.ResourceArn)
	}
	if err := st.addTags(in.ResourceArn, in.Tags); err != nil {
		return nil, err
	}
	return map[string][]Tag{"Tags": nonNil(in.Tags)}, nil
}

func (s *Service) listTags(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		ResourceArn, NextToken string
		MaxResults             int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ResourceArn, "resourceArn"); err != nil {
		return nil, err
	}
	if !st.resourceExists(in.ResourceArn) {
		return nil, validationError("Resource %s does not exist.", in.ResourceArn)
	}
	if in.MaxResults == 0 {
		in.MaxResults = 50
	}
	items, next, err := page(st.tags[in.ResourceArn], in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags      []Tag
		NextToken string `json:",omitempty"`
	}{nonNil(items), next}, nil
}

func (s *Service) deleteTags(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		ResourceArn string
		TagKeys     []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ResourceArn, "resourceArn"); err != nil {
		return nil, err
	}
	if !st.resourceExists(in.ResourceArn) {
		return nil, validationError("Resource %s does not exist.", in.ResourceArn)
	}
	cur := slices.DeleteFunc(st.tags[in.ResourceArn], func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	if len(cur) == 0 {
		delete(st.tags, in.ResourceArn)
	} else {
		st.tags[in.ResourceArn] = cur
	}
	return struct{}{}, nil
}

// Tags returns a copy of a resource's tags.
func (s *Service) Tags(account, region, arn string) []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.state(account, region).tags[arn])
}
