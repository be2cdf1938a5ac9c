package report

import (
	"fmt"
	"math"
	"time"

	"github.com/modelpromote/modelpromote/internal/evidence"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/policy"
)

// Plans built by hand as the check would leave them, for golden files.

var (
	checkedAt   = time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)
	headSHA     = "4f2a9c1e7b3d5f60819a2b3c4d5e6f708192a3b4"
	oldSHA      = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807"
	checkRunURL = "https://github.com/acme/ml-promotions/runs/31337"
)

func f64(v float64) *float64 { return &v }

var (
	staging = manifest.Environment{Name: "staging", Account: "222222222222", Region: "eu-west-1",
		RoleARN: "arn:aws:iam::222222222222:role/modelpromote-deploy", ArtifactBucket: "ml-artifacts-staging"}
	prod = manifest.Environment{Name: "prod", Account: "333333333333", Region: "eu-west-1", After: "staging",
		RoleARN: "arn:aws:iam::333333333333:role/modelpromote-deploy", ArtifactBucket: "ml-artifacts-prod"}
)

// measured is a metric value with its standard deviation.
type measured struct{ v, sd float64 }

func metrics(group string, ms map[string]measured) map[string]evidence.Metric {
	if ms == nil {
		return nil
	}
	out := map[string]evidence.Metric{}
	for k, m := range ms {
		p := group + "." + k
		out[p] = evidence.Metric{Path: p, Value: evidence.Num(m.v), StdDev: evidence.Num(m.sd)}
	}
	return out
}

// diff compares metrics the way the evaluation check does and judges them
// against the thresholds that select them.
func diff(live, cand map[string]evidence.Metric, ts []manifest.Threshold) []plan.MetricRow {
	var rows []plan.MetricRow
	for _, c := range evidence.CompareAll(live, cand) {
		row := plan.MetricRow{Change: c}
		mp, err := evidence.ParsePath(c.Path)
		if err != nil {
			panic(err)
		}
		for _, t := range ts {
			sel, err := evidence.ParsePath(t.Metric)
			if err != nil {
				panic(err)
			}
			if !sel.Selects(mp) {
				continue
			}
			var lv *float64
			if c.Old.Set {
				lv = f64(c.Old.Float)
			}
			row.Thresholds = append(row.Thresholds, policy.Evaluate(t, c.New.Float, lv)...)
		}
		rows = append(rows, row)
	}
	return rows
}

var prodThresholds = []manifest.Threshold{
	{Metric: "binary_classification_metrics.auc", Min: f64(0.80), MaxRegression: f64(0.01)},
	{Metric: "binary_classification_metrics.recall", MaxRelativeRegression: f64(0.05)},
	{Metric: "bias.post_training.DI", Between: []float64{0.8, 1.25}},
}

var liveFraud = map[string]measured{
	"auc": {0.9312, 0.0041}, "accuracy": {0.9650, 0.0022}, "precision": {0.8120, 0.0110},
	"recall": {0.7430, 0.0130}, "f1": {0.7760, 0.0090}, "false_positive_rate": {0.0210, 0.0015},
	"true_positive_rate": {0.7430, 0.0130}, "au_prc": {0.8010, math.NaN()},
}

func candidateFraud(auc float64) map[string]measured {
	return map[string]measured{
		"auc": {auc, 0.0039}, "accuracy": {0.9671, 0.0021}, "precision": {0.8290, 0.0105},
		"recall": {0.7390, 0.0128}, "f1": {0.7820, 0.0088}, "false_positive_rate": {0.0188, 0.0014},
		"true_positive_rate": {0.7390, 0.0128}, "au_prc": {0.8150, math.NaN()},
	}
}

