package awserr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
)

// The errors below are the codes and messages SageMaker answers, as the
// SDK surfaces them (smithy.GenericAPIError, wrapped as the SDK wraps it).
func apiErr(code, msg string) error {
	return fmt.Errorf("operation error SageMaker: %w", &smithy.GenericAPIError{Code: code, Message: msg})
}

func TestIsNotFound(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"DescribeTrainingJob on a missing job", apiErr("ValidationException", "Requested resource not found."), true},
		{"DescribeEndpoint on a missing endpoint", apiErr("ValidationException", "Could not find endpoint \"x\"."), true},
		{"DescribeModelPackage on a missing version", apiErr("ValidationException", "ModelPackage arn:… does not exist."), true},
		{"typed ResourceNotFound", apiErr("ResourceNotFound", "Model card x"), true},
		{"an image that is not found is not a missing resource", apiErr("ValidationException", "Requested image 1.dkr.ecr/x not found."), false},
		{"another validation error", apiErr("ValidationException", "1 validation error detected"), false},
		{"not an API error", errors.New("dial tcp: refused"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := awserr.IsNotFound(tc.err); got != tc.want {
				t.Errorf("IsNotFound(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestIsAlreadyExists(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"CreateModelPackageGroup on an existing group", apiErr("ValidationException", "Model Package Group already exists: arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/fraud-detector"), true},
		{"ResourceInUse", apiErr("ResourceInUse", "Resource already in use"), true},
		{"a quota", apiErr("ResourceLimitExceeded", "too many groups"), false},
		{"another validation error", apiErr("ValidationException", "1 validation error detected"), false},
		{"not an API error", errors.New("EOF"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := awserr.IsAlreadyExists(tc.err); got != tc.want {
				t.Errorf("IsAlreadyExists(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
