package registry

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// adoptScan bounds how many of a group's newest packages are described when
// looking for one registered from the same source.
const adoptScan = 100

// Registered is the target package a copy produced or found.
type Registered struct {
	ARN string
	// Adopted is true when an earlier run had already registered it.
	Adopted bool
}

// Register makes sure the target registry holds the copy of req.Source:
// the group exists; a package whose provenance names the same source ARN is
// adopted; otherwise one is created from CopyInput with req's deterministic
// client token. Either way it waits for Completed, then sets Approved.
func (r *Registry) Register(ctx context.Context, req CopyRequest, poll time.Duration) (Registered, error) {
	if poll <= 0 {
		poll = 2 * time.Second
	}
	in, err := CopyInput(req)
	if err != nil {
		return Registered{}, err
	}
	if err := r.ensureGroup(ctx, req.TargetGroup, req.GroupTags); err != nil {
		return Registered{}, err
	}
	found, err := r.findCopy(ctx, req.TargetGroup, in)
	if err != nil {
		return Registered{}, err
	}
	reg := Registered{ARN: found, Adopted: found != ""}
	if found == "" {
		out, err := r.SM.CreateModelPackage(ctx, in)
		if err != nil {
			return Registered{}, fmt.Errorf("create model package in %s: %w", req.TargetGroup, explainPackageDeny(err, req.TargetGroup, req.GroupTags))
		}
		reg.ARN = aws.ToString(out.ModelPackageArn)
	}
	desc, err := r.waitCompleted(ctx, reg.ARN, poll)
	if err != nil {
		return reg, err
	}
	if desc.ModelApprovalStatus != types.ModelApprovalStatusApproved {
		if _, err := r.SM.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{
			ModelPackageArn:     aws.String(reg.ARN),
			ModelApprovalStatus: types.ModelApprovalStatusApproved,
			ApprovalDescription: aws.String("Approved by modelpromote: " + req.Provenance[plan.ProvenancePullRequest]),
		}); err != nil {
			return reg, fmt.Errorf("approve %s: %w", reg.ARN, err)
		}
	}
	return reg, nil
}

// Copy asks for the target registry's copy of a source package, in
// plain terms: RegisterCopy describes the source and builds the
// CopyRequest.
type Copy struct {
	// SourceARN is the package to copy.
	SourceARN   string
	TargetGroup string
	// TargetKMSKeyARN encrypts the package in the target account.
	TargetKMSKeyARN string
	// Copied maps every S3 URI the source refers to to its copy in the
	// target account; a URI missing from it stops the copy.
	Copied map[string]string
	// Provenance is added to CustomerMetadataProperties.
	Provenance map[string]string
	// Images maps each container image of the source to the reference the
	// target package holds (by digest, from a mirror); see
	// CopyRequest.Images.
	Images map[string]string
	// Tags are the environment's and the endpoint's: on the target group
	// when Register creates it, and added to it when it lacks one of
	// their keys (see ensureGroup).
	Tags map[string]string
}

// RegisterCopy registers (or adopts) the copy of a package of the source
// registry: it describes c.SourceARN with the source's credentials, then
// Registers it here with the deterministic client token. The source
// account, every bucket the source refers to and the source's KMS key are
// forbidden in the request.
func (r *Registry) RegisterCopy(ctx context.Context, source *Registry, c Copy, poll time.Duration) (Registered, error) {
	req, err := copyRequest(ctx, source, c)
	if err != nil {
		return Registered{}, err
	}
	return r.Register(ctx, req, poll)
}

// FindCopy returns the package of c.TargetGroup that Register would adopt
// for c ("" when none), reading only; like Register, it refuses (naming
// the package) one whose provenance names the source but which is not
// its faithful copy. Apply asks before copying anything.
func (r *Registry) FindCopy(ctx context.Context, source *Registry, c Copy) (string, error) {
	req, err := copyRequest(ctx, source, c)
	if err != nil {
		return "", err
	}
	in, err := CopyInput(req)
	if err != nil {
		return "", err
	}
	return r.findCopy(ctx, c.TargetGroup, in)
}

