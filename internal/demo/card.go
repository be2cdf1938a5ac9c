package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/modelpromote/modelpromote/internal/world"
)

// cardName is the model card apply keeps in the governance account: the
// model package group's name.
const cardName = "fraud-detector"

// cardContent is the part of a model card's content the story shows.
type cardContent struct {
	IntendedUses struct {
		Purpose string `json:"purpose_of_model"`
		Risk    string `json:"risk_rating"`
	} `json:"intended_uses"`
	Evaluations []struct {
		Name        string `json:"name"`
		Observation string `json:"evaluation_observation"`
		Groups      []struct {
			Name string `json:"name"`
			Data []struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"metric_data"`
		} `json:"metric_groups"`
	} `json:"evaluation_details"`
	Additional struct {
		Custom map[string]string `json:"custom_details"`
	} `json:"additional_information"`
}

// readCard reads the card as the governance account's administrator
// reads it (aws sagemaker describe-model-card).
func (d *Demo) readCard(ctx context.Context) (*sagemaker.DescribeModelCardOutput, cardContent, error) {
	var c cardContent
	out, err := sagemaker.NewFromConfig(d.World.AdminAWS(world.GovernanceAccount)).DescribeModelCard(ctx, &sagemaker.DescribeModelCardInput{ModelCardName: aws.String(cardName)})
	if err != nil {
		return nil, c, fmt.Errorf("read model card %s in the governance account: %w", cardName, err)
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Content)), &c); err != nil {
		return nil, c, fmt.Errorf("model card %s: %w", cardName, err)
	}
	return out, c, nil
}

// stages lists what the card says runs in each stage, in the
// configuration's order: the version and where, up to "since".
func (c cardContent) stages() []string {
	var out []string
	for _, env := range []string{"central", "staging", "prod"} {
		line, ok := c.Additional.Custom["modelpromote_stage_"+env]
		if !ok {
			continue
		}
		short, _, _ := strings.Cut(line, " since ")
		out = append(out, env+" "+short)
	}
	return out
}

// cardLine shows the card after an apply: its version and status, the
// stages it records, and the evaluations it holds.
func (d *Demo) cardLine(ctx context.Context) error {
	out, c, err := d.readCard(ctx)
	if err != nil {
		return err
	}
	var evals []string
	for _, e := range c.Evaluations {
		evals = append(evals, e.Name)
	}
	d.say("  Model card %s in the governance account: version %d, %s", cardName, aws.ToInt32(out.ModelCardVersion), out.ModelCardStatus)
	d.say("    where it runs: %s", strings.Join(c.stages(), "; "))
	d.say("    evaluation_details: %s", strings.Join(evals, ", "))
	return nil
}

// cardStory shows the card's versions and what the last one holds.
func (d *Demo) cardStory(ctx context.Context) error {
	sm := sagemaker.NewFromConfig(d.World.AdminAWS(world.GovernanceAccount))
	versions, err := sm.ListModelCardVersions(ctx, &sagemaker.ListModelCardVersionsInput{ModelCardName: aws.String(cardName), SortOrder: "Ascending", MaxResults: aws.Int32(100)})
	if err != nil {
		return err
	}
	d.say("$ aws sagemaker list-model-card-versions --model-card-name %s --sort-order Ascending   (as the governance account)", cardName)
	approved := int32(0)
	list := versions.ModelCardVersionSummaryList
	for _, v := range list {
		n := aws.ToInt32(v.ModelCardVersion)
		d.say("    version %-3d %-14s %s", n, v.ModelCardStatus, aws.ToTime(v.LastModifiedTime).UTC().Format("2006-01-02 15:04:05"))
		if approved == 0 && v.ModelCardStatus == "Approved" {
			approved = n
		}
	}
	d.say("Each apply wrote a new version; so did Gus's approval.")
	if last := aws.ToInt32(list[len(list)-1].ModelCardVersion); approved > 0 && list[len(list)-1].ModelCardStatus == "PendingReview" {
		d.say("Gus approved version %d. The prod promotion's content (version %d) was followed by the status back to PendingReview", approved, last-1)
		d.say("(version %d): SageMaker takes content or status per call, and no content keeps an approval it did not get.", last)
	}

	_, c, err := d.readCard(ctx)
	if err != nil {
		return err
	}
	d.say("\n$ aws sagemaker describe-model-card --model-card-name %s   (the content, in SageMaker's model card schema)", cardName)
	if c.IntendedUses.Purpose != "" {
		d.say("  intended_uses (from the package's own model card, read when it entered the central registry):")
		d.say("    purpose_of_model: %s", c.IntendedUses.Purpose)
		if c.IntendedUses.Risk != "" {
			d.say("    risk_rating: %s", c.IntendedUses.Risk)
		}
	}
	d.say("  evaluation_details (the reports the checks read and verified, for each version a stage runs):")
	for _, e := range c.Evaluations {
		d.say("    %s", e.Name)
		for _, g := range e.Groups {
			var ms []string
			for _, m := range g.Data {
				v := fmt.Sprint(m.Value)
				if f, ok := m.Value.(float64); ok {
					v = strconv.FormatFloat(f, 'g', 4, 64)
				}
				ms = append(ms, m.Name+" "+v)
			}
			d.say("      %s: %s", g.Name, strings.Join(ms, ", "))
		}
	}
	if len(c.Evaluations) > 0 {
		d.say("    e.g. the observation of %q:\n%s", c.Evaluations[0].Name, indent(indent(wrap(c.Evaluations[0].Observation, 100))))
	}
	d.say("  additional_information.custom_details (one line per stage, then the last deployments):")
	for _, s := range c.stages() {
		d.say("    %s", s)
	}
	for n := 1; ; n++ {
		line, ok := c.Additional.Custom["modelpromote_deployment_"+strconv.Itoa(n)]
		if !ok {
			break
		}
		short, _, _ := strings.Cut(line, " since ")
		d.say("    deployment %d: %s", n, short)
	}
	return nil
}

// wrap breaks s into lines of at most width characters at spaces.
func wrap(s string, width int) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}
