package sagemaker

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Endpoint is a real-time endpoint and the rollout it is going through.
type Endpoint struct {
	EndpointName             string
	EndpointArn              string
	EndpointConfigName       string `json:",omitempty"`
	EndpointStatus           string
	FailureReason            string `json:",omitempty"`
	CreationTime             Timestamp
	LastModifiedTime         Timestamp
	ProductionVariants       []ProductionVariantSummary `json:",omitempty"`
	LastDeploymentConfig     *DeploymentConfig          `json:",omitempty"`
	PendingDeploymentSummary *PendingDeploymentSummary  `json:",omitempty"`
	// History records every status change and which config served then.
	// It is not part of DescribeEndpoint's output.
	History []EndpointEvent `json:",omitempty"`

	seq     uint64
	rollout *rollout
}

// EndpointEvent is one status change of an endpoint.
type EndpointEvent struct {
	Time               Timestamp
	EndpointStatus     string
	EndpointConfigName string
	FailureReason      string `json:",omitempty"`
}

// ProductionVariantSummary is a variant as it runs.
type ProductionVariantSummary struct {
	VariantName          string
	DeployedImages       []DeployedImage `json:",omitempty"`
	CurrentWeight        *float32        `json:",omitempty"`
	DesiredWeight        *float32        `json:",omitempty"`
	CurrentInstanceCount *int32          `json:",omitempty"`
	DesiredInstanceCount *int32          `json:",omitempty"`
}

// PendingProductionVariantSummary is a variant of a rollout in progress.
type PendingProductionVariantSummary struct {
	ProductionVariantSummary
	InstanceType  string          `json:",omitempty"`
	VariantStatus []VariantStatus `json:",omitempty"`
}

// VariantStatus is the stage a variant's deployment is in
// (ProductionVariantStatus,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantStatus.html):
// Creating, Updating, Deleting, ActivatingTraffic or Baking.
type VariantStatus struct {
	Status        string
	StatusMessage string    `json:",omitempty"`
	StartTime     Timestamp `json:",omitzero"`
}

// DeployedImage is an image as specified and as resolved to a digest.
type DeployedImage struct {
	SpecifiedImage string    `json:",omitempty"`
	ResolvedImage  string    `json:",omitempty"`
	ResolutionTime Timestamp `json:",omitzero"`
}

// PendingDeploymentSummary describes an update in progress.
type PendingDeploymentSummary struct {
	EndpointConfigName string
	ProductionVariants []PendingProductionVariantSummary `json:",omitempty"`
	StartTime          Timestamp                         `json:",omitzero"`
}

func init() {
	handlers["CreateEndpoint"] = (*Service).createEndpoint
	handlers["UpdateEndpoint"] = (*Service).updateEndpoint
	handlers["DescribeEndpoint"] = (*Service).describeEndpoint
	handlers["DeleteEndpoint"] = (*Service).deleteEndpoint
	handlers["ListEndpoints"] = (*Service).listEndpoints
}

func (st *state) endpoint(name string) (*Endpoint, error) {
	n := nameFromARN(name, "endpoint")
	e, ok := st.endpoints[strings.ToLower(n)]
	if !ok {
		return nil, validationError("Could not find endpoint %q.", st.arn("endpoint", n))
	}
	return e, nil
}

// setStatus moves e to a status and records it.
func (s *Service) setStatus(e *Endpoint, status, reason string) {
	e.EndpointStatus = status
	e.FailureReason = reason
	e.LastModifiedTime = stamp(s.now())
	e.History = append(e.History, EndpointEvent{Time: e.LastModifiedTime, EndpointStatus: status, EndpointConfigName: e.EndpointConfigName, FailureReason: reason})
}

