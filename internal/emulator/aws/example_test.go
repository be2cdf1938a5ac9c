package awsemu_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsemu "github.com/modelpromote/modelpromote/internal/emulator/aws"
)

// Two accounts, a cross-account role and a bucket: the prod role copies an
// artifact out of dev's bucket once dev's bucket policy lets it read.
func Example() {
	srv, err := awsemu.New(awsemu.Options{})
	if err != nil {
		panic(err)
	}
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()

	dev, _ := srv.AddAccount("dev", "111111111111")
	_, _ = srv.AddAccount("prod", "222222222222")
	_ = srv.AddRole(awsemu.Role{Account: "222222222222", Name: "promoter", Trust: []string{"111111111111"}, ExternalID: "modelpromote"})
	_ = srv.S3().CreateBucket("dev-models", "111111111111")
	_ = srv.S3().CreateBucket("prod-models", "222222222222")
	_ = srv.S3().PutObject("dev-models", "m/model.tar.gz", []byte("weights"))

	// The bot's usual credential chain: dev user → prod role.
	cfg := srv.Config(dev)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(
		sts.NewFromConfig(srv.Config(dev)), "arn:aws:iam::222222222222:role/promoter",
		func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String("modelpromote") }))
	prod := s3.NewFromConfig(cfg, awsemu.PathStyle)

	copyIn := &s3.CopyObjectInput{Bucket: aws.String("prod-models"), Key: aws.String("m/model.tar.gz"), CopySource: aws.String("dev-models/m/model.tar.gz")}
	_, err = prod.CopyObject(context.Background(), copyIn)
	fmt.Println("without policy:", strings.Contains(err.Error(), "AccessDenied"))

	_ = srv.S3().SetBucketPolicy("dev-models", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/promoter"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::dev-models/*"}]}`)
	_, err = prod.CopyObject(context.Background(), copyIn)
	fmt.Println("with policy:", err)

	sum, _ := srv.S3().SHA256("prod-models", "m/model.tar.gz")
	fmt.Println("sha256:", sum[:12], "copies:", srv.Count("s3", "CopyObject"))
	// Output:
	// without policy: true
	// with policy: <nil>
	// sha256: 9a129038d9a0 copies: 2
}
