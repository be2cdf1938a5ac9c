package awsemu

import (
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config returns an aws.Config whose clients talk to the emulator with the
// given credentials. It reads nothing from the environment or shared config
// files, but defaults what LoadDefaultConfig would (checksums when
// supported). S3 clients also need [PathStyle]:
//
//	s3.NewFromConfig(srv.Config(creds), awsemu.PathStyle)
//
// A Config built before Start can never reach AWS: its endpoint is a
// reserved .invalid host (RFC 2606) and its HTTP client refuses every
// request.
func (s *Server) Config(creds aws.Credentials, optFns ...func(*aws.Config)) aws.Config {
	endpoint := s.URL()
	var client aws.HTTPClient
	switch {
	case endpoint == "":
		endpoint, client = NotStartedEndpoint, notStarted{}
	case s.ts.TLS != nil:
		client = s.ts.Client()
	}
	cfg := aws.Config{
		Region: s.region,
		// What config.LoadDefaultConfig defaults to; the zero values
		// would turn S3's checksums off.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		BaseEndpoint:               aws.String(endpoint),
		HTTPClient:                 client,
		Credentials: credentials.NewStaticCredentialsProvider(
			creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
	}
	for _, fn := range optFns {
		fn(&cfg)
	}
	return cfg
}

// PathStyle makes an S3 client address buckets in the path, as the emulator
// requires.
func PathStyle(o *awss3.Options) { o.UsePathStyle = true }

// NotStartedEndpoint is the endpoint of a Config built before Start.
const NotStartedEndpoint = "http://awsemu-not-started.invalid"

// notStarted is the HTTP client of a Config built before Start.
type notStarted struct{}

func (notStarted) Do(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("aws emulator: %s %s refused: the client's Config was built before Start", r.Method, r.URL.Host)
}
