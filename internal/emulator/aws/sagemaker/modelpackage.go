package sagemaker

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// ModelPackage is a model package, versioned (in a group) or not, with
// every member it was created with.
type ModelPackage struct {
	ModelPackageName                  string
	ModelPackageGroupName             string `json:",omitempty"`
	ModelPackageVersion               int32  `json:",omitempty"`
	ModelPackageArn                   string
	ModelPackageDescription           string `json:",omitempty"`
	CreationTime                      Timestamp
	LastModifiedTime                  Timestamp `json:",omitzero"`
	ModelPackageStatus                string
	ModelPackageStatusDetails         ModelPackageStatusDetails
	ModelApprovalStatus               string                  `json:",omitempty"`
	ApprovalDescription               string                  `json:",omitempty"`
	InferenceSpecification            *InferenceSpecification `json:",omitempty"`
	AdditionalInferenceSpecifications json.RawMessage         `json:",omitempty"`
	ModelMetrics                      *ModelMetrics           `json:",omitempty"`
	DriftCheckBaselines               *DriftCheckBaselines    `json:",omitempty"`
	MetadataProperties                *MetadataProperties     `json:",omitempty"`
	CustomerMetadataProperties        map[string]string       `json:",omitempty"`
	Domain                            string                  `json:",omitempty"`
	Task                              string                  `json:",omitempty"`
	SamplePayloadUrl                  string                  `json:",omitempty"`
	SourceUri                         string                  `json:",omitempty"`
	ModelCard                         *ModelPackageModelCard  `json:",omitempty"`
	ModelLifeCycle                    *ModelLifeCycle         `json:",omitempty"`
	SecurityConfig                    *SecurityConfig         `json:",omitempty"`
	CertifyForMarketplace             *bool                   `json:",omitempty"`
	SkipModelValidation               string                  `json:",omitempty"`
	ModelPackageRegistrationType      string                  `json:",omitempty"`
	ValidationSpecification           json.RawMessage         `json:",omitempty"`
	SourceAlgorithmSpecification      json.RawMessage         `json:",omitempty"`
	// ClientToken is the token the package was created with; it is not
	// part of DescribeModelPackage's output.
	ClientToken string `json:",omitempty"`
}

// createModelPackageInput is CreateModelPackage's request: the package's
// own members plus the ones that only steer creation.
type createModelPackageInput struct {
	ModelPackage
	Tags []Tag
}

func init() {
	handlers["CreateModelPackage"] = (*Service).createModelPackage
	handlers["DescribeModelPackage"] = (*Service).describeModelPackage
	handlers["ListModelPackages"] = (*Service).listModelPackages
	handlers["UpdateModelPackage"] = (*Service).updateModelPackage
}

func (s *Service) createModelPackage(st *state, c service.Caller, body []byte) (any, error) {
	var in createModelPackageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateNewPackage(&in); err != nil {
		return nil, err
	}
	if err := s.guardPackage(st, c, in); err != nil {
		return nil, err
	}
	p, err := st.addPackage(in, s)
	if err != nil {
		return nil, err
	}
	return map[string]string{"ModelPackageArn": p.ModelPackageArn}, nil
}

// addPackage creates a model package from a validated request, or returns
// the one an earlier request with the same client token created.
func (st *state) addPackage(in createModelPackageInput, s *Service) (*ModelPackage, error) {
	p := in.ModelPackage
	if p.ModelPackageGroupName != "" {
		g, ok := st.group(p.ModelPackageGroupName)
		if !ok {
			return nil, st.groupNotFound(p.ModelPackageGroupName)
		}
		tokenKey := g.ModelPackageGroupArn + "\x00" + p.ClientToken
		if prev, ok := st.tokens[tokenKey]; ok && p.ClientToken != "" {
			return prev, nil
		}
		g.lastVersion++
		p.ModelPackageGroupName = g.ModelPackageGroupName
		p.ModelPackageName = g.ModelPackageGroupName
		p.ModelPackageVersion = g.lastVersion
		p.ModelPackageArn = fmt.Sprintf("%s/%d", st.arn("model-package", g.ModelPackageGroupName), p.ModelPackageVersion)
		if p.ClientToken != "" {
			st.tokens[tokenKey] = &p
		}
	} else {
		p.ModelPackageArn = st.arn("model-package", p.ModelPackageName)
		if prev := st.findPackage(p.ModelPackageArn); prev != nil {
			if p.ClientToken != "" && prev.ClientToken == p.ClientToken {
				return prev, nil
			}
			return nil, validationError("Cannot create already existing model package %q.", p.ModelPackageArn)
		}
		if err := st.addTags(p.ModelPackageArn, in.Tags); err != nil {
			return nil, err
		}
	}
	if p.ModelApprovalStatus == "" {
		p.ModelApprovalStatus = "PendingManualApproval"
	}
	if p.ModelPackageRegistrationType == "" {
		p.ModelPackageRegistrationType = "Registered"
	}
	p.CreationTime = stamp(s.now())
	p.ModelPackageStatus = "Pending"
	p.ModelPackageStatusDetails = ModelPackageStatusDetails{ValidationStatuses: []ModelPackageStatusItem{}}
	st.packages = append(st.packages, &p)
	pp := &p
	failure, fails := st.packageFaults[strings.ToLower(p.ModelPackageGroupName)]
	delete(st.packageFaults, strings.ToLower(p.ModelPackageGroupName))
	// Registration is asynchronous: callers must poll for Completed.
	s.after(s.opts.PackageDelay/2, func() {
		if pp.ModelPackageStatus == "Pending" {
			pp.ModelPackageStatus = "InProgress"
		}
	})
	s.after(s.opts.PackageDelay, func() {
		if pp.ModelPackageStatus != "InProgress" && pp.ModelPackageStatus != "Pending" {
			return
		}
		pp.ModelPackageStatus = "Completed"
		if fails {
			pp.ModelPackageStatus = "Failed"
			pp.ModelPackageStatusDetails.ValidationStatuses = []ModelPackageStatusItem{{Name: pp.ModelPackageName, Status: "Failed", FailureReason: failure}}
		}
	})
	return pp, nil
}

