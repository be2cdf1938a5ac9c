// Package awsemu is an in-process AWS emulator for tests and the demo. The
// real aws-sdk-go-v2 clients (and the AWS CLI) talk to it unchanged; only
// their base endpoint differs, and S3 is addressed path-style.
//
// The core in this package authenticates each request (SigV4 in the
// Authorization header or a presigned query, recomputed with the SDK's own
// signer against the keys the emulator issued), tells accounts apart by the
// access key, injects faults on demand, logs requests and dispatches to a
// [service.Service] by the signing name in the request's credential scope.
// STS (package sts) and S3 (package s3) are built in; other services
// (SageMaker, CloudWatch) are mounted with [Server.Mount].
//
// A test typically does:
//
//	srv, _ := awsemu.New(awsemu.Options{DataDir: t.TempDir()})
//	_ = srv.Start()
//	defer srv.Close()
//	dev, _ := srv.AddAccount("dev", "111111111111")   // long-term creds
//	_ = srv.AddRole(awsemu.Role{Account: "222222222222", Name: "promoter", …})
//	_ = srv.S3().CreateBucket("dev-models", "111111111111")
//	client := s3.NewFromConfig(srv.Config(dev), awsemu.PathStyle)
//
// then asserts on state (srv.S3().Object, srv.S3().SHA256, srv.Requests,
// srv.Count) rather than on calls, and uses [Server.InjectFault] for
// throttling, 5xx, latency and access denied.
//
// What is emulated differs from AWS in known ways: IAM identity policies
// are not evaluated (a principal may do anything in its own account; bucket
// policies and role trust decide across accounts), bucket policies take no
// Conditions, OIDC providers are trusted by every account, and S3 has no
// versioning, ACLs, tagging or lifecycle. Signing times are checked for
// skew against the wall clock; credential expiry against [Server.Now],
// which [Server.Advance] moves.
package awsemu
