package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
)

// Model cards in the governance account (AWS's multi-account framework
// keeps them there, for its model dashboard). One card per model package
// group records where each version runs. The card's content follows
// SageMaker's model card JSON schema
// (https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html#model-cards-json-schema):
// model_overview names the model, and additional_information.custom_details
// (string values) holds, per stage, what runs there and on what evidence,
// and the last deployments. Everything else on the card (intended uses,
// evaluation details a governance team writes) is kept as it is: an update
// sends the full content, as UpdateModelCard requires.

// CardDeployment is one applied promotion, as the card records it.
type CardDeployment struct {
	Model, Stage   string
	Version        int
	Account        string
	Region         string
	Endpoint       string
	Since          string // RFC 3339
	PullRequestURL string
	Approvers      []string
	EvidenceURI    string
}

// line is the deployment in one line of text.
func (d CardDeployment) line() string {
	approvers := "nobody recorded"
	if len(d.Approvers) > 0 {
		approvers = strings.Join(d.Approvers, ", ")
	}
	return fmt.Sprintf("v%d on endpoint %s (account %s, %s) since %s; %s; approved by %s; evidence %s",
		d.Version, d.Endpoint, d.Account, d.Region, d.Since, d.PullRequestURL, approvers, d.EvidenceURI)
}

// maxCardHistory is how many deployments the card's history keeps: the
// content is limited to 100,000 characters, and the evidence records are
// the full history.
const maxCardHistory = 50

// The custom_details keys modelpromote owns.
const (
	cardStagePrefix = "modelpromote: stage "
	cardHistoryKey  = "modelpromote: deployments"
)

// RecordDeployment records d on the card named name in r's account,
// creating it (Draft) when there is none. An Archived card is refused:
// SageMaker allows no content change to it. A card that already records d
// (a rerun) is left as it is. An Approved card whose content changes is set
// back to PendingReview, so that no content carries an approval it did not
// get.
func (r *Registry) RecordDeployment(ctx context.Context, name string, d CardDeployment) error {
	sm := r.SM
	cur, err := sm.DescribeModelCard(ctx, &sagemaker.DescribeModelCardInput{ModelCardName: aws.String(name)})
	if awserr.IsNotFound(err) {
		content, err := cardContent(nil, d)
		if err != nil {
			return err
		}
		_, err = sm.CreateModelCard(ctx, &sagemaker.CreateModelCardInput{ModelCardName: aws.String(name), Content: aws.String(content),
			ModelCardStatus: types.ModelCardStatusDraft, Tags: []types.Tag{{Key: aws.String("modelpromote:model"), Value: aws.String(d.Model)}}})
		if err != nil {
			return fmt.Errorf("create model card %s: %w", name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read model card %s: %w", name, err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(cur.Content)), &doc); err != nil {
		return fmt.Errorf("model card %s holds content that is not JSON: %w", name, err)
	}
	if stageLine(doc, d.Stage) == d.line() {
		return nil
	}
	if cur.ModelCardStatus == types.ModelCardStatusArchived {
		return fmt.Errorf("model card %s is Archived, and SageMaker refuses any content change to an archived card (\"Model Card is in Archived state\"): "+
			"the deployment of %s v%d to %s is not recorded on it; set the card back to Draft in the governance account, or remove `governance`, and re-run apply",
			name, d.Model, d.Version, d.Stage)
	}
	content, err := cardContent(doc, d)
	if err != nil {
		return err
	}
	if _, err := sm.UpdateModelCard(ctx, &sagemaker.UpdateModelCardInput{ModelCardName: aws.String(name), Content: aws.String(content)}); err != nil {
		return fmt.Errorf("update model card %s: %w", name, err)
	}
	if cur.ModelCardStatus == types.ModelCardStatusApproved {
		// Content and status cannot change in one call.
		if _, err := sm.UpdateModelCard(ctx, &sagemaker.UpdateModelCardInput{ModelCardName: aws.String(name), ModelCardStatus: types.ModelCardStatusPendingreview}); err != nil {
			return fmt.Errorf("set model card %s back to PendingReview after its content changed: %w", name, err)
		}
	}
	return nil
}

// stageLine is what the card says runs in stage, "" when nothing.
func stageLine(doc map[string]any, stage string) string {
	info, _ := doc["additional_information"].(map[string]any)
	details, _ := info["custom_details"].(map[string]any)
	s, _ := details[cardStagePrefix+stage].(string)
	return s
}

// cardContent is doc (nil for a new card) with d recorded.
func cardContent(doc map[string]any, d CardDeployment) (string, error) {
	if doc == nil {
		doc = map[string]any{}
	}
	overview, _ := doc["model_overview"].(map[string]any)
	if overview == nil {
		overview = map[string]any{}
	}
	if _, ok := overview["model_name"]; !ok {
		overview["model_name"] = d.Model
	}
	doc["model_overview"] = overview
	info, _ := doc["additional_information"].(map[string]any)
	if info == nil {
		info = map[string]any{}
	}
	details := map[string]any{}
	if old, ok := info["custom_details"].(map[string]any); ok {
		maps.Copy(details, old)
	}
	details[cardStagePrefix+d.Stage] = d.line()
	var history []string
	if h, ok := details[cardHistoryKey].(string); ok && h != "" {
		history = strings.Split(h, "\n")
	}
	history = append([]string{d.Stage + ": " + d.line()}, history...)
	history = history[:min(len(history), maxCardHistory)]
	details[cardHistoryKey] = strings.Join(history, "\n")
	info["custom_details"] = details
	doc["additional_information"] = info
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	for len(b) > 100000 && len(history) > 1 {
		history = history[:len(history)/2]
		details[cardHistoryKey] = strings.Join(history, "\n")
		if b, err = json.Marshal(doc); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// CardStages lists the stages a card records, for tests and status.
func CardStages(content string) []string {
	var doc map[string]any
	if json.Unmarshal([]byte(content), &doc) != nil {
		return nil
	}
	info, _ := doc["additional_information"].(map[string]any)
	details, _ := info["custom_details"].(map[string]any)
	var out []string
	for k := range details {
		if s, ok := strings.CutPrefix(k, cardStagePrefix); ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}
