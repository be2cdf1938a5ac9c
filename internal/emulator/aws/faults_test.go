package awsemu_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

func TestFaults(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.S3().CreateBucket("dev-models", devAccount); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.S3().PutObject("dev-models", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	put := func(creds aws.Credentials, opts ...func(*aws.Config)) error {
		_, err := e.s3(creds, opts...).PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("dev-models"), Key: aws.String("k"), Body: strings.NewReader("v2")})
		return err
	}
	whoami := func(creds aws.Credentials, opts ...func(*aws.Config)) error {
		_, err := e.sts(creds, opts...).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		return err
	}
	tests := []struct {
		name     string
		fault    awsemu.Fault
		call     func() error
		code     string
		attempts int    // requests the call makes
		op       string // service:Operation counted
		statuses []int
	}{
		{name: "s3 throttled twice then retried to success",
			fault: awsemu.Fault{Service: "s3", Operation: "PutObject", Throttle: 2},
			call:  func() error { return put(e.dev, fastRetries) }, attempts: 3, op: "s3:PutObject", statuses: []int{503, 503, 200}},
		{name: "s3 throttled beyond the retry budget",
			fault: awsemu.Fault{Service: "s3", Operation: "PutObject", Throttle: 5},
			call:  func() error { return put(e.dev, fastRetries) }, code: "SlowDown", attempts: 3, op: "s3:PutObject"},
		{name: "sts throttling code",
			fault: awsemu.Fault{Service: "sts", Throttle: 1},
			call:  func() error { return whoami(e.dev, noRetries) }, code: "Throttling", attempts: 1, op: "sts:GetCallerIdentity", statuses: []int{400}},
		{name: "sts 5xx retried",
			fault: awsemu.Fault{Service: "sts", Operation: "GetCallerIdentity", ServerError: 1},
			call:  func() error { return whoami(e.dev, fastRetries) }, attempts: 2, op: "sts:GetCallerIdentity", statuses: []int{503, 200}},
		{name: "s3 5xx code",
			fault: awsemu.Fault{Service: "s3", ServerError: 1},
			call:  func() error { return put(e.dev, noRetries) }, code: "InternalError", attempts: 1, op: "s3:PutObject", statuses: []int{500}},
		{name: "access denied for one account",
			fault: awsemu.Fault{Service: "sts", Account: devAccount, AccessDenied: true},
			call:  func() error { return whoami(e.dev, fastRetries) }, code: "AccessDenied", attempts: 1, op: "sts:GetCallerIdentity"},
		{name: "other accounts unaffected",
			fault: awsemu.Fault{Service: "sts", Account: devAccount, AccessDenied: true},
			call:  func() error { return whoami(e.prod) }, attempts: 1, op: "sts:GetCallerIdentity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.ResetRequests()
			remove := e.srv.InjectFault(tc.fault)
			defer remove()
			err := tc.call()
			if code := apiCode(t, err); code != tc.code {
				t.Fatalf("code %q, want %q (%v)", code, tc.code, err)
			}
			if n := e.srv.Count(splitOp(tc.op)); n != tc.attempts {
				t.Errorf("%s count %d, want %d", tc.op, n, tc.attempts)
			}
			if tc.statuses != nil {
				var got []int
				for _, r := range e.srv.Requests() {
					got = append(got, r.Status)
				}
				if !slices.Equal(got, tc.statuses) {
					t.Errorf("statuses %v, want %v", got, tc.statuses)
				}
			}
		})
	}
}

func TestFaultLatency(t *testing.T) {
	e := newEnv(t)
	remove := e.srv.InjectFault(awsemu.Fault{Service: "sts", Latency: 150 * time.Millisecond})
	start := time.Now()
	if _, err := e.sts(e.dev).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("took %s with 150ms latency", d)
	}
	remove()
	start = time.Now()
	if _, err := e.sts(e.dev).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("took %s after removing the fault", d)
	}
}

func TestRequestLog(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sts(e.dev).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	bad := e.dev
	bad.AccessKeyID = "AKIANOTAKEY000000000"
	_, _ = e.s3(bad, noRetries).ListBuckets(ctx(t), &s3.ListBucketsInput{})
	reqs := e.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	if r := reqs[0]; r.Service != "sts" || r.Operation != "GetCallerIdentity" || r.Account != devAccount ||
		r.Caller != "arn:aws:iam::"+devAccount+":user/admin" || r.Status != 200 || r.Time.IsZero() {
		t.Errorf("first %+v", r)
	}
	if r := reqs[1]; r.Service != "s3" || r.Operation != "ListBuckets" || r.Account != "" || r.Status != 403 {
		t.Errorf("second %+v", r)
	}
	if c := e.srv.Counts(); c["sts:GetCallerIdentity"] != 1 || c["s3:ListBuckets"] != 1 {
		t.Errorf("counts %v", c)
	}
}

func splitOp(op string) (string, string) {
	svc, name, _ := strings.Cut(op, ":")
	return svc, name
}

func TestRequestLogLimit(t *testing.T) {
	srv, err := awsemu.New(awsemu.Options{DataDir: t.TempDir(), RequestLogLimit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	creds, err := srv.AddAccount("dev", devAccount)
	if err != nil {
		t.Fatal(err)
	}
	c := sts.NewFromConfig(srv.Config(creds))
	for range 10 {
		if _, err := c.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.Requests()); n > 4 || n < 2 {
		t.Errorf("log holds %d entries with limit 4", n)
	}
	if n := srv.Count("sts", "GetCallerIdentity"); n != 10 {
		t.Errorf("count %d, want 10", n)
	}
}