// copyRequest describes c's source package and builds the request for its
// copy.
func copyRequest(ctx context.Context, source *Registry, c Copy) (CopyRequest, error) {
	desc, err := source.DescribeARN(ctx, c.SourceARN)
	if err != nil {
		return CopyRequest{}, err
	}
	forbidden := []string{source.Account}
	for _, o := range objects(described(desc).refs()) {
		if bucket, _, ok := strings.Cut(strings.TrimPrefix(o.URI, "s3://"), "/"); ok && strings.HasPrefix(o.URI, "s3://") {
			forbidden = append(forbidden, "s3://"+bucket+"/")
		}
	}
	if sc := desc.SecurityConfig; sc != nil && aws.ToString(sc.KmsKeyId) != "" {
		forbidden = append(forbidden, aws.ToString(sc.KmsKeyId))
	}
	return CopyRequest{
		Source:          desc,
		TargetGroup:     c.TargetGroup,
		TargetKMSKeyARN: c.TargetKMSKeyARN,
		Rewrite: func(uri string) (string, error) {
			if t, ok := c.Copied[uri]; ok {
				return t, nil
			}
			return "", fmt.Errorf("%s was not copied to the target account", uri)
		},
		Provenance:  c.Provenance,
		Images:      c.Images,
		ClientToken: ClientToken(aws.ToString(desc.ModelPackageArn), c.TargetGroup),
		Forbidden:   forbidden,
		GroupTags:   c.Tags,
	}, nil
}

// ensureGroup makes sure the target group exists and carries tags. A
// versioned package takes no tags of its own: it "uses the tags associated
// with the model group"
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html#sagemaker-CreateModelPackage-request-Tags),
// so the group is where the environment's and the endpoint's tags go, and
// where an account's service control policy on tags looks. A new group is
// created with them; an existing one gets the keys it lacks (one ListTags,
// and an AddTags when something is missing). A value someone set on a key
// is left as it is: the group is shared by every stage the account runs,
// and an endpoint's tags must not flip it back and forth.
func (r *Registry) ensureGroup(ctx context.Context, group string, tags map[string]string) error {
	d, err := r.SM.DescribeModelPackageGroup(ctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
	if err == nil {
		return r.completeTags(ctx, aws.ToString(d.ModelPackageGroupArn), tags)
	}
	if !awserr.IsNotFound(err) {
		return fmt.Errorf("describe model package group %s: %w", group, err)
	}
	_, err = r.SM.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{
		ModelPackageGroupName:        aws.String(group),
		ModelPackageGroupDescription: aws.String("Promoted by modelpromote"),
		Tags:                         tagList(tags),
	})
	switch {
	case err == nil:
		return nil
	case awserr.IsAlreadyExists(err): // created meanwhile by another run
		d, err := r.SM.DescribeModelPackageGroup(ctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
		if err != nil {
			return fmt.Errorf("describe model package group %s: %w", group, err)
		}
		return r.completeTags(ctx, aws.ToString(d.ModelPackageGroupArn), tags)
	}
	return fmt.Errorf("create model package group %s: %w", group, explainGroupDeny(err, group, tags))
}

// completeTags adds to a group the keys of tags it lacks.
func (r *Registry) completeTags(ctx context.Context, arn string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	have := map[string]bool{}
	p := sagemaker.NewListTagsPaginator(r.SM, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the tags of %s: %w", arn, err)
		}
		for _, t := range page.Tags {
			have[aws.ToString(t.Key)] = true
		}
	}
	missing := map[string]string{}
	for k, v := range tags {
		if !have[k] {
			missing[k] = v
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := r.SM.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(arn), Tags: tagList(missing)}); err != nil {
		return fmt.Errorf("add the tags %s to %s: %w", strings.Join(slices.Sorted(maps.Keys(missing)), ", "), arn, err)
	}
	return nil
}

