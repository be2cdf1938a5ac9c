package sagemaker

import (
	"errors"
	"fmt"
	"net/http"
)

// apiError is an error the way SageMaker reports it: an HTTP status, an
// error code (__type) and a message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// asAPIError turns any error into the one the client sees; anything not
// already an *apiError is an internal failure.
func asAPIError(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	return &apiError{status: http.StatusInternalServerError, code: "InternalFailure", message: err.Error()}
}

// validationError is SageMaker's catch-all client error. Not-found errors
// from most Describe operations are reported this way too.
func validationError(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "ValidationException", message: fmt.Sprintf(format, args...)}
}

// resourceNotFound is the modelled ResourceNotFound error, used by the few
// operations whose API model declares it (DescribeModelCard, for one).
func resourceNotFound(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "ResourceNotFound", message: fmt.Sprintf(format, args...)}
}

// resourceLimitExceeded is the modelled ResourceLimitExceeded error.
func resourceLimitExceeded(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "ResourceLimitExceeded", message: fmt.Sprintf(format, args...)}
}

// constraintError words a failed member constraint the way AWS's request
// validation does ("1 validation error detected: Value ... at ... failed to
// satisfy constraint: ...").
func constraintError(value any, member, constraint string) error {
	v := "null"
	if value != nil {
		v = fmt.Sprintf("'%v'", value)
	}
	return validationError("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", v, member, constraint)
}

// required checks that a required string member was sent.
func required(v, member string) error {
	if v == "" {
		return constraintError(nil, member, "Member must not be null")
	}
	return nil
}
