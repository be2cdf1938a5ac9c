package sagemaker

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Model is a deployable model: containers and an execution role.
type Model struct {
	ModelName                string
	ModelArn                 string
	PrimaryContainer         *ContainerDefinition  `json:",omitempty"`
	Containers               []ContainerDefinition `json:",omitempty"`
	ExecutionRoleArn         string                `json:",omitempty"`
	EnableNetworkIsolation   *bool                 `json:",omitempty"`
	VpcConfig                json.RawMessage       `json:",omitempty"`
	InferenceExecutionConfig json.RawMessage       `json:",omitempty"`
	CreationTime             Timestamp

	seq uint64
}

// ContainerDefinition is one container of a model.
type ContainerDefinition struct {
	ContainerHostname          string            `json:",omitempty"`
	Image                      string            `json:",omitempty"`
	ImageConfig                json.RawMessage   `json:",omitempty"`
	Mode                       string            `json:",omitempty"`
	ModelDataUrl               string            `json:",omitempty"`
	ModelDataSource            *ModelDataSource  `json:",omitempty"`
	Environment                map[string]string `json:",omitempty"`
	ModelPackageName           string            `json:",omitempty"`
	InferenceSpecificationName string            `json:",omitempty"`
	MultiModelConfig           json.RawMessage   `json:",omitempty"`
	AdditionalModelDataSources json.RawMessage   `json:",omitempty"`
	ContainerMetricsConfig     json.RawMessage   `json:",omitempty"`
}

// images lists the images a model runs.
func (m *Model) images() []string {
	var out []string
	if m.PrimaryContainer != nil {
		out = append(out, m.PrimaryContainer.Image)
	}
	for _, c := range m.Containers {
		out = append(out, c.Image)
	}
	return out
}

func init() {
	handlers["CreateModel"] = (*Service).createModel
	handlers["DescribeModel"] = (*Service).describeModel
	handlers["DeleteModel"] = (*Service).deleteModel
}

var roleARN = regexp.MustCompile(`^arn:aws[a-z\-]*:iam::(\d{12}):role/?[a-zA-Z_0-9+=,.@\-_/]+$`)

func (s *Service) createModel(st *state, c service.Caller, body []byte) (any, error) {
	var in struct {
		Model
		Tags []Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	m := in.Model
	if err := checkName(m.ModelName, "modelName"); err != nil {
		return nil, err
	}
	if m.ExecutionRoleArn != "" {
		match := roleARN.FindStringSubmatch(m.ExecutionRoleArn)
		if match == nil {
			return nil, constraintError(m.ExecutionRoleArn, "executionRoleArn", "Member must satisfy regular expression pattern: ^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$")
		}
		// iam:PassRole only passes roles of the caller's own account.
		if match[1] != st.account {
			return nil, validationError("Could not assume role %s. Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.", m.ExecutionRoleArn)
		}
	}
	if m.PrimaryContainer == nil && len(m.Containers) == 0 {
		return nil, validationError("Either PrimaryContainer or Containers must be specified.")
	}
	if err := s.guardModel(st, c, m, in.Tags); err != nil {
		return nil, err
	}
	if m.PrimaryContainer != nil && len(m.Containers) > 0 {
		return nil, validationError("PrimaryContainer and Containers cannot both be specified.")
	}
	if len(m.Containers) > 15 {
		return nil, constraintError("[...]", "containers", "Member must have length less than or equal to 15")
	}
	containers := m.Containers
	if m.PrimaryContainer != nil {
		containers = []ContainerDefinition{*m.PrimaryContainer}
	}
	for i, ct := range containers {
		if ct.ModelPackageName != "" {
			p, err := s.checkModelPackageSource(st, c, ct.ModelPackageName)
			if err != nil {
				return nil, err
			}
			// The model runs the package's images: the account must be
			// able to pull them as if they were named here.
			if s.opts.ImageAccess != nil && p.InferenceSpecification != nil {
				for _, pc := range p.InferenceSpecification.Containers {
					if err := s.opts.ImageAccess(st.account, st.region, pc.Image); err != nil {
						return nil, validationError("Could not access image %s of model package %s from account %s: %v", pc.Image, p.ModelPackageArn, st.account, err)
					}
				}
			}
			continue
		}
		if ct.Image == "" {
			return nil, constraintError(nil, fmt.Sprintf("containers.%d.member.image", i+1), "Member must not be null")
		}
		if s.opts.ImageAccess != nil {
			if err := s.opts.ImageAccess(st.account, st.region, ct.Image); err != nil {
				// Worded by the emulator; SageMaker's exact text varies.
				return nil, validationError("Could not access image %s from account %s: %v", ct.Image, st.account, err)
			}
		}
	}
	key := strings.ToLower(m.ModelName)
	m.ModelArn = st.arn("model", m.ModelName)
	if _, ok := st.models[key]; ok {
		return nil, validationError("Cannot create already existing model %q.", m.ModelArn)
	}
	if err := st.addTags(m.ModelArn, in.Tags); err != nil {
		return nil, err
	}
	m.CreationTime = stamp(s.now())
	m.seq = st.next()
	st.models[key] = &m
	return map[string]string{"ModelArn": m.ModelArn}, nil
}

// checkModelPackageSource checks a model package a container deploys from:
// it must be readable by the caller (see [Service.resolvePackage]) and, if
// versioned, Approved.
func (s *Service) checkModelPackageSource(st *state, c service.Caller, ref string) (*ModelPackage, error) {
	p, err := s.resolvePackage(st, c, ref, "CreateModel")
	if err != nil {
		return nil, err
	}
	if p.ModelPackageGroupName != "" && p.ModelApprovalStatus != "Approved" {
		return nil, validationError("Model package %s must be Approved to create a model from it; it is %s.", p.ModelPackageArn, p.ModelApprovalStatus)
	}
	return p, nil
}

func (st *state) model(name string) (*Model, error) {
	m, ok := st.models[strings.ToLower(nameFromARN(name, "model"))]
	if !ok {
		return nil, validationError("Could not find model %q.", st.arn("model", nameFromARN(name, "model")))
	}
	return m, nil
}

func (s *Service) describeModel(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ ModelName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelName, "modelName"); err != nil {
		return nil, err
	}
	return st.model(in.ModelName)
}

func (s *Service) deleteModel(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ ModelName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.ModelName, "modelName"); err != nil {
		return nil, err
	}
	m, err := st.model(in.ModelName)
	if err != nil {
		return nil, err
	}
	delete(st.models, strings.ToLower(m.ModelName))
	delete(st.tags, m.ModelArn)
	return struct{}{}, nil
}
