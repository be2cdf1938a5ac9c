package awsemu_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// jsonService is a minimal JSON 1.1 service standing in for SageMaker: it
// answers ListModels and remembers who called.
type jsonService struct {
	mu      sync.Mutex
	callers []service.Caller
}

func (s *jsonService) Name() string { return "sagemaker" }

func (s *jsonService) Operation(r *http.Request) string {
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	return op
}

func (s *jsonService) ServeAWS(w http.ResponseWriter, r *http.Request, c service.Caller) {
	s.mu.Lock()
	s.callers = append(s.callers, c)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write([]byte(`{"Models":[]}`))
}

func (s *jsonService) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

func TestMountedService(t *testing.T) {
	e := newEnv(t)
	svc := &jsonService{}
	e.srv.Mount(svc)
	list := func(creds aws.Credentials, opts ...func(*aws.Config)) error {
		_, err := sagemaker.NewFromConfig(e.srv.Config(creds, opts...)).ListModels(ctx(t), &sagemaker.ListModelsInput{})
		return err
	}
	if err := list(e.prod); err != nil {
		t.Fatal(err)
	}
	if len(svc.callers) != 1 || svc.callers[0].Account != prodAccount || svc.callers[0].Region != "us-east-1" {
		t.Errorf("callers %+v", svc.callers)
	}
	if n := e.srv.Count("sagemaker", "ListModels"); n != 1 {
		t.Errorf("count %d", n)
	}
	bad := e.prod
	bad.SecretAccessKey = "wrong"
	if code := apiCode(t, list(bad, noRetries)); code != "SignatureDoesNotMatch" {
		t.Errorf("bad secret: %q", code)
	}
	if code := apiCode(t, list(aws.Credentials{AccessKeyID: "AKIANOPE", SecretAccessKey: "x"}, noRetries)); code != "UnrecognizedClientException" {
		t.Errorf("unknown key: %q", code)
	}
	e.srv.InjectFault(awsemu.Fault{Service: "sagemaker", Operation: "ListModels", Throttle: 1})
	if code := apiCode(t, list(e.prod, noRetries)); code != "ThrottlingException" {
		t.Errorf("throttled: %q", code)
	}
	e.srv.InjectFault(awsemu.Fault{Service: "sagemaker", Throttle: 2})
	if err := list(e.prod, fastRetries); err != nil {
		t.Errorf("throttled twice with retries: %v", err)
	}
}

// TestCallerChained: the core tells mounted services whether a session came
// from role chaining, and its source identity.
func TestCallerChained(t *testing.T) {
	e := newEnv(t)
	seedRoles(t, e)
	svc := &jsonService{}
	e.srv.Mount(svc)
	hop, err := e.sts(e.dev).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(hopRole), RoleSessionName: aws.String("hop"), SourceIdentity: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	chained, err := e.sts(credsOf(hop)).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(promoterRole), RoleSessionName: aws.String("pr-9"), ExternalId: aws.String("ext-123")})
	if err != nil {
		t.Fatal(err)
	}
	for _, creds := range []aws.Credentials{e.dev, credsOf(hop), credsOf(chained)} {
		if _, err := sagemaker.NewFromConfig(e.srv.Config(creds)).ListModels(ctx(t), &sagemaker.ListModelsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	want := []struct {
		arn     string
		chained bool
		si      string
	}{
		{"arn:aws:iam::" + devAccount + ":user/admin", false, ""},
		{"arn:aws:sts::" + devAccount + ":assumed-role/hop/hop", false, "alice"},
		{"arn:aws:sts::" + prodAccount + ":assumed-role/promoter/pr-9", true, "alice"},
	}
	for i, w := range want {
		if c := svc.callers[i]; c.ARN != w.arn || c.Chained != w.chained || c.SourceIdentity != w.si {
			t.Errorf("caller %d = %+v, want %+v", i, c, w)
		}
	}
}
