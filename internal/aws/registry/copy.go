package registry

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// metadataRE is what CreateModelPackage accepts in CustomerMetadataProperties
// keys and values: letters, separators, digits and _.:/=+-@.
var metadataRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// Limits of CreateModelPackage's CustomerMetadataProperties.
const (
	maxMetadataEntries  = 50
	maxMetadataKeyLen   = 128
	maxMetadataValueLen = 256
)

// Rewrite maps a source S3 URI to its copy in the target account. It must
// know every URI the source package refers to: an unknown URI is an error,
// so no source location can reach the target registry.
type Rewrite func(sourceURI string) (string, error)

// CopyRequest is what a target package is built from.
type CopyRequest struct {
	Source      *sagemaker.DescribeModelPackageOutput
	TargetGroup string
	// TargetKMSKeyARN encrypts the package in the target account.
	TargetKMSKeyARN string
	Rewrite         Rewrite
	// Provenance is added to CustomerMetadataProperties.
	Provenance map[string]string
	// ClientToken makes reruns of the same copy idempotent.
	ClientToken string
	// Forbidden are strings that must not appear anywhere in the request:
	// the source account ID, its bucket names, its KMS key.
	Forbidden []string
	// Images maps each container image of the source package to what the
	// target package holds: the image by the digest the check bound, or
	// the mirror's reference. Nil keeps the source's references; when set,
	// an image it does not map stops the copy.
	Images map[string]string
	// GroupTags go on the target group (see Register): a versioned
	// package takes no tags of its own, it uses its group's.
	GroupTags map[string]string
}

// CopyInput builds the CreateModelPackage input for a target package,
// field by field: every S3 URI rewritten, the source's KMS key, ARNs,
// versions, timestamps and ETags never carried, and (for a versioned
// package) no ModelPackageName and no Tags. ModelMetrics, MetadataProperties
// and DriftCheckBaselines can only be set at creation, so they are set here.
func CopyInput(req CopyRequest) (*sagemaker.CreateModelPackageInput, error) {
	src := req.Source
	in := &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName:   aws.String(req.TargetGroup),
		ModelPackageDescription: src.ModelPackageDescription,
		ModelApprovalStatus:     types.ModelApprovalStatusPendingManualApproval,
		ClientToken:             aws.String(req.ClientToken),
		Domain:                  src.Domain,
		Task:                    src.Task,
		SamplePayloadUrl:        src.SamplePayloadUrl,
		InferenceSpecification:  inference(src.InferenceSpecification),
		ModelMetrics:            metrics(src.ModelMetrics),
		DriftCheckBaselines:     baselines(src.DriftCheckBaselines),
		MetadataProperties:      copyMetadata(src.MetadataProperties),
	}
	provenance := map[string]string{}
	for k, v := range req.Provenance {
		provenance[k] = v
	}
	if m := src.MetadataProperties; m != nil && aws.ToString(m.GeneratedBy) != "" {
		// GeneratedBy names a job in the source account: it is provenance,
		// not something the target account can resolve.
		provenance[plan.ProvenanceGeneratedBy] = aws.ToString(m.GeneratedBy)
	}
	for _, a := range src.AdditionalInferenceSpecifications {
		spec := inference(&types.InferenceSpecification{Containers: a.Containers})
		a.Containers = spec.Containers
		in.AdditionalInferenceSpecifications = append(in.AdditionalInferenceSpecifications, a)
	}
	if err := rewriteImages(in, req.Images); err != nil {
		return nil, err
	}
	if req.TargetKMSKeyARN != "" {
		in.SecurityConfig = &types.ModelPackageSecurityConfig{KmsKeyId: aws.String(req.TargetKMSKeyARN)}
	}
	if src.ModelCard != nil {
		in.ModelCard = &types.ModelPackageModelCard{ModelCardContent: src.ModelCard.ModelCardContent, ModelCardStatus: src.ModelCard.ModelCardStatus}
	}
	// Every structure holding a URI is the copy's own, so the rewrite
	// replaces the copy's pointers and never touches the source's.
	for _, r := range creating(in).refs() {
		uri := aws.ToString(*r.uri)
		if uri == "" {
			continue
		}
		target, err := req.Rewrite(uri)
		if err != nil {
			return nil, err
		}
		*r.uri = aws.String(target)
	}
	meta, err := metadata(src.CustomerMetadataProperties, provenance)
	if err != nil {
		return nil, err
	}
	in.CustomerMetadataProperties = meta
	if err := checkForbidden(in, req.Forbidden); err != nil {
		return nil, err
	}
	return in, nil
}

