package sagemaker_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

func TestStateIsPerAccountAndRegion(t *testing.T) {
	e := newEnv(t)
	createGroup(t, e.prod, "churn")
	other := client(e.url, "AKIDPROD000000000000", "us-east-1")
	for name, c := range map[string]*sm.Client{"other account": e.dev, "other region": other} {
		_, err := c.DescribeModelPackageGroup(ctx(t), &sm.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String("churn")})
		apiError(t, err, "ValidationException")
		if _, err := c.CreateModelPackageGroup(ctx(t), &sm.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String("churn")}); err != nil {
			t.Errorf("%s: the same name is free: %v", name, err)
		}
	}
	if n := len(e.sm.Snapshot(prodAccount, "us-east-1").ModelPackageGroups); n != 1 {
		t.Errorf("us-east-1 has %d groups", n)
	}
}

func TestUnknownOperation(t *testing.T) {
	e := newEnv(t)
	if code, _ := rawCall(t, e.url, "CreateTrainingJob", `{}`); code != "UnknownOperationException" {
		t.Errorf("code = %s", code)
	}
}

// The core writes faults (throttling, access denied) through WriteError;
// the SDK must decode them as it would AWS's.
func TestWriteErrorIsDecodedBySDK(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		status int
		code   string
	}{
		{http.StatusBadRequest, "ThrottlingException"},
		{http.StatusBadRequest, "AccessDeniedException"},
		{http.StatusInternalServerError, "InternalFailure"},
		{http.StatusBadRequest, "ResourceNotFound"},
		{http.StatusBadRequest, "ResourceInUse"},
		{http.StatusBadRequest, "ConflictException"},
	} {
		t.Run(tt.code, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				e.sm.WriteError(w, r, tt.status, tt.code, "injected "+tt.code)
			}))
			defer srv.Close()
			_, err := client(srv.URL, "AKIDPROD000000000000", region).ListEndpoints(ctx(t), &sm.ListEndpointsInput{})
			if msg := apiError(t, err, tt.code); msg != "injected "+tt.code {
				t.Errorf("message = %q", msg)
			}
			var conflict *types.ConflictException
			var inUse *types.ResourceInUse
			if (tt.code == "ConflictException") != errors.As(err, &conflict) || (tt.code == "ResourceInUse") != errors.As(err, &inUse) {
				t.Errorf("%T: modelled errors must decode to their types", err)
			}
		})
	}
}