func biasRows(live bool, di float64) []plan.MetricRow {
	m := func(p string, v float64) evidence.Metric { return evidence.Metric{Path: p, Value: evidence.Num(v)} }
	cand := map[string]evidence.Metric{}
	for _, x := range []evidence.Metric{
		m("bias.post_training.DI[sex=female]", di), m("bias.post_training.DPPL[sex=female]", 0.031),
		m("bias.pre_training.CI[sex=female]", -0.12), m(`bias.post_training.DI[age="(40, 50]"]`, 0.97),
		m(`bias.post_training.DPPL[age="(40, 50]"]`, 0.012),
	} {
		cand[x.Path] = x
	}
	var old map[string]evidence.Metric
	if live {
		old = map[string]evidence.Metric{}
		for _, x := range []evidence.Metric{
			m("bias.post_training.DI[sex=female]", 0.91), m("bias.post_training.DPPL[sex=female]", 0.027),
			m("bias.pre_training.CI[sex=female]", -0.12), m(`bias.post_training.DI[age="(40, 50]"]`, 0.95),
			m(`bias.post_training.DPPL[age="(40, 50]"]`, 0.018),
		} {
			old[x.Path] = x
		}
	}
	return diff(old, cand, prodThresholds)
}

func shapShifts() []evidence.Shift {
	old := evidence.SHAP{Label: "label0", Values: map[string]float64{
		"transaction_amount": 0.412, "merchant_category": 0.301, "hour_of_day": 0.188, "card_present": 0.150,
		"distance_from_home": 0.142, "account_age_days": 0.097, "txn_count_24h": 0.090, "device_risk_score": 0.071,
		"country_mismatch": 0.055, "avg_amount_30d": 0.041, "is_weekend": 0.012, "email_domain": 0.030,
	}}
	cand := evidence.SHAP{Label: "label0", Values: map[string]float64{
		"transaction_amount": 0.398, "merchant_category": 0.276, "distance_from_home": 0.201, "hour_of_day": 0.170,
		"device_risk_score": 0.133, "card_present": 0.121, "txn_count_24h": 0.095, "account_age_days": 0.060,
		"ip_velocity_1h": 0.058, "country_mismatch": 0.044, "avg_amount_30d": 0.031, "is_weekend": 0.010,
	}}
	return evidence.ShiftSHAP(old, cand, 12)
}

func digestOf(s string) string { return evidence.DigestOf([]byte(s)).String() }

func reports(model string, version int, tamperBias bool, modified time.Time) []plan.ReportCheck {
	base := fmt.Sprintf("s3://ml-reports-111111111111/%s/%d/", model, version)
	mk := func(kind manifest.ReportKind, part, file string) plan.ReportCheck {
		d := digestOf(base + file)
		return plan.ReportCheck{
			ReportRef:      plan.ReportRef{Kind: kind, Part: part, S3URI: base + file, ContentType: "application/json", Digest: d},
			ComputedDigest: d, LastModified: modified, Size: 4096, Status: plan.StatusPass,
		}
	}
	rs := []plan.ReportCheck{
		mk(manifest.ReportModelQuality, "statistics", "evaluation/statistics.json"),
		mk(manifest.ReportModelQuality, "constraints", "evaluation/constraints.json"),
		mk("bias", "report", "clarify-bias/analysis.json"),
		mk("explainability", "report", "clarify-explainability/analysis.json"),
		mk("modelCard", "report", "model-card.json"),
	}
	if tamperBias {
		rs[2].ComputedDigest = digestOf("something else")
		rs[2].Status = plan.StatusFail
		rs[2].Problem = "the report's content does not match the digest recorded in the model package"
	}
	return rs
}

func lineage(model string, version int, trainStatus string) *plan.Lineage {
	return &plan.Lineage{Steps: []plan.LineageStep{
		{Kind: "data", Name: "train", URI: fmt.Sprintf("s3://ml-data-111111111111/%s/train/2026-10-28/", model)},
		{Kind: "data", Name: "validation", URI: fmt.Sprintf("s3://ml-data-111111111111/%s/validation/2026-10-28/", model)},
		{Kind: "processing-job", Name: model + "-preprocess-2026-10-28-0912", Status: "Completed"},
		{Kind: "training-job", Name: model + "-train-2026-10-28-0947", Status: trainStatus},
		{Kind: "pipeline-execution", Name: model + "-pipeline/exec-7f3k2", Status: "Succeeded"},
		{Kind: "model-package", Name: fmt.Sprintf("%s/%d", model, version),
			ARN: fmt.Sprintf("arn:aws:sagemaker:eu-west-1:111111111111:model-package/%s/%d", model, version)},
	}}
}

