package manifest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Name rules, from the SageMaker, S3, IAM and STS API references.
var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	// SageMaker EndpointName, EndpointConfigName, ModelName, VariantName,
	// ModelPackageGroupName: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$.
	sagemakerNameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	instanceTypeRE  = regexp.MustCompile(`^ml\.[a-z0-9]+\.[a-z0-9]+$`)
	// S3 bucket names (general purpose buckets).
	ipLikeRE     = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	bucketRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	stageNameRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // and 2–1224 long: validExternalID
	// GitHub logins: alphanumerics and single hyphens, at most 39.
	loginRE    = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$`)
	teamSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,99}$`)
	iamRoleRE  = regexp.MustCompile(`^role/[\w+=,.@/-]+$`)
	kmsKeyRE   = regexp.MustCompile(`^key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
)

// PartitionOf returns the AWS partition a region belongs to.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// ValidEndpointName reports whether s is a valid SageMaker endpoint (or
// endpoint config, model, variant, model package group) name.
func ValidEndpointName(s string) bool { return sagemakerNameRE.MatchString(s) }

// ValidBucketName reports whether s is a valid S3 general purpose bucket name.
func ValidBucketName(s string) bool {
	if !bucketRE.MatchString(s) || strings.Contains(s, "..") {
		return false
	}
	if ipLikeRE.MatchString(s) {
		return false // formatted like an IP address
	}
	return !strings.HasPrefix(s, "xn--") && !strings.HasSuffix(s, "-s3alias")
}

// checkRoleARN checks that s is an IAM role ARN in account, in the
// partition of region.
func checkRoleARN(s, account, region string) error {
	a, err := arn.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not an ARN", s)
	}
	if a.Service != "iam" || !iamRoleRE.MatchString(a.Resource) {
		return fmt.Errorf("%q is not an IAM role ARN (arn:%s:iam::%s:role/NAME)", s, PartitionOf(region), account)
	}
	if a.Region != "" {
		return fmt.Errorf("%q: IAM ARNs have no region, found %q", s, a.Region)
	}
	return checkPartitionAccount(s, a, account, region)
}

// checkKMSKeyARN checks that s is a KMS key ARN (not an alias) in account
// and region.
func checkKMSKeyARN(s, account, region string) error {
	a, err := arn.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not an ARN", s)
	}
	if a.Service != "kms" {
		return fmt.Errorf("%q is not a KMS key ARN", s)
	}
	if strings.HasPrefix(a.Resource, "alias/") {
		return fmt.Errorf("%q is a KMS alias: use the key's full ARN (arn:%s:kms:%s:%s:key/ID), because an alias resolves in the caller's account", s, PartitionOf(region), region, account)
	}
	if !kmsKeyRE.MatchString(a.Resource) {
		return fmt.Errorf("%q is not a KMS key ARN (resource must be key/<key-id>)", s)
	}
	if a.Region != region {
		return fmt.Errorf("%q is in region %q, but the environment is in %q", s, a.Region, region)
	}
	return checkPartitionAccount(s, a, account, region)
}

func checkPartitionAccount(s string, a arn.ARN, account, region string) error {
	if want := PartitionOf(region); a.Partition != want {
		return fmt.Errorf("%q is in partition %q, but region %s is in %q", s, a.Partition, region, want)
	}
	if a.AccountID != account {
		return fmt.Errorf("%q belongs to account %s, but the environment's account is %s", s, a.AccountID, account)
	}
	return nil
}

// checkPrincipal checks an approver or owner entry: a GitHub login or
// "team:slug".
func checkPrincipal(s string) error {
	if slug, ok := strings.CutPrefix(s, "team:"); ok {
		if !teamSlugRE.MatchString(slug) {
			return fmt.Errorf("%q: %q is not a valid team slug", s, slug)
		}
		return nil
	}
	if !loginRE.MatchString(s) {
		return fmt.Errorf("%q is neither a GitHub login nor team:SLUG", s)
	}
	return nil
}

// validExternalID reports whether s is a valid STS ExternalId.
func validExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && externalIDRE.MatchString(s)
}
