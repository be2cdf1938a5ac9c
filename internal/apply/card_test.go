package apply_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/aws/registry"
	smemu "github.com/modelpromote/modelpromote/internal/emulator/aws/sagemaker"
	"github.com/modelpromote/modelpromote/internal/world"
	"github.com/modelpromote/modelpromote/internal/world/worldtest"
)

const governanceAccount = world.GovernanceAccount

func card(t *testing.T, w *world.World, name string) []smemu.ModelCard {
	t.Helper()
	return w.SageMaker.ModelCardVersions(governanceAccount, world.Region, name)
}

// After each applied promotion the model's card in the governance account
// records where the version runs, in a new card version; an Approved card
// whose content changes goes back to PendingReview; an Archived card is
// refused with the reason, the endpoint left serving, and a rerun completes
// the card once it is a Draft again.
func TestModelCardInTheGovernanceAccount(t *testing.T) {
	w := newWorld(t, world.Options{Governance: true})
	e := applyEnv(w)

	if res := runApply(t, e, mergedPR(t, w, stagingChange)); res.Failed() {
		t.Fatalf("staging: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	v := card(t, w, "fraud-detector")
	if len(v) != 1 || v[0].ModelCardStatus != "Draft" || strings.Join(registry.CardStages(v[0].Content), ",") != "staging" ||
		!strings.Contains(v[0].Content, "v13 on endpoint fraud-detector-staging") || !strings.Contains(v[0].Content, "approved by bob") {
		t.Fatalf("after staging: %+v", v)
	}
	// The reports staging's check read (model quality, which its policy
	// requires, and the bias and explainability reports it reads whenever
	// the package has them) are the card's evaluation of v13, with the
	// candidate's metrics.
	if got := evaluations(t, v[0].Content); got != "v13 model quality [binary_classification_metrics: accuracy auc f1 precision recall]; "+
		"v13 post-training bias [post_training_bias_metrics - facet sex=female: DI DPPL]; v13 explainability [explanations - global_shap_values: amount merchant_risk hour country]" {
		t.Errorf("evaluation details after staging: %s", got)
	}

	// The governance team approves the card; the next promotion changes its
	// content, so it goes back for review.
	if err := w.SageMaker.UpdateModelCardStatus(governanceAccount, world.Region, "fraud-detector", "Approved"); err != nil {
		t.Fatal(err)
	}
	prodChange := change{file: "promotions/fraud-detector.yaml", from: "  prod:\n    version: 11\n", to: "  prod:\n    version: 13\n", approvers: []string{world.Gina, world.Bob}}
	if res := runApply(t, e, mergedPR(t, w, prodChange)); res.Failed() {
		t.Fatalf("prod: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	v = card(t, w, "fraud-detector")
	last := v[len(v)-1]
	// The approval is withdrawn before the content changes: version 3 is
	// the approved content, PendingReview; no version with prod in it was
	// ever Approved.
	for i, c := range v {
		if c.ModelCardStatus == "Approved" && strings.Contains(c.Content, "v13 on endpoint fraud-detector (account 333333333333") {
			t.Errorf("card version %d holds content nobody approved, marked Approved", i+1)
		}
	}
	if len(v) != 4 || v[1].ModelCardStatus != "Approved" || v[2].ModelCardStatus != "PendingReview" || v[2].Content != v[1].Content || last.ModelCardStatus != "PendingReview" ||
		strings.Join(registry.CardStages(last.Content), ",") != "prod,staging" || !strings.Contains(last.Content, "v13 on endpoint fraud-detector (account 333333333333") {
		t.Fatalf("after prod: %d versions, last %+v", len(v), last)
	}
	// Prod's check reads the data quality report and the package's own
	// model card too: the card's evaluation of v13 has each kind, and its
	// intended uses are the package card's.
	if got := evaluations(t, last.Content); got != "v13 model quality [binary_classification_metrics: accuracy auc f1 precision recall]; v13 data quality []; "+
		"v13 post-training bias [post_training_bias_metrics - facet sex=female: DI DPPL]; v13 explainability [explanations - global_shap_values: amount merchant_risk hour country]" {
		t.Errorf("evaluation details after prod: %s", got)
	}
	if !strings.Contains(last.Content, `"purpose_of_model":"Flag card transactions for manual fraud review."`) {
		t.Errorf("no intended uses from the package's model card: %s", last.Content)
	}
	// The approved version stays as it was.
	if strings.Contains(v[1].Content, "prod") {
		t.Errorf("the approved version 2 changed: %s", v[1].Content)
	}

	// An Archived card takes no content: the promotion is applied and
	// recorded, its outcome says why the card is not updated.
	w.SageMaker.SeedModelCard(governanceAccount, world.Region, smemu.ModelCard{ModelCardName: "churn-predictor", ModelCardStatus: "Archived"})
	churn := mergedPR(t, w, change{file: "promotions/churn-predictor.yaml", from: "  staging:\n    version: 7\n", to: "  staging:\n    version: 8\n", approvers: []string{world.Bob}})
	res := runApply(t, e, churn)
	if !res.Failed() || !strings.Contains(res.Outcomes[0].Error, "is Archived") || !strings.Contains(res.Outcomes[0].Error, "re-run apply") {
		t.Fatalf("archived card: %+v", res.Outcomes)
	}
	if s := serving(t, w, "staging", "churn-predictor-staging"); s == nil || s.SourceVersion != 8 {
		t.Fatalf("the endpoint does not serve v8 after the card failed: %+v", s)
	}
	if v := card(t, w, "churn-predictor"); len(v) != 1 {
		t.Fatalf("the archived card was changed: %+v", v)
	}
	if err := w.SageMaker.UpdateModelCardStatus(governanceAccount, world.Region, "churn-predictor", "Draft"); err != nil {
		t.Fatal(err)
	}
	if res := runApply(t, e, churn); res.Failed() {
		t.Fatalf("rerun: %+v", res.Outcomes)
	}
	v = card(t, w, "churn-predictor")
	if len(v) != 3 || !strings.Contains(v[2].Content, "v8 on endpoint churn-predictor-staging") {
		t.Fatalf("after the rerun: %+v", v)
	}
	// A second rerun finds the deployment done and writes nothing.
	runApply(t, e, churn)
	if got := card(t, w, "churn-predictor"); len(got) != 3 {
		t.Errorf("a rerun wrote the card again: %d versions", len(got))
	}

	// The AWS CLI's view: the card as the governance account reads it.
	c := sagemaker.NewFromConfig(w.AdminAWS(governanceAccount))
	out, err := c.DescribeModelCard(t.Context(), &sagemaker.DescribeModelCardInput{ModelCardName: aws.String("fraud-detector")})
	if err != nil || aws.ToInt32(out.ModelCardVersion) != 4 || !strings.HasPrefix(evaluations(t, aws.ToString(out.Content)), "v13 model quality [binary_classification_metrics: accuracy auc") {
		t.Errorf("describe: %v %+v", err, out)
	}
}

// evaluations lists a card's evaluation_details: each entry's name and its
// metric groups with their metrics' names.
func evaluations(t *testing.T, content string) string {
	t.Helper()
	var doc struct {
		Evaluations []struct {
			Name   string
			Groups []struct {
				Name string
				Data []struct{ Name string } `json:"metric_data"`
			} `json:"metric_groups"`
		} `json:"evaluation_details"`
	}
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range doc.Evaluations {
		var groups []string
		for _, g := range e.Groups {
			var names []string
			for _, m := range g.Data {
				names = append(names, m.Name)
			}
			groups = append(groups, g.Name+": "+strings.Join(names, " "))
		}
		out = append(out, e.Name+" ["+strings.Join(groups, "; ")+"]")
	}
	return strings.Join(out, "; ")
}

// dev → central (registry only) → staging → prod with a governance
// account: each apply writes a new card version recording the stage, and
// the evaluation of the stages sourced from central names central's copies
// of the reports. The dev account is not called after the first step: the
// card is written from what the plan read.
func TestModelCardFollowsTheCentralRegistry(t *testing.T) {
	w, err := worldtest.New(t, world.Options{Central: true, Governance: true, EndpointDelay: 5 * time.Millisecond, PackageDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SeedVersions(riskScore, 5); err != nil {
		t.Fatal(err)
	}
	if res := runApply(t, applyEnv(w), mergedPR(t, w, change{file: riskFile, to: riskCentral, approvers: []string{world.Bob}})); res.Failed() {
		t.Fatalf("central: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	v := card(t, w, riskScore)
	if len(v) != 1 || strings.Join(registry.CardStages(v[0].Content), ",") != "central" || !strings.Contains(v[0].Content, "v3 registered, deploying nothing (account "+world.CentralAccount) ||
		evaluations(t, v[0].Content) == "" || !strings.Contains(v[0].Content, "from the source registry's package for the promotion to central") {
		t.Fatalf("after central: %+v", v)
	}

	restore := w.AWS.Unreachable(world.DevAccount)
	defer restore()
	w.AWS.ResetRequests()
	if res := runApply(t, applyEnv(w), mergedPR(t, w, change{file: riskFile, from: "stages:\n", to: "stages:\n" + riskStaging, approvers: []string{world.Bob}})); res.Failed() {
		t.Fatalf("staging: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	prodModel := "  prod:\n    version: 3\n    endpoint: {name: risk-score, instanceType: ml.m5.large, instanceCount: 1}\n"
	if res := runApply(t, applyEnv(w), mergedPR(t, w, change{file: riskFile, from: "stages:\n", to: "stages:\n" + prodModel, approvers: []string{world.Bob, world.Gina}})); res.Failed() {
		t.Fatalf("prod: refused %v outcomes %+v", res.Refused, res.Outcomes)
	}
	v = card(t, w, riskScore)
	last := v[len(v)-1].Content
	if len(v) != 3 || strings.Join(registry.CardStages(last), ",") != "central,prod,staging" {
		t.Fatalf("after prod: %d versions, stages %v", len(v), registry.CardStages(last))
	}
	if got := evaluations(t, last); !strings.HasPrefix(got, "v3 model quality [binary_classification_metrics: accuracy auc") || !strings.Contains(got, "v3 data quality") {
		t.Errorf("evaluation details: %s", got)
	}
	if !strings.Contains(last, "from the copy in central's registry (account "+world.CentralAccount+") for the promotion to prod") ||
		!strings.Contains(last, "s3://"+world.CentralBucket+"/") {
		t.Errorf("prod's evaluation does not name central's copies: %s", last)
	}
	assertDevUntouched(t, w)
}
