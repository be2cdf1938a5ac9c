package awsemu

import (
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
func (s *Server) Config(creds aws.Credentials, optFns ...func(*aws.Config)) aws.Config {
	endpoint := s.URL()
	if endpoint == "" {
		// Never let a client built before Start fall back to real AWS.
		endpoint = "http://awsemu-not-started.invalid"
	}
	cfg := aws.Config{
		Region: s.region,
		// What config.LoadDefaultConfig defaults to; the zero values
		// would turn S3's checksums off.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		BaseEndpoint:               aws.String(s.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(
			creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
	}
	if s.ts != nil && s.ts.TLS != nil {
		cfg.HTTPClient = s.ts.Client()
	}
	for _, fn := range optFns {
		fn(&cfg)
	}
	return cfg
}

// PathStyle makes an S3 client address buckets in the path, as the emulator
// requires.
func PathStyle(o *awss3.Options) { o.UsePathStyle = true }
