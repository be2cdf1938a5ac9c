package sagemaker

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The member rules of CreateModelPackage and UpdateModelPackage, from the
// API model. clientTokenPattern is ClientToken's pattern.
var clientTokenPattern = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)

// validateNewPackage applies CreateModelPackage's member rules.
func validateNewPackage(in *createModelPackageInput) error {
	p := &in.ModelPackage
	switch {
	case p.ModelPackageGroupName != "" && p.ModelPackageName != "":
		return validationError("Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.")
	case p.ModelPackageGroupName == "" && p.ModelPackageName == "":
		return validationError("Missing ARN.")
	case p.ModelPackageGroupName != "" && len(in.Tags) > 0:
		return validationError("Tags cannot be set on a versioned model package: it takes the tags of its model package group %s.", p.ModelPackageGroupName)
	}
	if p.ModelPackageName != "" {
		if err := checkName(p.ModelPackageName, "modelPackageName"); err != nil {
			return err
		}
	}
	if p.ClientToken != "" && (len(p.ClientToken) > 36 || !clientTokenPattern.MatchString(p.ClientToken)) {
		return constraintError(p.ClientToken, "clientToken", "Member must have length less than or equal to 36 and satisfy regular expression pattern: ^[a-zA-Z0-9-]+$")
	}
	if err := validateInferenceSpecification(p.InferenceSpecification, "inferenceSpecification"); err != nil {
		return err
	}
	if err := validateApprovalStatus(p.ModelApprovalStatus); err != nil {
		return err
	}
	if err := validateCustomerMetadata(p.CustomerMetadataProperties); err != nil {
		return err
	}
	if m := p.MetadataProperties; m != nil {
		for member, v := range map[string]string{"commitId": m.CommitId, "repository": m.Repository, "generatedBy": m.GeneratedBy, "projectId": m.ProjectId} {
			if utf8.RuneCountInString(v) > 1024 {
				return constraintError(v, "metadataProperties."+member, "Member must have length less than or equal to 1024")
			}
		}
	}
	if p.ModelPackageDescription != "" && utf8.RuneCountInString(p.ModelPackageDescription) > 1024 {
		return constraintError(p.ModelPackageDescription, "modelPackageDescription", "Member must have length less than or equal to 1024")
	}
	// These are output-only; a client cannot set them.
	p.ModelPackageArn, p.ModelPackageVersion, p.ModelPackageStatus = "", 0, ""
	p.ApprovalDescription = ""
	return nil
}

func validateInferenceSpecification(spec *InferenceSpecification, member string) error {
	if spec == nil {
		return nil
	}
	n := len(spec.Containers)
	if n < 1 {
		return constraintError(nil, member+".containers", "Member must not be null")
	}
	if n > 15 {
		return constraintError("[...]", member+".containers", "Member must have length less than or equal to 15")
	}
	for i, c := range spec.Containers {
		at := fmt.Sprintf("%s.containers.%d.member.image", member, i+1)
		if c.Image == "" {
			return constraintError(nil, at, "Member must not be null")
		}
		if len(c.Image) > 255 || strings.ContainsAny(c.Image, " \t\n") {
			return constraintError(c.Image, at, "Member must have length less than or equal to 255 and satisfy regular expression pattern: [\\S]+")
		}
	}
	return nil
}

func validateApprovalStatus(v string) error {
	switch v {
	case "", "Approved", "Rejected", "PendingManualApproval":
		return nil
	}
	return constraintError(v, "modelApprovalStatus", "Member must satisfy enum value set: [Approved, Rejected, PendingManualApproval]")
}

var metadataPattern = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

// validateCustomerMetadata applies the CustomerMetadataMap limits: at most
// 50 entries, keys 1–128 and values up to 256 characters.
func validateCustomerMetadata(m map[string]string) error {
	if len(m) > 50 {
		return constraintError(fmt.Sprintf("map of %d entries", len(m)), "customerMetadataProperties", "Member must have length less than or equal to 50")
	}
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		v := m[k]
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128:
			return constraintError(k, "customerMetadataProperties", "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]")
		case !metadataPattern.MatchString(k):
			return constraintError(k, "customerMetadataProperties", "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)$]")
		case utf8.RuneCountInString(v) > 256:
			return constraintError(v, "customerMetadataProperties", "Map value must satisfy constraint: [Member must have length less than or equal to 256]")
		case !metadataPattern.MatchString(v):
			return constraintError(v, "customerMetadataProperties", "Map value must satisfy constraint: [Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)$]")
		}
	}
	return nil
}