// inference copies an inference specification without the source's
// observations: ImageDigest and the ETags are recomputed by SageMaker for
// the target.
func inference(spec *types.InferenceSpecification) *types.InferenceSpecification {
	if spec == nil {
		return nil
	}
	out := &types.InferenceSpecification{
		SupportedContentTypes:                   spec.SupportedContentTypes,
		SupportedResponseMIMETypes:              spec.SupportedResponseMIMETypes,
		SupportedRealtimeInferenceInstanceTypes: spec.SupportedRealtimeInferenceInstanceTypes,
		SupportedTransformInstanceTypes:         spec.SupportedTransformInstanceTypes,
	}
	for _, c := range spec.Containers {
		nc := types.ModelPackageContainerDefinition{
			Image:             c.Image,
			ContainerHostname: c.ContainerHostname,
			Environment:       c.Environment,
			Framework:         c.Framework,
			FrameworkVersion:  c.FrameworkVersion,
			NearestModelName:  c.NearestModelName,
			ModelInput:        c.ModelInput,
			ModelDataUrl:      c.ModelDataUrl,
		}
		if ds := c.ModelDataSource; ds != nil && ds.S3DataSource != nil {
			s := *ds.S3DataSource
			s.ETag, s.ManifestEtag = nil, nil
			nc.ModelDataSource = &types.ModelDataSource{S3DataSource: &s}
		}
		if a := c.AdditionalS3DataSource; a != nil {
			s := *a
			s.ETag = nil
			nc.AdditionalS3DataSource = &s
		}
		out.Containers = append(out.Containers, nc)
	}
	return out
}

// source copies a metrics source. The content is copied byte for byte, so
// its digest stays valid.
func source(m *types.MetricsSource) *types.MetricsSource {
	if m == nil {
		return nil
	}
	return &types.MetricsSource{ContentType: m.ContentType, S3Uri: m.S3Uri, ContentDigest: m.ContentDigest}
}

func file(f *types.FileSource) *types.FileSource {
	if f == nil {
		return nil
	}
	return &types.FileSource{ContentType: f.ContentType, S3Uri: f.S3Uri, ContentDigest: f.ContentDigest}
}

func metrics(m *types.ModelMetrics) *types.ModelMetrics {
	if m == nil {
		return nil
	}
	out := &types.ModelMetrics{}
	if q := m.ModelQuality; q != nil {
		out.ModelQuality = &types.ModelQuality{Statistics: source(q.Statistics), Constraints: source(q.Constraints)}
	}
	if q := m.ModelDataQuality; q != nil {
		out.ModelDataQuality = &types.ModelDataQuality{Statistics: source(q.Statistics), Constraints: source(q.Constraints)}
	}
	if b := m.Bias; b != nil {
		out.Bias = &types.Bias{Report: source(b.Report), PreTrainingReport: source(b.PreTrainingReport), PostTrainingReport: source(b.PostTrainingReport)}
	}
	if e := m.Explainability; e != nil {
		out.Explainability = &types.Explainability{Report: source(e.Report)}
	}
	return out
}

func baselines(b *types.DriftCheckBaselines) *types.DriftCheckBaselines {
	if b == nil {
		return nil
	}
	out := &types.DriftCheckBaselines{}
	if x := b.Bias; x != nil {
		out.Bias = &types.DriftCheckBias{ConfigFile: file(x.ConfigFile), PreTrainingConstraints: source(x.PreTrainingConstraints), PostTrainingConstraints: source(x.PostTrainingConstraints)}
	}
	if x := b.Explainability; x != nil {
		out.Explainability = &types.DriftCheckExplainability{ConfigFile: file(x.ConfigFile), Constraints: source(x.Constraints)}
	}
	if x := b.ModelQuality; x != nil {
		out.ModelQuality = &types.DriftCheckModelQuality{Statistics: source(x.Statistics), Constraints: source(x.Constraints)}
	}
	if x := b.ModelDataQuality; x != nil {
		out.ModelDataQuality = &types.DriftCheckModelDataQuality{Statistics: source(x.Statistics), Constraints: source(x.Constraints)}
	}
	return out
}