func pkg(model string, version int) *plan.ModelPackage {
	return &plan.ModelPackage{
		ARN:   fmt.Sprintf("arn:aws:sagemaker:eu-west-1:111111111111:model-package/%s/%d", model, version),
		Group: model, Version: version, Status: "Completed", ApprovalStatus: "Approved",
		CreatedAt: time.Date(2026, 10, 28, 10, 2, 0, 0, time.UTC),
	}
}

func serving(endpoint string, version int) *plan.Serving {
	return &plan.Serving{Endpoint: endpoint, EndpointStatus: "InService", EndpointConfig: fmt.Sprintf("%s-v%d", endpoint, version),
		SourceVersion: version, Since: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)}
}

func fraudEndpoint(name string, count int) manifest.Endpoint {
	return manifest.Endpoint{Name: name, InstanceType: "ml.m5.xlarge", InstanceCount: count,
		Rollout: manifest.Rollout{Strategy: manifest.StrategyCanary, CanaryPercent: 10, WaitSeconds: 600, Alarms: []string{name + "-5xx"}}}
}

func pullRequest() *plan.PullRequest {
	return &plan.PullRequest{Repo: "acme/ml-promotions", Number: 42, URL: "https://github.com/acme/ml-promotions/pull/42",
		Author: "alice", BaseSHA: oldSHA, HeadSHA: headSHA}
}

// cleanPlan promotes fraud-detector v12 to staging; every gate passes.
// One metric's standard deviation is NaN, so its noise is unknown.
func cleanPlan() *plan.Plan {
	pr := plan.Promotion{
		Promotion: manifest.Promotion{Model: "fraud-detector", Stage: "staging", File: "promotions/fraud-detector.yaml",
			ModelPackageGroup: "fraud-detector", FromVersion: 11, ToVersion: 12,
			From: &manifest.Endpoint{Name: "fraud-detector-staging", InstanceType: "ml.m5.large", InstanceCount: 1},
			To:   manifest.Endpoint{Name: "fraud-detector-staging", InstanceType: "ml.m5.large", InstanceCount: 1},
			Pos:  manifest.Pos{Line: 5, Col: 14}},
		Environment: staging,
		Details: plan.Details{
			Package: pkg("fraud-detector", 12), Lineage: lineage("fraud-detector", 12, "Completed"),
			Live: serving("fraud-detector-staging", 11), Reports: reports("fraud-detector", 12, false, time.Date(2026, 10, 28, 10, 0, 0, 0, time.UTC)),
			Evaluation: diff(metrics("binary_classification_metrics", liveFraud), metrics("binary_classification_metrics", candidateFraud(0.9356)), prodThresholds[:2]),
			SHAP:       shapShifts(),
			Approvals: &plan.Approvals{Required: 1, HeadSHA: headSHA, Counted: 1, Reviews: []plan.ReviewVerdict{
				{Login: "bob", State: "APPROVED", CommitID: headSHA, At: checkedAt.Add(-time.Hour), Counted: true},
			}},
		},
	}
	p := &plan.Plan{Base: "main", Head: "promote-fraud-v12", Dir: "promotions", PR: pullRequest(), Promotions: []plan.Promotion{pr}, Findings: []plan.Finding{}}
	p.Actions = actions(pr)
	p.SetGates(plan.Gates...)
	return p
}

func actions(prs ...plan.Promotion) []plan.Action {
	var out []plan.Action
	for _, pr := range prs {
		out = append(out, plan.PromotionActions(manifest.Source{Account: "111111111111"}, pr)...)
	}
	return out
}

