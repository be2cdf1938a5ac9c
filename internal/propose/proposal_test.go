package propose

import (
	"strings"
	"testing"
	"time"

	"github.com/modelpromote/modelpromote/internal/plan"
)

func sampleProposal() *Proposal {
	return &Proposal{Kind: KindNext, Model: "fraud-detector", Stage: "prod", ModelPackageGroup: "fraud-detector", Version: 13, FromVersion: 11,
		File: "promotions/fraud-detector.yaml", PackageARN: "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-detector/13", After: "staging"}
}

func samplePackage() *plan.ModelPackage {
	return &plan.ModelPackage{
		ARN: "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-detector/13", Group: "fraud-detector", Version: 13,
		Status: "Completed", ApprovalStatus: "Approved", CreatedAt: time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC),
		Containers: []plan.Container{{Image: "111111111111.dkr.ecr.eu-west-1.amazonaws.com/fraud@sha256:" + strings.Repeat("ab", 32),
			ModelDataURL: "s3://acme-ml-dev-artifacts/fraud-detector/13/model.tar.gz"}},
		CommitID: "0123456789abcdef0123456789abcdef01234567", Repository: "https://github.com/acme/fraud-detector.git",
		GeneratedBy:   "arn:aws:sagemaker:eu-west-1:111111111111:training-job/fraud-train-13",
		Reports:       []plan.ReportRef{{Kind: "modelQuality"}, {Kind: "modelQuality"}, {Kind: "biasPostTraining"}},
		ModelCardName: "fraud-detector",
	}
}

func TestBodyGolden(t *testing.T) {
	golden(t, "body-next.golden.md", []byte(sampleProposal().Body(samplePackage())))
	r := sampleProposal()
	r.Kind, r.Version, r.FromVersion, r.FailedVersion, r.FailedPR, r.After = KindRevert, 11, 12, 12, 42, ""
	r.PackageARN = strings.Replace(r.PackageARN, "/13", "/11", 1)
	golden(t, "body-revert.golden.md", []byte(r.Body(nil)))
}

func TestBlockRoundTripsAndCannotBeClosedEarly(t *testing.T) {
	p := sampleProposal()
	p.Model = "evil --> <b>x</b>"
	body := p.Body(nil)
	if strings.Count(body, "-->") != 1 {
		t.Errorf("the block can be closed early:\n%s", body)
	}
	got, ok := ParseBlock(body)
	if !ok || *got != *p {
		t.Errorf("parsed %+v, want %+v", got, p)
	}
	if _, ok := ParseBlock("no block here"); ok {
		t.Error("parsed a block from nothing")
	}
}
