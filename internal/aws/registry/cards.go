package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
)

// Model cards in the governance account (AWS's multi-account framework
// keeps them there, for its model dashboard). One card per model package
// group records where each version runs. The card's content follows
// SageMaker's model card JSON schema
// (https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html#model-cards-json-schema),
// within the limits the CloudFormation resource documents for the same
// fields (AWS::SageMaker::ModelCard's EvaluationDetail, MetricGroup,
// IntendedUses and AdditionalInformation property pages):
//   - model_overview.model_name names the model;
//   - evaluation_details lists, per version that runs in some stage, the
//     reports the promotion's check read and verified for it: one entry per
//     report kind, its metrics in metric_groups grouped as SageMaker's own
//     parsers group Model Monitor and Clarify reports; modelpromote's
//     entries carry metadata.modelpromote_version and modelpromote_report;
//   - intended_uses is filled from the package's own Approved model card,
//     when the check read it, and only while the card has none;
//   - additional_information.custom_details (strings of at most 1024
//     characters under keys of [a-zA-Z_][a-zA-Z0-9_]*) holds, per stage
//     (modelpromote_stage_<stage>), what runs there and on what evidence,
//     and the last deployments (modelpromote_deployment_<n>).
// Everything else on the card (what a governance team writes) is kept as it
// is: an update sends the full content, as UpdateModelCard requires.

// CardDeployment is one applied promotion, as the card records it.
type CardDeployment struct {
	Model, Stage string
	Version      int
	Account      string
	Region       string
	// Endpoint is "" for a registry-only stage, which deploys nothing.
	Endpoint       string
	Since          string // RFC 3339
	PullRequestURL string
	Approvers      []string
	EvidenceURI    string
	// Evaluations are the reports the promotion's check read for Version,
	// one per report kind, each an entry of evaluation_details.
	Evaluations []CardEvaluation
	// IntendedUses, when set, fill the card's intended_uses if it has none.
	IntendedUses *CardIntendedUses
}

// CardEvaluation is one report, read and verified by the check, as an
// entry of the card's evaluation_details.
type CardEvaluation struct {
	// Report is the report's kind (modelQuality, …); Name the entry's name
	// (1 to 63 characters).
	Report, Name string
	// Observation says what was read, where, and with what digest.
	Observation string
	Groups      []CardMetricGroup
}

// CardMetricGroup is a named group of metrics (metric_groups).
type CardMetricGroup struct {
	Name    string
	Metrics []CardMetric
}

// CardMetric is one metric: a number, or Text (type string) for a value
// that is not a finite number ("NaN", "Infinity").
type CardMetric struct {
	Name  string
	Value float64
	Text  string
}

// CardIntendedUses are the card's intended_uses.
type CardIntendedUses struct {
	Purpose, Uses, Factors string
	// RiskRating is High, Medium, Low or Unknown; anything else is left out.
	RiskRating, RiskExplanation string
}

// line is the deployment in one line of text.
func (d CardDeployment) line() string {
	approvers := "nobody recorded"
	if len(d.Approvers) > 0 {
		approvers = strings.Join(d.Approvers, ", ")
	}
	where := fmt.Sprintf("on endpoint %s (account %s, %s)", d.Endpoint, d.Account, d.Region)
	if d.Endpoint == "" {
		where = fmt.Sprintf("registered, deploying nothing (account %s, %s)", d.Account, d.Region)
	}
	return clip(fmt.Sprintf("v%d %s since %s; %s; approved by %s; evidence %s",
		d.Version, where, d.Since, d.PullRequestURL, approvers, d.EvidenceURI), maxCardDetail)
}

// The schema's limits on what modelpromote writes, in characters.
const (
	maxCardContent     = 100000 // the Content parameter
	maxCardDetail      = 1024   // a custom_details value
	maxCardText        = 2048   // an intended_uses text
	maxCardName        = 63     // an evaluation's or metric group's name
	maxCardMetricName  = 255
	maxCardObservation = 2096
)

// maxCardHistory is how many deployments the card's history keeps: the
// evidence records are the full history.
const maxCardHistory = 50

// The custom_details keys and evaluation metadata modelpromote owns.
const (
	cardStagePrefix   = "modelpromote_stage_"
	cardHistoryPrefix = "modelpromote_deployment_"
	cardMetaVersion   = "modelpromote_version"
	cardMetaReport    = "modelpromote_report"
)

