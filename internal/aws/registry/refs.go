package registry

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// ref is one place a model package refers to an S3 object.
type ref struct {
	// field names the place as the SageMaker API does
	// ("ModelMetrics.ModelQuality.Statistics").
	field string
	// uri is the field itself, so that a copy can be rewritten in place.
	uri         **string
	contentType *string
	// digest is the recorded ContentDigest; nil where SageMaker has none.
	digest *string
}

// s3Fields are the parts of a model package that refer to S3. A
// DescribeModelPackageOutput and a CreateModelPackageInput share their
// types, so one walk serves reading a package and rewriting its copy.
type s3Fields struct {
	inference     *types.InferenceSpecification
	additional    []types.AdditionalInferenceSpecificationDefinition
	metrics       *types.ModelMetrics
	baselines     *types.DriftCheckBaselines
	samplePayload **string
}

func described(d *sagemaker.DescribeModelPackageOutput) s3Fields {
	return s3Fields{d.InferenceSpecification, d.AdditionalInferenceSpecifications, d.ModelMetrics, d.DriftCheckBaselines, &d.SamplePayloadUrl}
}

func creating(in *sagemaker.CreateModelPackageInput) s3Fields {
	return s3Fields{in.InferenceSpecification, in.AdditionalInferenceSpecifications, in.ModelMetrics, in.DriftCheckBaselines, &in.SamplePayloadUrl}
}

// refs lists every place the package refers to S3, present or empty, in a
// fixed order: containers, metrics, drift baselines, sample payload. It is
// the one walk over those shapes: the copy list, the URI rewrite of a
// copy and the report list are all read from it.
func (f s3Fields) refs() []ref {
	var out []ref
	add := func(field string, uri **string, contentType, digest *string) {
		out = append(out, ref{field: field, uri: uri, contentType: contentType, digest: digest})
	}
	containers := func(prefix string, cs []types.ModelPackageContainerDefinition) {
		for i := range cs {
			c, p := &cs[i], fmt.Sprintf("%s.Containers[%d].", prefix, i)
			add(p+"ModelDataUrl", &c.ModelDataUrl, nil, nil)
			if c.ModelDataSource != nil && c.ModelDataSource.S3DataSource != nil {
				add(p+"ModelDataSource.S3DataSource.S3Uri", &c.ModelDataSource.S3DataSource.S3Uri, nil, nil)
			}
			if c.AdditionalS3DataSource != nil {
				add(p+"AdditionalS3DataSource.S3Uri", &c.AdditionalS3DataSource.S3Uri, nil, nil)
			}
		}
	}
	if f.inference != nil {
		containers("InferenceSpecification", f.inference.Containers)
	}
	for i := range f.additional {
		containers(fmt.Sprintf("AdditionalInferenceSpecifications[%d]", i), f.additional[i].Containers)
	}
	src := func(field string, m *types.MetricsSource) {
		if m != nil {
			add(field, &m.S3Uri, m.ContentType, m.ContentDigest)
		}
	}
	file := func(field string, s *types.FileSource) {
		if s != nil {
			add(field, &s.S3Uri, s.ContentType, s.ContentDigest)
		}
	}
	if m := f.metrics; m != nil {
		if q := m.ModelQuality; q != nil {
			src("ModelMetrics.ModelQuality.Statistics", q.Statistics)
			src("ModelMetrics.ModelQuality.Constraints", q.Constraints)
		}
		if q := m.ModelDataQuality; q != nil {
			src("ModelMetrics.ModelDataQuality.Statistics", q.Statistics)
			src("ModelMetrics.ModelDataQuality.Constraints", q.Constraints)
		}
		if b := m.Bias; b != nil {
			src("ModelMetrics.Bias.Report", b.Report)
			src("ModelMetrics.Bias.PreTrainingReport", b.PreTrainingReport)
			src("ModelMetrics.Bias.PostTrainingReport", b.PostTrainingReport)
		}
		if e := m.Explainability; e != nil {
			src("ModelMetrics.Explainability.Report", e.Report)
		}
	}
	if b := f.baselines; b != nil {
		if x := b.Bias; x != nil {
			file("DriftCheckBaselines.Bias.ConfigFile", x.ConfigFile)
			src("DriftCheckBaselines.Bias.PreTrainingConstraints", x.PreTrainingConstraints)
			src("DriftCheckBaselines.Bias.PostTrainingConstraints", x.PostTrainingConstraints)
		}
		if x := b.Explainability; x != nil {
			file("DriftCheckBaselines.Explainability.ConfigFile", x.ConfigFile)
			src("DriftCheckBaselines.Explainability.Constraints", x.Constraints)
		}
		if x := b.ModelQuality; x != nil {
			src("DriftCheckBaselines.ModelQuality.Statistics", x.Statistics)
			src("DriftCheckBaselines.ModelQuality.Constraints", x.Constraints)
		}
		if x := b.ModelDataQuality; x != nil {
			src("DriftCheckBaselines.ModelDataQuality.Statistics", x.Statistics)
			src("DriftCheckBaselines.ModelDataQuality.Constraints", x.Constraints)
		}
	}
	add("SamplePayloadUrl", f.samplePayload, nil, nil)
	return out
}

// objects turns the refs that name an object into plan's plain type.
func objects(refs []ref) []plan.ObjectRef {
	var out []plan.ObjectRef
	for _, r := range refs {
		if uri := aws.ToString(*r.uri); uri != "" {
			out = append(out, plan.ObjectRef{Field: r.field, URI: uri, ContentType: aws.ToString(r.contentType), Digest: aws.ToString(r.digest)})
		}
	}
	return out
}

// reports lists the report sources of ModelMetrics by kind. A combined
// Bias.Report stands for either bias kind whose own report is absent.
func reports(refs []ref) []plan.ReportRef {
	byField := map[string]ref{}
	for _, r := range refs {
		byField[r.field] = r
	}
	var out []plan.ReportRef
	// add reports the first of fields the package has, if it names an object.
	add := func(kind manifest.ReportKind, part string, fields ...string) {
		for _, f := range fields {
			r, ok := byField["ModelMetrics."+f]
			if !ok {
				continue
			}
			if uri := aws.ToString(*r.uri); uri != "" {
				out = append(out, plan.ReportRef{Kind: kind, Part: part, S3URI: uri, ContentType: aws.ToString(r.contentType), Digest: aws.ToString(r.digest)})
			}
			return
		}
	}
	add(manifest.ReportModelQuality, plan.PartStatistics, "ModelQuality.Statistics")
	add(manifest.ReportModelQuality, plan.PartConstraints, "ModelQuality.Constraints")
	add(manifest.ReportDataQuality, plan.PartStatistics, "ModelDataQuality.Statistics")
	add(manifest.ReportDataQuality, plan.PartConstraints, "ModelDataQuality.Constraints")
	add(manifest.ReportBiasPreTraining, plan.PartReport, "Bias.PreTrainingReport", "Bias.Report")
	add(manifest.ReportBiasPostTraining, plan.PartReport, "Bias.PostTrainingReport", "Bias.Report")
	add(manifest.ReportExplainability, plan.PartReport, "Explainability.Report")
	return out
}
