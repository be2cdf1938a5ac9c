// Package awserr classifies AWS API errors. Most SageMaker not-found errors
// are not typed: Describe* calls answer ValidationException with a "Could
// not find …" message, so classification looks at the error code and
// message through smithy.APIError.
package awserr

import (
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Code returns the API error code, or "".
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ResourceNotFound", "ResourceNotFoundException", "NoSuchKey", "NotFound", "NoSuchBucket", "NoSuchUpload":
		return true
	case "ValidationException":
		msg := ae.ErrorMessage()
		// DescribeTrainingJob answers "Requested resource not found."; most
		// other Describe* calls "Could not find …".
		return strings.Contains(msg, "Could not find") || strings.Contains(msg, "does not exist") ||
			strings.HasPrefix(msg, "Requested resource not found")
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// IsAlreadyExists reports whether err says the resource being created
// exists already. CreateModelPackageGroup documents no typed error for it
// (only ResourceLimitExceeded, see
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackageGroup.html):
// SageMaker answers ValidationException "Model Package Group already exists:
// ARN". Other creates answer ResourceInUse.
func IsAlreadyExists(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ResourceInUse", "ResourceInUseException":
		return true
	case "ValidationException":
		return strings.Contains(ae.ErrorMessage(), "already exists")
	}
	return false
}

// IsAccessDenied reports whether err is an authorization failure.
func IsAccessDenied(err error) bool {
	switch Code(err) {
	case "AccessDenied", "AccessDeniedException", "Forbidden":
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden && Code(err) == ""
}

// ErrGuardrail: the account's service control policies denied a create
// (the registry's and the endpoint deployer's errors wrap it).
var ErrGuardrail = errors.New("denied by the account's guardrails")

// SCPDeny returns AWS's message when err is a service control policy's
// explicit deny (IAM's wording,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
// Such a deny does not name the condition that failed.
func SCPDeny(err error) (string, bool) {
	var ae smithy.APIError
	if err == nil || !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" ||
		!strings.Contains(ae.ErrorMessage(), "explicit deny in a service control policy") {
		return "", false
	}
	return ae.ErrorMessage(), true
}

// IsThrottle reports whether err is throttling.
func IsThrottle(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool()
}
