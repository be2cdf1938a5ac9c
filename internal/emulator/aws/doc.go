// Package awsemu is an in-process AWS emulator for tests and the demo. The
// real aws-sdk-go-v2 clients talk to it unchanged, only their base endpoint
// differs (S3 path-style).
//
// The core in this package authenticates each request (SigV4, verified with
// the SDK's own signer against the keys the emulator issued), tells accounts
// apart by the access key, injects faults on demand, logs requests and
// dispatches to a [service.Service] by the signing name in the request's
// credential scope. STS and S3 are built in; other services (SageMaker,
// CloudWatch) are mounted with [Server.Mount].
package awsemu