func (s *Service) createEndpoint(st *state, c service.Caller, body []byte) (any, error) {
	var in struct {
		EndpointName, EndpointConfigName string
		DeploymentConfig                 *DeploymentConfig
		Tags                             []Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.EndpointName, "endpointName"); err != nil {
		return nil, err
	}
	if err := checkName(in.EndpointConfigName, "endpointConfigName"); err != nil {
		return nil, err
	}
	key := strings.ToLower(in.EndpointName)
	arn := st.arn("endpoint", in.EndpointName)
	if _, ok := st.endpoints[key]; ok {
		return nil, validationError("Cannot create already existing endpoint %q.", arn)
	}
	ec, err := st.endpointConfig(in.EndpointConfigName)
	if err != nil {
		return nil, err
	}
	if err := s.validateDeploymentConfig(st, in.DeploymentConfig); err != nil {
		return nil, err
	}
	if err := s.checkQuota(st, ec, nil); err != nil {
		return nil, err
	}
	if err := s.guardEndpoint(st, c, in.EndpointName, in.Tags); err != nil {
		return nil, err
	}
	if err := st.addTags(arn, in.Tags); err != nil {
		return nil, err
	}
	e := &Endpoint{
		EndpointName:         in.EndpointName,
		EndpointArn:          arn,
		EndpointConfigName:   ec.EndpointConfigName,
		CreationTime:         stamp(s.now()),
		LastDeploymentConfig: in.DeploymentConfig,
		seq:                  st.next(),
	}
	st.endpoints[key] = e
	s.setStatus(e, "Creating", "")
	r := &rollout{config: ec.EndpointConfigName, create: true, steps: 1, fault: st.takeFault(key)}
	e.rollout = r
	s.after(s.opts.EndpointDelay, func() { s.step(st, e, r) })
	return map[string]string{"EndpointArn": arn}, nil
}

func (s *Service) updateEndpoint(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		EndpointName, EndpointConfigName string
		DeploymentConfig                 *DeploymentConfig
		RetainDeploymentConfig           bool
		RetainAllVariantProperties       bool
		ExcludeRetainedVariantProperties []VariantProperty
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkName(in.EndpointName, "endpointName"); err != nil {
		return nil, err
	}
	if err := checkName(in.EndpointConfigName, "endpointConfigName"); err != nil {
		return nil, err
	}
	e, err := st.endpoint(in.EndpointName)
	if err != nil {
		return nil, err
	}
	switch e.EndpointStatus {
	case "InService", "UpdateRollbackFailed", "OutOfService":
	case "Failed":
		return nil, validationError("Cannot update endpoint %q because it is in Failed status. Delete the endpoint and create it again.", e.EndpointArn)
	default:
		return nil, validationError("Cannot update in-progress endpoint %q.", e.EndpointArn)
	}
	ec, err := st.endpointConfig(in.EndpointConfigName)
	if err != nil {
		return nil, err
	}
	dc := in.DeploymentConfig
	if dc == nil && in.RetainDeploymentConfig {
		dc = e.LastDeploymentConfig
	}
	if err := s.validateDeploymentConfig(st, dc); err != nil {
		return nil, err
	}
	if err := s.checkUpdate(st, e, ec, dc); err != nil {
		return nil, err
	}
	var keep retained
	if in.RetainAllVariantProperties {
		if keep, err = retain(e, in.ExcludeRetainedVariantProperties); err != nil {
			return nil, err
		}
	}
	fleet := keep.apply(st.variantSummaries(ec, s.now()))
	if err := checkShiftSize(dc, fleet); err != nil {
		return nil, err
	}
	if err := s.checkQuota(st, ec, fleet); err != nil {
		return nil, err
	}
	key := strings.ToLower(e.EndpointName)
	r := &rollout{config: ec.EndpointConfigName, deployment: dc, steps: dc.steps(), fault: st.takeFault(key), trip: st.takeTrip(key), retain: keep, fleet: fleet}
	e.rollout = r
	e.PendingDeploymentSummary = &PendingDeploymentSummary{
		EndpointConfigName: ec.EndpointConfigName,
		ProductionVariants: pending(fleet),
		StartTime:          stamp(s.now()),
	}
	s.setVariantStatus(e, "Creating", "Launching the new fleet; no traffic on it yet.")
	s.setStatus(e, "Updating", "")
	s.after(s.opts.EndpointDelay, func() { s.step(st, e, r) })
	return map[string]string{"EndpointArn": e.EndpointArn}, nil
}

func (s *Service) describeEndpoint(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ EndpointName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.EndpointName, "endpointName"); err != nil {
		return nil, err
	}
	e, err := st.endpoint(in.EndpointName)
	if err != nil {
		return nil, err
	}
	out := *e
	out.History = nil
	return out, nil
}

