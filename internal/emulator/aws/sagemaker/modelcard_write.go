package sagemaker

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Model card writes, as SageMaker documents them:
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelCard.html,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelCard.html and
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModelCardVersions.html.
// Content is a JSON document of at most 100,000 characters, in the model
// card JSON schema (modelcard_schema.go checks it). Every update
// makes a new version. One call may change the content or the status, not
// both. An Archived card's content cannot change: "Model Card is in
// Archived state" (API_ModelPackageModelCard.html).

// maxModelCardContent is Content's documented length limit.
const maxModelCardContent = 100000

var modelCardStatuses = []string{"Draft", "PendingReview", "Approved", "Archived"}

func init() {
	handlers["CreateModelCard"] = (*Service).createModelCard
	handlers["UpdateModelCard"] = (*Service).updateModelCard
	handlers["ListModelCardVersions"] = (*Service).listModelCardVersions
}

func conflict(format string, args ...any) error {
	e := validationError(format, args...).(*apiError)
	e.code = "ConflictException"
	e.status = http.StatusBadRequest
	return e
}

func checkCardContent(content string) error {
	if len(content) > maxModelCardContent {
		return constraintError("…", "content", "Member must have length less than or equal to 100000")
	}
	if content == "" {
		return nil
	}
	return checkCardSchema(content)
}

func checkCardStatus(status string, required bool) error {
	if status == "" && !required {
		return nil
	}
	if !slices.Contains(modelCardStatuses, status) {
		return constraintError(status, "modelCardStatus", "Member must satisfy enum value set: [Draft, PendingReview, Approved, Archived]")
	}
	return nil
}

func (s *Service) createModelCard(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		ModelCardName   string
		Content         string
		ModelCardStatus string
		Tags            []Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.ModelCardName, "modelCardName"); err != nil {
		return nil, err
	}
	if err := checkCardStatus(in.ModelCardStatus, true); err != nil {
		return nil, err
	}
	if err := checkCardContent(in.Content); err != nil {
		return nil, err
	}
	if len(st.modelCards[in.ModelCardName]) > 0 {
		return nil, conflict("Model card %s already exists.", st.arn("model-card", in.ModelCardName))
	}
	now := stamp(s.now())
	c := &ModelCard{ModelCardName: in.ModelCardName, ModelCardArn: st.arn("model-card", in.ModelCardName), ModelCardVersion: 1,
		Content: or(in.Content, "{}"), ModelCardStatus: in.ModelCardStatus, CreationTime: now, LastModifiedTime: now}
	if err := st.addTags(c.ModelCardArn, in.Tags); err != nil {
		return nil, err
	}
	st.modelCards[in.ModelCardName] = []*ModelCard{c}
	return map[string]string{"ModelCardArn": c.ModelCardArn}, nil
}

func (s *Service) updateModelCard(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		ModelCardName   string
		Content         *string
		ModelCardStatus string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	versions, name, err := st.cardVersions(in.ModelCardName)
	if err != nil {
		return nil, err
	}
	if in.Content != nil && in.ModelCardStatus != "" {
		return nil, validationError("You cannot update both model card content and model card status in a single call.")
	}
	if err := checkCardStatus(in.ModelCardStatus, false); err != nil {
		return nil, err
	}
	last := versions[len(versions)-1]
	next := *last
	next.ModelCardVersion = int32(len(versions) + 1)
	next.LastModifiedTime = stamp(s.now())
	switch {
	case in.Content != nil:
		if last.ModelCardStatus == "Archived" {
			return nil, validationError("Model Card is in Archived state")
		}
		if err := checkCardContent(*in.Content); err != nil {
			return nil, err
		}
		next.Content = *in.Content
	case in.ModelCardStatus != "":
		next.ModelCardStatus = in.ModelCardStatus
	default:
		return map[string]string{"ModelCardArn": last.ModelCardArn}, nil
	}
	st.modelCards[name] = append(versions, &next)
	return map[string]string{"ModelCardArn": next.ModelCardArn}, nil
}

// UpdateModelCardStatus changes a card's status as a person in the console
// would (a new version), for tests and the demo.
func (s *Service) UpdateModelCardStatus(account, region, name, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := json.Marshal(map[string]string{"ModelCardName": name, "ModelCardStatus": status})
	_, err := s.updateModelCard(s.state(account, region), service.Caller{}, body)
	return err
}

// ModelCardVersions returns every version of a card, oldest first.
func (s *Service) ModelCardVersions(account, region, name string) []ModelCard {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ModelCard
	for _, c := range s.state(account, region).modelCards[name] {
		out = append(out, *c)
	}
	return out
}

func (s *Service) listModelCardVersions(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		listFilter
		ModelCardName   string
		ModelCardStatus string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	versions, _, err := st.cardVersions(in.ModelCardName)
	if err != nil {
		return nil, err
	}
	type summary struct {
		ModelCardName, ModelCardArn, ModelCardStatus string
		ModelCardVersion                             int32
		CreationTime                                 Timestamp
		LastModifiedTime                             Timestamp `json:",omitzero"`
	}
	var all []summary
	for _, c := range versions {
		if in.ModelCardStatus != "" && c.ModelCardStatus != in.ModelCardStatus {
			continue
		}
		if !inTimeRange(c.LastModifiedTime, in.CreationTimeAfter, in.CreationTimeBefore) {
			continue
		}
		all = append(all, summary{c.ModelCardName, c.ModelCardArn, c.ModelCardStatus, c.ModelCardVersion, c.CreationTime, c.LastModifiedTime})
	}
	if in.SortOrder != "Ascending" { // Descending by default, as the API documents
		slices.Reverse(all)
	}
	start := 0
	if in.NextToken != "" {
		if err := json.Unmarshal([]byte(in.NextToken), &start); err != nil || start < 0 || start > len(all) {
			return nil, validationError("Invalid pagination token.")
		}
	}
	size := in.MaxResults
	if size <= 0 || size > 100 {
		size = 10
	}
	end := min(start+size, len(all))
	next := ""
	if end < len(all) {
		b, _ := json.Marshal(end)
		next = string(b)
	}
	return struct {
		ModelCardVersionSummaryList []summary
		NextToken                   string `json:",omitempty"`
	}{append([]summary{}, all[start:end]...), next}, nil
}