// stageKey is a stage's custom_details key. Stage names are
// [a-z][a-z0-9-]*, so mapping "-" to "_" keeps them apart.
func stageKey(stage string) string { return cardStagePrefix + strings.ReplaceAll(stage, "-", "_") }

// clip cuts s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// RecordDeployment records d on the card named name in r's account,
// creating it (Draft) when there is none. An Archived card is refused:
// SageMaker allows no content change to it. A card that already records d
// (a rerun) is left as it is. An Approved card whose content changes is set
// back to PendingReview first, so that no content carries an approval it
// did not get, not even for the moment between the two calls.
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
	if cur.ModelCardStatus == types.ModelCardStatusApproved {
		// Content and status cannot change in one call ("You cannot update
		// both model card content and model card status in a single call",
		// the UpdateModelCard API reference). The approval is withdrawn
		// first, so that no card version ever holds content nobody approved
		// marked Approved; a crash between the two calls leaves the
		// approved content PendingReview, and the rerun writes the content.
		if _, err := sm.UpdateModelCard(ctx, &sagemaker.UpdateModelCardInput{ModelCardName: aws.String(name), ModelCardStatus: types.ModelCardStatusPendingreview}); err != nil {
			return fmt.Errorf("set model card %s back to PendingReview before its content changes: %w", name, err)
		}
	}
	if _, err := sm.UpdateModelCard(ctx, &sagemaker.UpdateModelCardInput{ModelCardName: aws.String(name), Content: aws.String(content)}); err != nil {
		return fmt.Errorf("update model card %s: %w", name, err)
	}
	return nil
}

// stageLine is what the card says runs in stage, "" when nothing.
func stageLine(doc map[string]any, stage string) string {
	s, _ := customDetails(doc)[stageKey(stage)].(string)
	return s
}

func customDetails(doc map[string]any) map[string]any {
	info, _ := doc["additional_information"].(map[string]any)
	details, _ := info["custom_details"].(map[string]any)
	return details
}

// section returns doc's object member key, made when absent.
func section(doc map[string]any, key string) map[string]any {
	m, _ := doc[key].(map[string]any)
	if m == nil {
		m = map[string]any{}
		doc[key] = m
	}
	return m
}

// cardContent is doc (nil for a new card) with d recorded.
func cardContent(doc map[string]any, d CardDeployment) (string, error) {
	if doc == nil {
		doc = map[string]any{}
	}
	overview := section(doc, "model_overview")
	if _, ok := overview["model_name"]; !ok {
		overview["model_name"] = d.Model
	}
	if uses := intendedUses(d.IntendedUses); uses != nil {
		if cur, _ := doc["intended_uses"].(map[string]any); len(cur) == 0 {
			doc["intended_uses"] = uses
		}
	}
	info := section(doc, "additional_information")
	details := map[string]any{}
	if old, ok := info["custom_details"].(map[string]any); ok {
		maps.Copy(details, old)
	}
	info["custom_details"] = details
	details[stageKey(d.Stage)] = d.line()
	history := recordHistory(details, clip(d.Stage+": "+d.line(), maxCardDetail))
	doc["evaluation_details"] = mergeEvaluations(doc["evaluation_details"], d, runningVersions(details))

	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	// Over the content limit: the oldest deployments go first (the
	// evidence records hold them all), then the metrics of modelpromote's
	// evaluations (their reports stay named).
	for len(b) > maxCardContent && len(history) > 1 {
		delete(details, history[0])
		history = history[1:]
		if b, err = json.Marshal(doc); err != nil {
			return "", err
		}
	}
	if len(b) > maxCardContent {
		for _, e := range doc["evaluation_details"].([]any) {
			if m, ok := e.(map[string]any); ok && owned(m) {
				delete(m, "metric_groups")
				m["evaluation_observation"] = clip(fmt.Sprint(m["evaluation_observation"])+" (metrics left out: a model card's content is limited to 100,000 characters)", maxCardObservation)
			}
		}
		if b, err = json.Marshal(doc); err != nil {
			return "", err
		}
	}
	if len(b) > maxCardContent {
		return "", fmt.Errorf("model card for %s would hold %d characters of content, more than SageMaker's 100,000: shorten the card's own sections", d.Model, len(b))
	}
	return string(b), nil
}