// deleteEndpoint is allowed in every status: it is the only way out of
// Failed. The endpoint shows Deleting for one phase, then is gone.
func (s *Service) deleteEndpoint(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ EndpointName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.EndpointName, "endpointName"); err != nil {
		return nil, err
	}
	e, err := st.endpoint(in.EndpointName)
	if err != nil {
		return nil, err
	}
	if e.EndpointStatus == "Deleting" {
		return struct{}{}, nil
	}
	e.rollout = nil
	e.PendingDeploymentSummary = nil
	s.setStatus(e, "Deleting", "")
	s.after(s.opts.EndpointDelay, func() {
		if cur, ok := st.endpoints[strings.ToLower(e.EndpointName)]; ok && cur == e {
			delete(st.endpoints, strings.ToLower(e.EndpointName))
			delete(st.tags, e.EndpointArn)
		}
	})
	return struct{}{}, nil
}

func (s *Service) listEndpoints(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct {
		NameContains, StatusEquals, SortBy, SortOrder, NextToken string
		CreationTimeAfter, CreationTimeBefore                    *Timestamp
		MaxResults                                               int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	type summary struct {
		EndpointName     string
		EndpointArn      string
		EndpointStatus   string
		CreationTime     Timestamp
		LastModifiedTime Timestamp
	}
	var all []summary
	for _, e := range inOrder(st.endpoints, func(e *Endpoint) uint64 { return e.seq }) {
		if in.NameContains != "" && !strings.Contains(strings.ToLower(e.EndpointName), strings.ToLower(in.NameContains)) {
			continue
		}
		if in.StatusEquals != "" && e.EndpointStatus != in.StatusEquals {
			continue
		}
		if !inTimeRange(e.CreationTime, in.CreationTimeAfter, in.CreationTimeBefore) {
			continue
		}
		all = append(all, summary{e.EndpointName, e.EndpointArn, e.EndpointStatus, e.CreationTime, e.LastModifiedTime})
	}
	switch in.SortBy {
	case "Name":
		slices.SortStableFunc(all, func(a, b summary) int { return strings.Compare(a.EndpointName, b.EndpointName) })
	case "Status":
		slices.SortStableFunc(all, func(a, b summary) int { return strings.Compare(a.EndpointStatus, b.EndpointStatus) })
	}
	if in.SortOrder != "Ascending" { // the API's default is Descending
		slices.Reverse(all)
	}
	items, next, err := page(all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return struct {
		Endpoints []summary
		NextToken string `json:",omitempty"`
	}{nonNil(items), next}, nil
}

// variantSummaries describes how the variants of ec run.
func (st *state) variantSummaries(ec *EndpointConfig, now time.Time) []ProductionVariantSummary {
	var out []ProductionVariantSummary
	for _, v := range ec.ProductionVariants {
		weight := float32(1)
		if v.InitialVariantWeight != nil {
			weight = *v.InitialVariantWeight
		}
		vs := ProductionVariantSummary{
			VariantName:          v.VariantName,
			CurrentWeight:        &weight,
			DesiredWeight:        &weight,
			CurrentInstanceCount: v.InitialInstanceCount,
			DesiredInstanceCount: v.InitialInstanceCount,
		}
		if m, ok := st.models[strings.ToLower(v.ModelName)]; ok {
			for _, img := range m.images() {
				vs.DeployedImages = append(vs.DeployedImages, DeployedImage{SpecifiedImage: img, ResolvedImage: resolve(img), ResolutionTime: stamp(now)})
			}
		}
		out = append(out, vs)
	}
	return out
}

func pending(vs []ProductionVariantSummary) []PendingProductionVariantSummary {
	out := make([]PendingProductionVariantSummary, len(vs))
	for i, v := range vs {
		out[i] = PendingProductionVariantSummary{ProductionVariantSummary: v}
	}
	return out
}

// resolve pins an image to a digest, as SageMaker does when it deploys: an
// image given by digest stays as it is; a tag gets a stable made-up digest.
func resolve(image string) string {
	if strings.Contains(image, "@sha256:") {
		return image
	}
	repo := image
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo = image[:i]
	}
	sum := sha256.Sum256([]byte(image))
	return repo + "@sha256:" + hex.EncodeToString(sum[:])
}
