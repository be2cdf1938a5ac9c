package awsemu_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

// hostRecorder is an HTTP client that records where requests would go and
// sends none.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
}

var errRecorded = errors.New("recorded, not sent")

func (h *hostRecorder) Do(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hosts = append(h.hosts, r.URL.Host)
	return nil, errRecorded
}

// A client built from a Config taken before Start must never reach AWS:
// the bug was an endpoint computed for that case and then overwritten
// with the (empty) server URL, so the SDK resolved the real regional
// endpoints.
func TestConfigBeforeStartNeverReachesAWS(t *testing.T) {
	srv, err := awsemu.New(awsemu.Options{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}

	// As built: every request is refused before it leaves the process.
	_, err = sts.NewFromConfig(srv.Config(creds, noRetries)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "built before Start") {
		t.Errorf("GetCallerIdentity before Start: %v, want a refusal naming Start", err)
	}

	// Even with its HTTP client replaced, the endpoint every service
	// resolves (S3 virtual-hosted too) is the reserved .invalid host.
	rec := &hostRecorder{}
	cfg := srv.Config(creds, noRetries, func(c *aws.Config) { c.HTTPClient = rec })
	calls := map[string]func() error{
		"sts": func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			return err
		},
		"s3 virtual-hosted": func() error {
			_, err := s3.NewFromConfig(cfg).HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("models"), Key: aws.String("m")})
			return err
		},
		"s3 path-style": func() error {
			_, err := s3.NewFromConfig(cfg, awsemu.PathStyle).ListBuckets(ctx(t), &s3.ListBucketsInput{})
			return err
		},
		"sagemaker": func() error {
			_, err := sagemaker.NewFromConfig(cfg).ListEndpoints(ctx(t), &sagemaker.ListEndpointsInput{})
			return err
		},
		"cloudwatch": func() error {
			_, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, errRecorded) {
			t.Errorf("%s: %v, want the recorder's error", name, err)
		}
	}
	if len(rec.hosts) != len(calls) {
		t.Fatalf("recorded %d requests, want %d: %v", len(rec.hosts), len(calls), rec.hosts)
	}
	for _, h := range rec.hosts {
		if !strings.HasSuffix(h, ".invalid") || strings.Contains(h, "amazonaws") {
			t.Errorf("a client built before Start targets %q, want a .invalid host", h)
		}
	}
}