// copyMetadata copies MetadataProperties but GeneratedBy (see CopyInput).
func copyMetadata(m *types.MetadataProperties) *types.MetadataProperties {
	if m == nil {
		return nil
	}
	c := *m
	c.GeneratedBy = nil
	return &c
}

// metadata merges the source's customer metadata with the provenance,
// within CreateModelPackage's limits. Provenance wins a key clash.
func metadata(src, provenance map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range src {
		out[k] = v
	}
	for k, v := range provenance {
		out[k] = v
	}
	if len(out) > maxMetadataEntries {
		return nil, fmt.Errorf("customer metadata would have %d entries (source %d + provenance %d); SageMaker allows %d", len(out), len(src), len(provenance), maxMetadataEntries)
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(k) > maxMetadataKeyLen {
			return nil, fmt.Errorf("customer metadata key %q is longer than %d characters", k, maxMetadataKeyLen)
		}
		if len([]rune(out[k])) > maxMetadataValueLen {
			return nil, fmt.Errorf("customer metadata %q is longer than %d characters", k, maxMetadataValueLen)
		}
		if !metadataRE.MatchString(k) || !metadataRE.MatchString(out[k]) {
			return nil, fmt.Errorf("customer metadata %q=%q has characters SageMaker refuses (allowed: letters, digits, spaces and _.:/=+-@)", k, out[k])
		}
	}
	return out, nil
}

// checkForbidden refuses a request in which any forbidden string (the
// source account, its buckets, its KMS key) still appears.
func checkForbidden(in *sagemaker.CreateModelPackageInput, forbidden []string) error {
	// The provenance deliberately names the source package, and container
	// images are referenced, not copied (the target pulls them, which an
	// ECR repository policy must allow, often from a shared account):
	// check everything else.
	clean := *in
	clean.CustomerMetadataProperties = nil
	clean.InferenceSpecification = withoutImages(in.InferenceSpecification)
	clean.AdditionalInferenceSpecifications = nil
	for _, a := range in.AdditionalInferenceSpecifications {
		spec := withoutImages(&types.InferenceSpecification{Containers: a.Containers})
		a.Containers = spec.Containers
		clean.AdditionalInferenceSpecifications = append(clean.AdditionalInferenceSpecifications, a)
	}
	data, err := json.Marshal(clean)
	if err != nil {
		return err
	}
	for _, f := range forbidden {
		if f != "" && strings.Contains(string(data), f) {
			return fmt.Errorf("the target package request still refers to %q from the source account; refusing to register it", f)
		}
	}
	return nil
}

// rewriteImages replaces every container's image with what images maps it
// to (nothing when images is nil). The containers are the copy's own
// (inference), so the source is not touched.
func rewriteImages(in *sagemaker.CreateModelPackageInput, images map[string]string) error {
	if images == nil {
		return nil
	}
	specs := [][]types.ModelPackageContainerDefinition{}
	if in.InferenceSpecification != nil {
		specs = append(specs, in.InferenceSpecification.Containers)
	}
	for _, a := range in.AdditionalInferenceSpecifications {
		specs = append(specs, a.Containers)
	}
	for _, cs := range specs {
		for i := range cs {
			img := aws.ToString(cs[i].Image)
			to, ok := images[img]
			if !ok {
				return fmt.Errorf("image %s of the source package was not checked: the target can only be given images the pull request's check bound to a digest", img)
			}
			cs[i].Image = aws.String(to)
		}
	}
	return nil
}

func withoutImages(spec *types.InferenceSpecification) *types.InferenceSpecification {
	if spec == nil {
		return nil
	}
	c := *spec
	c.Containers = nil
	for _, ct := range spec.Containers {
		ct.Image = nil
		c.Containers = append(c.Containers, ct)
	}
	return &c
}

// ClientToken derives CreateModelPackage's idempotency token from the
// source package and target group: the same copy always sends the same
// token (a UUIDv5-shaped SHA-1 name digest, 36 characters), unlike the
// SDK's random default, which only covers retries of one call.
func ClientToken(sourceARN, targetGroup string) string {
	h := sha1.Sum([]byte("modelpromote:" + sourceARN + "|" + targetGroup))
	h[6] = (h[6] & 0x0f) | 0x50 // version 5
	h[8] = (h[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