func tagList(tags map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// FindBySource returns the ARN of the package in group whose provenance
// names sourceARN, or "". It looks at the group's adoptScan newest
// packages. Provenance is metadata anyone who may register in the group
// can write: adopt only what findCopy accepts.
func (r *Registry) FindBySource(ctx context.Context, group, sourceARN string) (string, error) {
	d, err := r.findBySource(ctx, group, sourceARN)
	if d == nil || err != nil {
		return "", err
	}
	return aws.ToString(d.ModelPackageArn), nil
}

func (r *Registry) findBySource(ctx context.Context, group, sourceARN string) (*sagemaker.DescribeModelPackageOutput, error) {
	var found *sagemaker.DescribeModelPackageOutput
	scanned := 0
	err := r.Versions(ctx, group, false, func(s Summary) (bool, error) {
		scanned++
		d, err := r.DescribeARN(ctx, s.ARN)
		if awserr.IsNotFound(err) {
			// Deleted while the group was listed: look at the next one. A
			// not-found here must not end the scan as if the group were
			// empty, or a planted package further down would go unseen.
			return scanned < adoptScan, nil
		}
		if err != nil {
			return false, err
		}
		if d.CustomerMetadataProperties[plan.ProvenanceSourceARN] == sourceARN && d.ModelPackageStatus != types.ModelPackageStatusFailed {
			found = d
			return false, nil
		}
		return scanned < adoptScan, nil
	})
	if awserr.IsNotFound(err) {
		return nil, nil // no such group yet: nothing registered
	}
	if err != nil {
		return nil, fmt.Errorf("list model packages of %s: %w", group, err)
	}
	return found, nil
}

// findCopy returns the package of group registered from in's source, ""
// when there is none. A package whose provenance names the source is
// adopted only when it is what in would create: every S3 reference, field
// by field, at the URI apply wrote in the environment's bucket with the
// same ContentDigest, and the same container images. Anything else was
// planted (or altered) by someone who may register in the target, and is
// refused by name: its model data would be deployed while the evidence
// record lists the honest copies.
func (r *Registry) findCopy(ctx context.Context, group string, in *sagemaker.CreateModelPackageInput) (string, error) {
	sourceARN := in.CustomerMetadataProperties[plan.ProvenanceSourceARN]
	d, err := r.findBySource(ctx, group, sourceARN)
	if d == nil || err != nil {
		return "", err
	}
	arn := aws.ToString(d.ModelPackageArn)
	if why := unfaithful(d, in); why != "" {
		return "", fmt.Errorf("model package %s in group %s names source %s in its metadata but is not modelpromote's copy of it (%s): refusing to adopt it; delete it, or find who registered it", arn, group, sourceARN, why)
	}
	return arn, nil
}

// unfaithful says how a registered package differs from the copy in would
// create ("" when it does not).
func unfaithful(d *sagemaker.DescribeModelPackageOutput, in *sagemaker.CreateModelPackageInput) string {
	have, want := described(d).refs(), creating(in).refs()
	wantBy := map[string]ref{}
	for _, w := range want {
		wantBy[w.field] = w
	}
	haveBy, written := map[string]ref{}, map[string]bool{}
	for _, h := range have {
		haveBy[h.field] = h
	}
	for _, w := range want {
		written[aws.ToString(*w.uri)] = true
	}
	for _, h := range have {
		w, ok := wantBy[h.field]
		uri := aws.ToString(*h.uri)
		switch {
		case uri == "":
		case !ok && !written[uri]:
			// A field the copy does not set (SageMaker may fill one in)
			// must still name an object apply wrote.
			return fmt.Sprintf("%s is %s, not an object apply wrote", h.field, uri)
		case ok && aws.ToString(*w.uri) != uri:
			return fmt.Sprintf("%s is %s, not the copy apply wrote (%s)", h.field, uri, orNone(w))
		}
		if ok && aws.ToString(h.digest) != aws.ToString(w.digest) {
			return fmt.Sprintf("%s has ContentDigest %q, not %q", h.field, aws.ToString(h.digest), aws.ToString(w.digest))
		}
	}
	for _, w := range want {
		if uri := aws.ToString(*w.uri); uri != "" {
			if h, ok := haveBy[w.field]; !ok || aws.ToString(*h.uri) == "" {
				return fmt.Sprintf("%s is missing (want %s)", w.field, uri)
			}
		}
	}
	wantImages, haveImages := images(in.InferenceSpecification), images(d.InferenceSpecification)
	if strings.Join(wantImages, " ") != strings.Join(haveImages, " ") {
		return fmt.Sprintf("its containers run %v, not %v", haveImages, wantImages)
	}
	return ""
}

func orNone(r ref) string {
	if r.uri == nil || aws.ToString(*r.uri) == "" {
		return "none"
	}
	return aws.ToString(*r.uri)
}

func images(spec *types.InferenceSpecification) []string {
	var out []string
	if spec != nil {
		for _, c := range spec.Containers {
			out = append(out, aws.ToString(c.Image))
		}
	}
	return out
}

// Summary is one versioned package of a group, as listed.
type Summary struct {
	ARN     string
	Version int
	// Status is ModelPackageStatus: Completed, InProgress, Failed, …
	Status string
}

// Versions lists group's versioned packages newest first (only Approved
// ones with approvedOnly), calling visit for each until it answers false
// or fails. The error of the listing itself is SageMaker's, unwrapped.
func (r *Registry) Versions(ctx context.Context, group string, approvedOnly bool, visit func(Summary) (more bool, err error)) error {
	in := &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(r.groupRef(group)), ModelPackageType: types.ModelPackageTypeVersioned,
		SortBy: types.ModelPackageSortByCreationTime, SortOrder: types.SortOrderDescending, MaxResults: aws.Int32(50)}
	if approvedOnly {
		in.ModelApprovalStatus = types.ModelApprovalStatusApproved
	}
	pages := sagemaker.NewListModelPackagesPaginator(r.SM, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return r.shareErr(err)
		}
		for _, s := range page.ModelPackageSummaryList {
			more, err := visit(Summary{ARN: aws.ToString(s.ModelPackageArn), Version: int(aws.ToInt32(s.ModelPackageVersion)), Status: string(s.ModelPackageStatus)})
			if err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// waitCompleted polls a package until Completed (there is no SDK waiter
// for it), backing off, and fails on Failed.
func (r *Registry) waitCompleted(ctx context.Context, arn string, poll time.Duration) (*sagemaker.DescribeModelPackageOutput, error) {
	delay := poll
	for {
		d, err := r.DescribeARN(ctx, arn)
		if err != nil {
			return nil, err
		}
		switch d.ModelPackageStatus {
		case types.ModelPackageStatusCompleted:
			return d, nil
		case types.ModelPackageStatusFailed, types.ModelPackageStatusDeleting:
			reason := ""
			if sd := d.ModelPackageStatusDetails; sd != nil && len(sd.ValidationStatuses) > 0 {
				reason = ": " + aws.ToString(sd.ValidationStatuses[0].FailureReason)
			}
			return nil, fmt.Errorf("model package %s is %s%s", arn, d.ModelPackageStatus, reason)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s to complete: %w", arn, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// LatestApproved returns the newest Approved, Completed version of group.
func (r *Registry) LatestApproved(ctx context.Context, group string) (int, error) {
	latest := 0
	err := r.Versions(ctx, group, true, func(s Summary) (bool, error) {
		if s.Status == "Completed" && s.Version > 0 {
			latest = s.Version
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return 0, fmt.Errorf("list approved versions of %s: %w", group, err)
	}
	if latest == 0 {
		return 0, fmt.Errorf("model package group %s has no Approved, Completed version", group)
	}
	return latest, nil
}
