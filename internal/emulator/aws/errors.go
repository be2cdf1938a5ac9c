package awsemu

import (
	"fmt"
	"net/http"
	"time"
)

// apiError is an error the core writes through a service's WriteError.
type apiError struct {
	Status  int
	Code    string
	Message string
}

// The codes and messages below are what AWS returns; S3 and the JSON
// services word some of them differently from the query services.

func errUnknownKey(svc string) apiError {
	switch svc {
	case "s3":
		return apiError{http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."}
	case "sagemaker":
		return apiError{http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	return apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."}
}

func errBadToken(svc string) apiError {
	if svc == "s3" {
		return apiError{http.StatusBadRequest, "InvalidToken", "The provided token is malformed or otherwise invalid."}
	}
	return errUnknownKey(svc)
}

func errExpiredToken(svc string) apiError {
	if svc == "s3" {
		return apiError{http.StatusBadRequest, "ExpiredToken", "The provided token has expired."}
	}
	return apiError{http.StatusBadRequest, "ExpiredToken", "The security token included in the request is expired"}
}

func errSignature(svc string) apiError {
	if svc == "s3" {
		return apiError{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	return apiError{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
}

// maxSkew is how far a request's signing time may be from the wall clock.
const maxSkew = 15 * time.Minute

func errSkew(svc string, signed time.Time) apiError {
	now := time.Now().UTC()
	switch svc {
	case "s3":
		return apiError{http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."}
	case "sagemaker":
		return apiError{http.StatusBadRequest, "InvalidSignatureException", fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			signed.Format("20060102T150405Z"), now.Add(-maxSkew).Format("20060102T150405Z"), now.Format("20060102T150405Z"))}
	}
	return apiError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
		signed.Format("20060102T150405Z"), now.Add(-maxSkew).Format("20060102T150405Z"), now.Format("20060102T150405Z"))}
}

func errIncompleteSignature(msg string) apiError {
	return apiError{http.StatusBadRequest, "IncompleteSignature", msg}
}

func errThrottle(svc string) apiError {
	switch svc {
	case "s3":
		return apiError{http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."}
	case "sts", "monitoring":
		// Query-protocol services call it Throttling.
		return apiError{http.StatusBadRequest, "Throttling", "Rate exceeded"}
	}
	return apiError{http.StatusBadRequest, "ThrottlingException", "Rate exceeded"}
}

func errServer(svc string) apiError {
	if svc == "s3" {
		return apiError{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."}
	}
	return apiError{http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable. Please try again."}
}

func errAccessDenied(svc, callerARN, op string) apiError {
	switch svc {
	case "s3":
		return apiError{http.StatusForbidden, "AccessDenied", "Access Denied"}
	case "sagemaker":
		return apiError{http.StatusBadRequest, "AccessDeniedException", "User: " + callerARN + " is not authorized to perform: sagemaker:" + op}
	}
	return apiError{http.StatusForbidden, "AccessDenied", "User: " + callerARN + " is not authorized to perform: " + svc + ":" + op}
}