// prodRegressionPlan promotes fraud-detector v12 to prod with an AUC
// regression beyond the policy's bound, a bias report whose digest does not
// match, one counted approval of the two team:ml-governance must give, a
// stale approval and the author's own; and rolls churn-model back in
// staging, which passes. The prod endpoint has drifted.
func prodRegressionPlan() *plan.Plan {
	file := "promotions/fraud-detector.yaml"
	fraud := plan.Promotion{
		Promotion: manifest.Promotion{Model: "fraud-detector", Stage: "prod", File: file, ModelPackageGroup: "fraud-detector",
			FromVersion: 11, ToVersion: 12, From: ptr(fraudEndpoint("fraud-detector", 2)), To: fraudEndpoint("fraud-detector", 2),
			Pos: manifest.Pos{Line: 14, Col: 14}},
		Environment: prod,
		Details: plan.Details{
			Package: pkg("fraud-detector", 12), Lineage: lineage("fraud-detector", 12, "Completed"),
			Live: serving("fraud-detector", 11), PreviousStage: serving("fraud-detector-staging", 12),
			Reports:    reports("fraud-detector", 12, true, time.Date(2026, 10, 28, 10, 0, 0, 0, time.UTC)),
			Evaluation: diff(metrics("binary_classification_metrics", liveFraud), metrics("binary_classification_metrics", candidateFraud(0.9121)), prodThresholds),
			Bias:       biasRows(true, 0.94),
			SHAP:       shapShifts(),
			Approvals: &plan.Approvals{Required: 2, Approvers: []string{"team:ml-governance"}, HeadSHA: headSHA, Counted: 1, Reviews: []plan.ReviewVerdict{
				{Login: "carol", State: "APPROVED", CommitID: headSHA, At: checkedAt.Add(-2 * time.Hour), Counted: true, Via: "team:ml-governance"},
				{Login: "bob", State: "APPROVED", CommitID: oldSHA, At: checkedAt.Add(-26 * time.Hour), Reason: "stale: approved an earlier commit, not the head"},
				{Login: "alice", State: "APPROVED", CommitID: headSHA, At: checkedAt.Add(-time.Hour), Reason: "author of the pull request (four eyes)"},
				{Login: "erin", State: "APPROVED", CommitID: headSHA, At: checkedAt.Add(-3 * time.Hour), Reason: "not an approver: not a member of team:ml-governance"},
				{Login: "dave", State: "CHANGES_REQUESTED", CommitID: headSHA, At: checkedAt.Add(-30 * time.Minute), Reason: "changes requested"},
			}},
		},
	}
	churn := plan.Promotion{
		Promotion: manifest.Promotion{Model: "churn-model", Stage: "staging", File: "promotions/churn-model.yaml", ModelPackageGroup: "churn",
			FromVersion: 8, ToVersion: 7, From: &manifest.Endpoint{Name: "churn-staging", InstanceType: "ml.m5.large", InstanceCount: 1},
			To: manifest.Endpoint{Name: "churn-staging", InstanceType: "ml.m5.large", InstanceCount: 1}, Pos: manifest.Pos{Line: 6, Col: 14}},
		Environment: staging,
		Details: plan.Details{
			Package: pkg("churn", 7), Live: serving("churn-staging", 8),
			Approvals: &plan.Approvals{Required: 1, HeadSHA: headSHA, Counted: 1, Reviews: []plan.ReviewVerdict{
				{Login: "bob", State: "APPROVED", CommitID: headSHA, At: checkedAt.Add(-time.Hour), Counted: true},
			}},
		},
	}
	p := &plan.Plan{Base: "main", Head: "promote-fraud-v12-prod", Dir: "promotions", PR: pullRequest(),
		Promotions: []plan.Promotion{churn, fraud},
		Drift: []plan.Drift{{Model: "fraud-detector", Stage: "prod", Endpoint: "fraud-detector", Manifest: 11, Serving: 10,
			Detail: "endpoint config fraud-detector-v10 was restored by hand on 2026-11-20"}},
		Findings: []plan.Finding{
			{Gate: plan.GatePolicy, Severity: plan.SeverityNotice, Model: "churn-model", Stage: "staging", File: churn.File, Pos: churn.Pos,
				Message: "rolls staging back from version 8 to 7"},
			{Gate: plan.GateEvaluation, Severity: plan.SeverityError, Model: "fraud-detector", Stage: "prod", File: file, Pos: fraud.Pos,
				Message: "binary_classification_metrics.auc: regression 0.0191 > allowed 0.01 (live 0.9312 → 0.9121)"},
			{Gate: plan.GateCompliance, Severity: plan.SeverityError, Model: "fraud-detector", Stage: "prod", File: file, Pos: fraud.Pos,
				Message: "bias report s3://ml-reports-111111111111/fraud-detector/12/clarify-bias/analysis.json does not match its recorded digest"},
			{Gate: plan.GateGovernance, Severity: plan.SeverityPending, Model: "fraud-detector", Stage: "prod", File: file, Pos: fraud.Pos,
				Message: "needs 1 more approval from team:ml-governance on the head commit (1 of 2)"},
		},
	}
	p.Actions = actions(churn, fraud)
	p.SetGates(plan.Gates...)
	return p
}

