package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// ActionKind is a kind of apply step.
type ActionKind string

// The apply steps, in the order apply takes them for one promotion.
const (
	ActionAssumeRole      ActionKind = "assume-role"
	ActionCopyArtifacts   ActionKind = "copy-artifacts"
	ActionRegisterPackage ActionKind = "register-package"
	ActionDeploy          ActionKind = "deploy"
	ActionRecordEvidence  ActionKind = "record-evidence"
	ActionUpdateModelCard ActionKind = "update-model-card"
)

// Action is one step apply takes for one promotion: a typed value carrying
// the exact inputs of its step. Build makes a promotion's actions from the
// manifests and the configuration; the check binds what only the source
// registry can say (the package and the objects it refers to). Renderers
// show each Summary; apply executes the actions and nothing else. What
// only apply can know (the merge commit, who approved, the package it
// registers) is not here: apply hands it from step to step.
type Action interface {
	// Head is the action's kind and the promotion it belongs to.
	Head() ActionHead
	// Summary says in one line what the step does.
	Summary() string
}

// ActionHead is what every action has: its kind and its promotion.
type ActionHead struct {
	Kind  ActionKind `json:"kind"`
	Model string     `json:"model"`
	Stage string     `json:"stage"`
}

// Head implements Action.
func (h ActionHead) Head() ActionHead { return h }

// AssumeRole assumes the target environment's deploy role.
type AssumeRole struct {
	ActionHead
	// Environment names the target environment.
	Environment string `json:"environment"`
	RoleARN     string `json:"roleArn"`
	ExternalID  string `json:"externalId,omitempty"`
	Account     string `json:"account"`
	Region      string `json:"region"`
}

// Summary implements Action.
func (a *AssumeRole) Summary() string {
	return fmt.Sprintf("assume %s in account %s", a.RoleARN, a.Account)
}

// CopyArtifacts copies every object the source package refers to into the
// environment's bucket, encrypted with its key.
type CopyArtifacts struct {
	ActionHead
	// Group and Version name the source package.
	Group         string `json:"group"`
	Version       int    `json:"version"`
	SourceAccount string `json:"sourceAccount"`
	// SourcePackageARN is the package the objects were listed from; ""
	// until the check has read it (an offline plan never does).
	SourcePackageARN string `json:"sourcePackageArn,omitempty"`
	// Account owns Bucket, where the copies go under Prefix.
	Account   string `json:"account"`
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix"`
	KMSKeyARN string `json:"kmsKeyArn"`
	// Objects are what is copied, bound with SourcePackageARN.
	Objects []CopyObject `json:"objects,omitempty"`
}

// Summary implements Action.
func (a *CopyArtifacts) Summary() string {
	return fmt.Sprintf("copy the model data and reports of %s version %d from account %s to s3://%s/%s", a.Group, a.Version, a.SourceAccount, a.Bucket, a.Prefix)
}

// RegisterPackage registers the copied package in the target account's
// registry (or adopts the one an earlier run registered from it) and
// approves it.
type RegisterPackage struct {
	ActionHead
	// Group is the model package group, in both accounts.
	Group         string `json:"group"`
	SourceVersion int    `json:"sourceVersion"`
	// SourceAccount and SourcePackageARN (bound by the check, as for
	// CopyArtifacts) are the provenance the plan knows; apply adds the
	// merge's pull request, commit, approvers and evidence record.
	SourceAccount    string `json:"sourceAccount"`
	SourcePackageARN string `json:"sourcePackageArn,omitempty"`
	// Upstream and OriginARN are set for a stage sourced from a
	// registry-only stage: SourcePackageARN is that stage's copy, read
	// there, and OriginARN the source package it stands for, which the
	// provenance names.
	Upstream  string `json:"upstream,omitempty"`
	OriginARN string `json:"originArn,omitempty"`
	Account   string `json:"account"`
	KMSKeyARN string `json:"kmsKeyArn"`
	// Images (bound by the check) are the package's images as the target
	// package holds them: by digest, from the mirror with an imageMirror.
	Images []DeployImage `json:"images,omitempty"`
	// Tags are the environment's over the endpoint's. A versioned package
	// takes no tags of its own but its group's, so they go on the target
	// group: at its creation, or added where it lacks a key.
	Tags map[string]string `json:"tags,omitempty"`
}

// Summary implements Action.
func (a *RegisterPackage) Summary() string {
	tags := ""
	if len(a.Tags) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(a.Tags)) {
			kv = append(kv, k+"="+a.Tags[k])
		}
		tags = "; group tags " + strings.Join(kv, ", ")
	}
	if a.Upstream != "" {
		return fmt.Sprintf("register %s version %d, from %s's copy in account %s, in model package group %s of account %s (or adopt the package already registered from it)%s", a.Group, a.SourceVersion, a.Upstream, a.SourceAccount, a.Group, a.Account, tags)
	}
	return fmt.Sprintf("register %s version %d in model package group %s of account %s (or adopt the package already registered from it)%s", a.Group, a.SourceVersion, a.Group, a.Account, tags)
}