// recordHistory adds entry to the deployment history in details under the
// next number, drops what falls beyond maxCardHistory, and returns the
// history's keys, oldest first.
func recordHistory(details map[string]any, entry string) []string {
	type item struct {
		n   int
		key string
	}
	var items []item
	next := 1
	for k := range details {
		if s, ok := strings.CutPrefix(k, cardHistoryPrefix); ok {
			if n, err := strconv.Atoi(s); err == nil {
				items = append(items, item{n, k})
				next = max(next, n+1)
			}
		}
	}
	key := cardHistoryPrefix + strconv.Itoa(next)
	details[key] = entry
	items = append(items, item{next, key})
	slices.SortFunc(items, func(a, b item) int { return a.n - b.n })
	for len(items) > maxCardHistory {
		delete(details, items[0].key)
		items = items[1:]
	}
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.key
	}
	return keys
}

// runningVersions are the versions the card's stage lines say run.
func runningVersions(details map[string]any) map[int]bool {
	out := map[int]bool{}
	for k, v := range details {
		s, _ := v.(string)
		if !strings.HasPrefix(k, cardStagePrefix) || !strings.HasPrefix(s, "v") {
			continue
		}
		num, _, _ := strings.Cut(s[1:], " ")
		if n, err := strconv.Atoi(num); err == nil {
			out[n] = true
		}
	}
	return out
}

// owned reports whether an evaluation_details entry is modelpromote's.
func owned(e map[string]any) bool {
	meta, _ := e["metadata"].(map[string]any)
	_, ok := meta[cardMetaReport]
	return ok
}

// mergeEvaluations is the card's evaluation_details with d's: each of d's
// reports replaces the entry of the same version and report, entries of
// versions no stage runs any more are dropped, and entries modelpromote
// did not write are kept as they are.
func mergeEvaluations(cur any, d CardDeployment, running map[int]bool) []any {
	fresh := map[string]bool{}
	for _, e := range d.Evaluations {
		fresh[e.Report] = true
	}
	version := strconv.Itoa(d.Version)
	out := []any{}
	list, _ := cur.([]any)
	for _, item := range list {
		e, ok := item.(map[string]any)
		if !ok || !owned(e) {
			out = append(out, item)
			continue
		}
		meta := e["metadata"].(map[string]any)
		v, _ := meta[cardMetaVersion].(string)
		r, _ := meta[cardMetaReport].(string)
		n, _ := strconv.Atoi(v)
		if (v == version && fresh[r]) || !running[n] {
			continue
		}
		out = append(out, e)
	}
	for _, e := range d.Evaluations {
		out = append(out, evaluationEntry(e, version))
	}
	return out
}

// evaluationEntry is e as the schema writes an evaluation job.
func evaluationEntry(e CardEvaluation, version string) map[string]any {
	entry := map[string]any{
		"name":     clip(e.Name, maxCardName),
		"metadata": map[string]any{cardMetaVersion: version, cardMetaReport: e.Report},
	}
	if e.Observation != "" {
		entry["evaluation_observation"] = clip(e.Observation, maxCardObservation)
	}
	var groups []any
	for _, g := range e.Groups {
		data := []any{}
		for _, m := range g.Metrics {
			metric := map[string]any{"name": clip(m.Name, maxCardMetricName), "type": "number", "value": m.Value}
			if m.Text != "" || math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
				metric["type"], metric["value"] = "string", or(m.Text, strconv.FormatFloat(m.Value, 'g', -1, 64))
			}
			data = append(data, metric)
		}
		groups = append(groups, map[string]any{"name": clip(g.Name, maxCardName), "metric_data": data})
	}
	if len(groups) > 0 {
		entry["metric_groups"] = groups
	}
	return entry
}

func or(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}

// intendedUses is u as the schema writes intended_uses, nil when u says
// nothing.
func intendedUses(u *CardIntendedUses) map[string]any {
	if u == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range map[string]string{"purpose_of_model": u.Purpose, "intended_uses": u.Uses,
		"factors_affecting_model_efficiency": u.Factors, "explanations_for_risk_rating": u.RiskExplanation} {
		if v != "" {
			out[k] = clip(v, maxCardText)
		}
	}
	if slices.Contains([]string{"High", "Medium", "Low", "Unknown"}, u.RiskRating) {
		out["risk_rating"] = u.RiskRating
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// CardStages lists the stages a card records, for tests and status.
func CardStages(content string) []string {
	var doc map[string]any
	if json.Unmarshal([]byte(content), &doc) != nil {
		return nil
	}
	var out []string
	for k := range customDetails(doc) {
		if s, ok := strings.CutPrefix(k, cardStagePrefix); ok {
			out = append(out, strings.ReplaceAll(s, "_", "-"))
		}
	}
	slices.Sort(out)
	return out
}