func ptr[T any](v T) *T { return &v }

// firstDeploymentPlan puts a new model in staging: nothing is live, so
// regression bounds are skipped; the approval is still missing.
func firstDeploymentPlan() *plan.Plan {
	file := "promotions/credit-risk.yaml"
	pr := plan.Promotion{
		Promotion: manifest.Promotion{Model: "credit-risk", Stage: "staging", File: file, ModelPackageGroup: "credit-risk",
			ToVersion: 1, To: manifest.Endpoint{Name: "credit-risk-staging", InstanceType: "ml.m5.large", InstanceCount: 1},
			Pos: manifest.Pos{Line: 5, Col: 14}},
		Environment: staging,
		Details: plan.Details{
			Package: pkg("credit-risk", 1), Lineage: lineage("credit-risk", 1, "Completed"),
			Reports:    reports("credit-risk", 1, false, time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC))[:2],
			Evaluation: diff(nil, metrics("binary_classification_metrics", candidateFraud(0.884)), prodThresholds[:2]),
			Approvals:  &plan.Approvals{Required: 1, HeadSHA: headSHA, Reviews: []plan.ReviewVerdict{}},
		},
	}
	p := &plan.Plan{Base: "main", Head: "add-credit-risk", Dir: "promotions", PR: pullRequest(), NewModels: []string{"credit-risk"},
		Promotions: []plan.Promotion{pr},
		Findings: []plan.Finding{
			{Gate: plan.GateGovernance, Severity: plan.SeverityPending, Model: "credit-risk", Stage: "staging", File: file, Pos: pr.Pos,
				Message: "needs 1 approval from anyone but the author on the head commit (0 of 1)"},
		},
	}
	p.Actions = actions(pr)
	p.SetGates(plan.Gates...)
	return p
}

// configEditPlan edits the configuration and scales fraud-detector's prod
// endpoint (a reconfiguration: same version).
func configEditPlan() *plan.Plan {
	pr := plan.Promotion{
		Promotion: manifest.Promotion{Model: "fraud-detector", Stage: "prod", File: "promotions/fraud-detector.yaml", ModelPackageGroup: "fraud-detector",
			FromVersion: 11, ToVersion: 11, From: ptr(fraudEndpoint("fraud-detector", 2)), To: fraudEndpoint("fraud-detector", 4),
			Changes: []string{"endpoint.instanceCount: 2 → 4"}, Pos: manifest.Pos{Line: 14, Col: 14}},
		Environment: prod,
		Details: plan.Details{
			Package: pkg("fraud-detector", 11), Live: serving("fraud-detector", 11),
			Approvals: &plan.Approvals{Required: 2, Approvers: []string{"team:ml-governance"}, HeadSHA: headSHA, Counted: 2, Reviews: []plan.ReviewVerdict{
				{Login: "carol", State: "APPROVED", CommitID: headSHA, Counted: true, Via: "team:ml-governance"},
				{Login: "frank", State: "APPROVED", CommitID: headSHA, Counted: true, Via: "team:ml-governance"},
			}},
		},
	}
	cfg := manifest.ConfigPath("promotions")
	p := &plan.Plan{Base: "main", Head: "tighten-prod-policy", Dir: "promotions", PR: pullRequest(), Promotions: []plan.Promotion{pr},
		ConfigChanged: true, ConfigChanges: []string{"policy.stages.prod", "environments.prod"},
		Findings: []plan.Finding{
			{Gate: plan.GateGovernance, Severity: plan.SeverityPending, File: cfg, Pos: manifest.Pos{Line: 1, Col: 1},
				Message: "this change edits modelpromote.yaml (policy.stages.prod, environments.prod): it needs 1 approval(s) from the owners (team:platform), and takes effect only once merged; this pull request is still judged by the base branch's policy"},
		},
	}
	p.Actions = actions(pr)
	p.SetGates(plan.Gates...)
	return p
}