// Deploy creates the endpoint, or moves it to the new package with the
// manifest's rollout, and waits for the verdict.
type Deploy struct {
	ActionHead
	// Endpoint is the manifest's: name, variant, instance type and count,
	// rollout.
	Endpoint manifest.Endpoint `json:"endpoint"`
	// New is true for a stage the base manifest does not have.
	New              bool   `json:"new,omitempty"`
	ExecutionRoleARN string `json:"executionRoleArn"`
	Account          string `json:"account"`
	Region           string `json:"region"`
	// SourceVersion and SourcePackageARN (bound by the check) name what is
	// deployed, in the deployment's name and tags.
	SourceVersion    int    `json:"sourceVersion"`
	SourcePackageARN string `json:"sourcePackageArn,omitempty"`
	// Settings are what the environment demands of the models, endpoint
	// configs and endpoint this deployment creates (network, encryption,
	// tags, data capture and async output locations).
	Settings manifest.DeploySettings `json:"settings"`
	// Images (bound by the check) are what the models run: each image by
	// the digest the check bound, the mirror's reference with an
	// imageMirror. The models are created from the registered package,
	// which holds these references (RegisterPackage.Images).
	Images []DeployImage `json:"images,omitempty"`
}

// Summary implements Action.
func (a *Deploy) Summary() string {
	verb := "create or update"
	if a.New {
		verb = "create (or update, if it already exists)"
	}
	return fmt.Sprintf("%s endpoint %s: %s, rollout %s%s%s", verb, a.Endpoint.Name, CapacitySummary(a.Endpoint), RolloutSummary(a.Endpoint.Rollout), settingsSuffix(a.Settings), imagesSuffix(a.Images))
}

// imagesSuffix names the images a deployment runs.
func imagesSuffix(imgs []DeployImage) string {
	var parts []string
	for _, i := range imgs {
		parts = append(parts, i.Image)
	}
	if len(parts) == 0 {
		return ""
	}
	return "; image " + strings.Join(parts, ", ")
}

// RecordEvidence writes the promotion's evidence record, whatever the
// other steps did.
type RecordEvidence struct {
	ActionHead
	// Account owns Bucket; the record's key is Prefix, the merge commit
	// and ".json" (see EvidenceKey).
	Account   string `json:"account"`
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix"`
	KMSKeyARN string `json:"kmsKeyArn"`
}

// Summary implements Action.
func (a *RecordEvidence) Summary() string {
	return fmt.Sprintf("write the evidence record to s3://%s/%s", a.Bucket, a.Prefix)
}

// Key is the record's key for a merge commit.
func (a *RecordEvidence) Key(mergeSHA string) string { return a.Prefix + mergeSHA + ".json" }

// UpdateModelCard records the promotion on the model's card in the
// governance account (configuration `governance`), after the evidence
// record: one card per model package group, a new card version per update.
type UpdateModelCard struct {
	ActionHead
	Account    string `json:"account"`
	Region     string `json:"region"`
	RoleARN    string `json:"roleArn"`
	ExternalID string `json:"externalId,omitempty"`
	// Card is the model card's name: the model package group's.
	Card string `json:"card"`
}

// Summary implements Action.
func (a *UpdateModelCard) Summary() string {
	return fmt.Sprintf("record the deployment on model card %s in governance account %s", a.Card, a.Account)
}

// EvidenceKey is where the evidence record of a promotion of a package
// version by a merge commit lives in the target bucket.
func EvidenceKey(group string, version int, mergeSHA string) string {
	return evidencePrefix(group, version) + mergeSHA + ".json"
}

func evidencePrefix(group string, version int) string {
	return ArtifactPrefix(group, version) + "evidence/"
}

// PromotionActions are the actions of one promotion, in the order apply
// takes them, with what the manifests and configuration say. Check binds
// the rest (bind).
func PromotionActions(source manifest.Source, pr Promotion) []Action {
	env := pr.Environment
	head := func(kind ActionKind) ActionHead { return ActionHead{Kind: kind, Model: pr.Model, Stage: pr.Stage} }
	deploy := DeployFor(env, pr.ModelPackageGroup, pr.To)
	deploy.ActionHead, deploy.New, deploy.SourceVersion = head(ActionDeploy), pr.IsNew(), pr.ToVersion
	actions := []Action{
		&AssumeRole{ActionHead: head(ActionAssumeRole), Environment: env.Name, RoleARN: env.RoleARN, ExternalID: env.ExternalID, Account: env.Account, Region: env.Region},
		&CopyArtifacts{ActionHead: head(ActionCopyArtifacts), Group: pr.ModelPackageGroup, Version: pr.ToVersion, SourceAccount: source.Account,
			Account: env.Account, Bucket: env.ArtifactBucket, Prefix: ArtifactPrefix(pr.ModelPackageGroup, pr.ToVersion), KMSKeyARN: env.KMSKeyARN},
		&RegisterPackage{ActionHead: head(ActionRegisterPackage), Group: pr.ModelPackageGroup, SourceVersion: pr.ToVersion, SourceAccount: source.Account,
			Account: env.Account, KMSKeyARN: env.KMSKeyARN, Tags: manifest.StageTags(env, pr.To)},
		deploy,
		&RecordEvidence{ActionHead: head(ActionRecordEvidence), Account: env.Account, Bucket: env.ArtifactBucket, Prefix: evidencePrefix(pr.ModelPackageGroup, pr.ToVersion), KMSKeyARN: env.KMSKeyARN},
	}
	if env.RegistryOnly {
		// A central registry: the package and its evidence record are
		// the whole promotion; nothing is deployed.
		actions = slices.DeleteFunc(actions, func(a Action) bool { return a.Head().Kind == ActionDeploy })
	}
	return actions
}