// FailNextPackage makes the next model package created in the group end
// Failed instead of Completed, with reason as its validation failure.
func (s *Service) FailNextPackage(account, region, group, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(account, region)
	if st.packageFaults == nil {
		st.packageFaults = map[string]string{}
	}
	st.packageFaults[strings.ToLower(group)] = reason
}

// findPackage looks a package up by ARN (any case), "group/version" or the
// name of an unversioned package.
func (st *state) findPackage(nameOrARN string) *ModelPackage {
	ref := strings.ToLower(nameOrARN)
	if !strings.HasPrefix(ref, "arn:") {
		ref = st.arn("model-package", ref)
	}
	for _, p := range st.packages {
		if p.ModelPackageArn == ref {
			return p
		}
	}
	return nil
}

func (s *Service) describeModelPackage(st *state, c service.Caller, body []byte) (any, error) {
	var in struct{ ModelPackageName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelPackageName, "modelPackageName"); err != nil {
		return nil, err
	}
	p, err := s.resolvePackage(st, c, in.ModelPackageName, "DescribeModelPackage")
	if err != nil {
		return nil, err
	}
	out := *p
	out.ClientToken = ""
	return out, nil
}

func (s *Service) listModelPackages(st *state, c service.Caller, body []byte) (any, error) {
	var in struct {
		ModelPackageGroupName, ModelApprovalStatus, ModelPackageType string
		NameContains, SortBy, SortOrder, NextToken                   string
		CreationTimeAfter, CreationTimeBefore                        *Timestamp
		MaxResults                                                   int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.MaxResults > 100 {
		return nil, constraintError(in.MaxResults, "maxResults", "Member must have value less than or equal to 100")
	}
	if err := validateApprovalStatus(in.ModelApprovalStatus); err != nil {
		return nil, err
	}
	kind := in.ModelPackageType
	if kind == "" {
		// Without a type, AWS lists unversioned packages only, unless a
		// group is named.
		kind = "Unversioned"
		if in.ModelPackageGroupName != "" {
			kind = "Versioned"
		}
	}
	group := strings.ToLower(nameFromARN(in.ModelPackageGroupName, "model-package-group"))
	if owner := s.owner(st, in.ModelPackageGroupName); owner.account != st.account {
		// Another account's group, named by its ARN: listed as its
		// resource policy allows (share.go).
		if _, _, err := s.resolveGroup(st, c, in.ModelPackageGroupName, "ListModelPackages"); err != nil {
			return nil, err
		}
		st = owner
	}
	var all []modelPackageSummary
	for _, p := range st.packages {
		versioned := p.ModelPackageGroupName != ""
		switch {
		case kind == "Versioned" && !versioned, kind == "Unversioned" && versioned:
			continue
		case group != "" && strings.ToLower(p.ModelPackageGroupName) != group:
			continue
		case in.ModelApprovalStatus != "" && p.ModelApprovalStatus != in.ModelApprovalStatus:
			continue
		case in.NameContains != "" && !strings.Contains(strings.ToLower(p.ModelPackageName), strings.ToLower(in.NameContains)):
			continue
		case !inTimeRange(p.CreationTime, in.CreationTimeAfter, in.CreationTimeBefore):
			continue
		}
		all = append(all, summarize(p))
	}
	if in.SortBy == "Name" {
		slices.SortStableFunc(all, func(a, b modelPackageSummary) int {
			if c := strings.Compare(a.ModelPackageName, b.ModelPackageName); c != 0 {
				return c
			}
			return int(a.ModelPackageVersion - b.ModelPackageVersion)
		})
	}
	if in.SortOrder == "Descending" { // the API's default is Ascending
		slices.Reverse(all)
	}
	items, next, err := page(all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		ModelPackageSummaryList []modelPackageSummary
		NextToken               string `json:",omitempty"`
	}{nonNil(items), next}, nil
}

type modelPackageSummary struct {
	ModelPackageName             string
	ModelPackageGroupName        string `json:",omitempty"`
	ModelPackageVersion          int32  `json:",omitempty"`
	ModelPackageArn              string
	ModelPackageDescription      string `json:",omitempty"`
	CreationTime                 Timestamp
	ModelPackageStatus           string
	ModelApprovalStatus          string          `json:",omitempty"`
	ModelLifeCycle               *ModelLifeCycle `json:",omitempty"`
	ModelPackageRegistrationType string          `json:",omitempty"`
}

func summarize(p *ModelPackage) modelPackageSummary {
	return modelPackageSummary{
		ModelPackageName:             p.ModelPackageName,
		ModelPackageGroupName:        p.ModelPackageGroupName,
		ModelPackageVersion:          p.ModelPackageVersion,
		ModelPackageArn:              p.ModelPackageArn,
		ModelPackageDescription:      p.ModelPackageDescription,
		CreationTime:                 p.CreationTime,
		ModelPackageStatus:           p.ModelPackageStatus,
		ModelApprovalStatus:          p.ModelApprovalStatus,
		ModelLifeCycle:               p.ModelLifeCycle,
		ModelPackageRegistrationType: p.ModelPackageRegistrationType,
	}
}

// immutableOnUpdate are members of CreateModelPackage that are set at
// creation or never. They are not members of UpdateModelPackage at all, so
// the SDK cannot send them; a hand-made request that does is refused rather
// than silently ignored, so the mistake cannot go unnoticed.
var immutableOnUpdate = []string{"ModelMetrics", "MetadataProperties", "DriftCheckBaselines", "Domain", "Task", "SamplePayloadUrl", "ModelPackageDescription", "CertifyForMarketplace", "SecurityConfig"}

func (s *Service) updateModelPackage(st *state, _ service.Caller, body []byte) (any, error) {
	var raw map[string]json.RawMessage
	if err := decode(body, &raw); err != nil {
		return nil, err
	}
	for _, member := range immutableOnUpdate {
		if _, ok := raw[member]; ok {
			return nil, validationError("%s cannot be updated: it is set when the model package is created and never changed. UpdateModelPackage has no %s member.", member, member)
		}
	}
	var in struct {
		ModelPackageArn                        string
		ModelApprovalStatus                    string
		ApprovalDescription                    *string
		CustomerMetadataProperties             map[string]string
		CustomerMetadataPropertiesToRemove     []string
		InferenceSpecification                 *InferenceSpecification
		AdditionalInferenceSpecificationsToAdd json.RawMessage
		SourceUri                              *string
		ModelCard                              *ModelPackageModelCard
		ModelLifeCycle                         *ModelLifeCycle
		ModelPackageRegistrationType           string
		ClientToken                            string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelPackageArn, "modelPackageArn"); err != nil {
		return nil, err
	}
	if err := validateApprovalStatus(in.ModelApprovalStatus); err != nil {
		return nil, err
	}
	if err := validateInferenceSpecification(in.InferenceSpecification, "inferenceSpecification"); err != nil {
		return nil, err
	}
	p := st.findPackage(in.ModelPackageArn)
	if p == nil {
		return nil, validationError("Could not find model package with name %s.", in.ModelPackageArn)
	}
	merged := maps.Clone(p.CustomerMetadataProperties)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range in.CustomerMetadataProperties {
		merged[k] = v
	}
	for _, k := range in.CustomerMetadataPropertiesToRemove {
		delete(merged, k)
	}
	if err := validateCustomerMetadata(merged); err != nil {
		return nil, err
	}
	if len(merged) == 0 {
		merged = nil
	}
	p.CustomerMetadataProperties = merged
	if in.ModelApprovalStatus != "" {
		p.ModelApprovalStatus = in.ModelApprovalStatus
	}
	if in.ApprovalDescription != nil {
		p.ApprovalDescription = *in.ApprovalDescription
	}
	if in.InferenceSpecification != nil {
		p.InferenceSpecification = in.InferenceSpecification
	}
	if len(in.AdditionalInferenceSpecificationsToAdd) > 0 {
		p.AdditionalInferenceSpecifications = appendRawList(p.AdditionalInferenceSpecifications, in.AdditionalInferenceSpecificationsToAdd)
	}
	if in.SourceUri != nil {
		p.SourceUri = *in.SourceUri
	}
	if in.ModelCard != nil {
		p.ModelCard = in.ModelCard
	}
	if in.ModelLifeCycle != nil {
		p.ModelLifeCycle = in.ModelLifeCycle
	}
	if in.ModelPackageRegistrationType != "" {
		p.ModelPackageRegistrationType = in.ModelPackageRegistrationType
	}
	p.LastModifiedTime = stamp(s.now())
	return map[string]string{"ModelPackageArn": p.ModelPackageArn}, nil
}

// appendRawList concatenates two JSON arrays.
func appendRawList(a, b json.RawMessage) json.RawMessage {
	var x, y []json.RawMessage
	json.Unmarshal(a, &x)
	json.Unmarshal(b, &y)
	out, _ := json.Marshal(append(x, y...))
	return out
}
