package sagemaker

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// EndpointConfig is the fleet an endpoint runs: its production variants.
type EndpointConfig struct {
	EndpointConfigName       string
	EndpointConfigArn        string
	ProductionVariants       []ProductionVariant
	ShadowProductionVariants []ProductionVariant `json:",omitempty"`
	DataCaptureConfig        json.RawMessage     `json:",omitempty"`
	KmsKeyId                 string              `json:",omitempty"`
	AsyncInferenceConfig     json.RawMessage     `json:",omitempty"`
	ExplainerConfig          json.RawMessage     `json:",omitempty"`
	EnableNetworkIsolation   *bool               `json:",omitempty"`
	ExecutionRoleArn         string              `json:",omitempty"`
	VpcConfig                json.RawMessage     `json:",omitempty"`
	MetricsConfig            json.RawMessage     `json:",omitempty"`
	CreationTime             Timestamp

	seq uint64
}

// ProductionVariant is one model behind an endpoint, with its capacity.
type ProductionVariant struct {
	VariantName                                 string
	ModelName                                   string          `json:",omitempty"`
	InitialInstanceCount                        *int32          `json:",omitempty"`
	InstanceType                                string          `json:",omitempty"`
	InitialVariantWeight                        *float32        `json:",omitempty"`
	AcceleratorType                             string          `json:",omitempty"`
	VolumeSizeInGB                              *int32          `json:",omitempty"`
	ModelDataDownloadTimeoutInSeconds           *int32          `json:",omitempty"`
	ContainerStartupHealthCheckTimeoutInSeconds *int32          `json:",omitempty"`
	EnableSSMAccess                             *bool           `json:",omitempty"`
	InferenceAmiVersion                         string          `json:",omitempty"`
	ServerlessConfig                            json.RawMessage `json:",omitempty"`
	ManagedInstanceScaling                      json.RawMessage `json:",omitempty"`
	RoutingConfig                               json.RawMessage `json:",omitempty"`
	CoreDumpConfig                              json.RawMessage `json:",omitempty"`
	CapacityReservationConfig                   json.RawMessage `json:",omitempty"`
}

func init() {
	handlers["CreateEndpointConfig"] = (*Service).createEndpointConfig
	handlers["DescribeEndpointConfig"] = (*Service).describeEndpointConfig
	handlers["DeleteEndpointConfig"] = (*Service).deleteEndpointConfig
}

func (s *Service) createEndpointConfig(st *state, c service.Caller, body []byte) (any, error) {
	var in struct {
		EndpointConfig
		Tags []Tag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ec := in.EndpointConfig
	if err := checkName(ec.EndpointConfigName, "endpointConfigName"); err != nil {
		return nil, err
	}
	switch n := len(ec.ProductionVariants); {
	case n == 0:
		return nil, constraintError(nil, "productionVariants", "Member must not be null")
	case n > 10:
		return nil, constraintError("[...]", "productionVariants", "Member must have length less than or equal to 10")
	}
	seen := map[string]bool{}
	for i, v := range ec.ProductionVariants {
		if err := checkName(v.VariantName, fmt.Sprintf("productionVariants.%d.member.variantName", i+1)); err != nil {
			return nil, err
		}
		if seen[strings.ToLower(v.VariantName)] {
			return nil, validationError("Duplicate variant name %q in ProductionVariants.", v.VariantName)
		}
		seen[strings.ToLower(v.VariantName)] = true
		if v.ModelName == "" {
			return nil, constraintError(nil, fmt.Sprintf("productionVariants.%d.member.modelName", i+1), "Member must not be null")
		}
		if _, err := st.model(v.ModelName); err != nil {
			return nil, err
		}
		if v.ServerlessConfig == nil && (v.InstanceType == "" || v.InitialInstanceCount == nil) {
			return nil, validationError("Either ServerlessConfig or both InstanceType and InitialInstanceCount must be specified for variant %q.", v.VariantName)
		}
	}
	if err := checkServerless(st, ec); err != nil {
		return nil, err
	}
	if err := s.guardEndpointConfig(st, c, ec, in.Tags); err != nil {
		return nil, err
	}
	key := strings.ToLower(ec.EndpointConfigName)
	ec.EndpointConfigArn = st.arn("endpoint-config", ec.EndpointConfigName)
	if _, ok := st.configs[key]; ok {
		return nil, validationError("Cannot create already existing endpoint configuration %q.", ec.EndpointConfigArn)
	}
	if err := st.addTags(ec.EndpointConfigArn, in.Tags); err != nil {
		return nil, err
	}
	ec.CreationTime = stamp(s.now())
	ec.seq = st.next()
	st.configs[key] = &ec
	return map[string]string{"EndpointConfigArn": ec.EndpointConfigArn}, nil
}

func (st *state) endpointConfig(name string) (*EndpointConfig, error) {
	n := nameFromARN(name, "endpoint-config")
	ec, ok := st.configs[strings.ToLower(n)]
	if !ok {
		return nil, validationError("Could not find endpoint configuration %q.", st.arn("endpoint-config", n))
	}
	return ec, nil
}

func (s *Service) describeEndpointConfig(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ EndpointConfigName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.EndpointConfigName, "endpointConfigName"); err != nil {
		return nil, err
	}
	return st.endpointConfig(in.EndpointConfigName)
}

// deleteEndpointConfig deletes a config even when an endpoint uses it, as
// SageMaker does (its documentation only warns against it).
func (s *Service) deleteEndpointConfig(st *state, _ service.Caller, body []byte) (any, error) {
	var in struct{ EndpointConfigName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required(in.EndpointConfigName, "endpointConfigName"); err != nil {
		return nil, err
	}
	ec, err := st.endpointConfig(in.EndpointConfigName)
	if err != nil {
		return nil, err
	}
	delete(st.configs, strings.ToLower(ec.EndpointConfigName))
	delete(st.tags, ec.EndpointConfigArn)
	return struct{}{}, nil
}