// planActions lists apply's steps for each promotion, in order. A stage
// sourced from a registry-only stage reads that stage's copies.
func (p *Plan) planActions(cfg *manifest.Config) {
	for _, pr := range p.Promotions {
		src := cfg.Source
		central, ok := cfg.Upstream(pr.Environment)
		if ok {
			src = central.AsSource()
		}
		actions := PromotionActions(src, pr)
		for _, a := range actions {
			if r, isReg := a.(*RegisterPackage); isReg && ok {
				r.Upstream = central.Name
			}
		}
		p.Actions = append(p.Actions, actions...)
		if g := cfg.Governance; g != nil {
			p.Actions = append(p.Actions, &UpdateModelCard{ActionHead: ActionHead{Kind: ActionUpdateModelCard, Model: pr.Model, Stage: pr.Stage},
				Account: g.Account, Region: g.Region, RoleARN: g.RoleARN, ExternalID: g.ExternalID, Card: pr.ModelPackageGroup})
		}
	}
}

// bind completes the actions with what the check read: the source package
// each promotion copies, registers and deploys, and the objects it refers
// to. An action whose package could not be read stays unbound, and apply
// refuses to run it.
func (p *Plan) bind() {
	pkgs := map[string]*ModelPackage{}
	bound := map[string]map[string]Binding{}
	images := map[string][]DeployImage{}
	for _, pr := range p.Promotions {
		pkgs[pr.Key()] = pr.Details.Package
		bound[pr.Key()] = bindingsByURI(pr.Details.Objects)
		images[pr.Key()] = deployImages(pr.Details.Package, pr.Details.Images)
	}
	for _, a := range p.Actions {
		h := a.Head()
		pkg := pkgs[h.Model+"/"+h.Stage]
		if pkg == nil {
			continue
		}
		switch a := a.(type) {
		case *CopyArtifacts:
			a.SourcePackageARN, a.Objects = pkg.ARN, CopyObjects(pkg, a.Bucket, a.Prefix)
			bindCopies(a.Objects, bound[h.Model+"/"+h.Stage])
		case *RegisterPackage:
			a.SourcePackageARN, a.OriginARN, a.Images = pkg.ARN, pkg.Origin, images[h.Model+"/"+h.Stage]
		case *Deploy:
			a.SourcePackageARN, a.Images = pkg.Identity(), images[h.Model+"/"+h.Stage]
		}
	}
}

// ActionsFor returns one promotion's actions, in order.
func (p *Plan) ActionsFor(model, stage string) []Action {
	var out []Action
	for _, a := range p.Actions {
		if h := a.Head(); h.Model == model && h.Stage == stage {
			out = append(out, a)
		}
	}
	return out
}

// The JSON of an action carries its summary beside its inputs, for readers
// of `plan --output json`.

// MarshalJSON implements json.Marshaler.
func (a *AssumeRole) MarshalJSON() ([]byte, error) {
	type inputs AssumeRole
	return withSummary((*inputs)(a), a.Summary())
}

// MarshalJSON implements json.Marshaler.
func (a *CopyArtifacts) MarshalJSON() ([]byte, error) {
	type inputs CopyArtifacts
	return withSummary((*inputs)(a), a.Summary())
}

// MarshalJSON implements json.Marshaler.
func (a *RegisterPackage) MarshalJSON() ([]byte, error) {
	type inputs RegisterPackage
	return withSummary((*inputs)(a), a.Summary())
}

// MarshalJSON implements json.Marshaler.
func (a *Deploy) MarshalJSON() ([]byte, error) {
	type inputs Deploy
	return withSummary((*inputs)(a), a.Summary())
}

// MarshalJSON implements json.Marshaler.
func (a *RecordEvidence) MarshalJSON() ([]byte, error) {
	type inputs RecordEvidence
	return withSummary((*inputs)(a), a.Summary())
}

// MarshalJSON implements json.Marshaler.
func (a *UpdateModelCard) MarshalJSON() ([]byte, error) {
	type inputs UpdateModelCard
	return withSummary((*inputs)(a), a.Summary())
}

// withSummary marshals an action's inputs (a pointer to a type without
// MarshalJSON, so an object with at least its head) with "summary" last.
func withSummary(inputs any, summary string) ([]byte, error) {
	obj, err := json.Marshal(inputs)
	if err != nil {
		return nil, err
	}
	text, err := json.Marshal(summary)
	if err != nil {
		return nil, err
	}
	obj = append(obj[:len(obj)-1], `,"summary":`...)
	return append(append(obj, text...), '}'), nil
}
