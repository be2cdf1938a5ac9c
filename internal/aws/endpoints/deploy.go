package endpoints

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// Errors a deployment can end with, for errors.Is.
var (
	// ErrRolledBack: the update rolled back and the old config serves.
	ErrRolledBack = errors.New("rolled back")
	// ErrFailed: the endpoint is Failed or UpdateRollbackFailed, or ended
	// the rollout in a state that is not the new config serving.
	ErrFailed = errors.New("deployment failed")
)

// Deployer deploys model packages to the SageMaker endpoints of one
// account: it creates a model and an endpoint config per deployment, then
// creates the endpoint or moves it to the new config with a blue/green
// update, and waits for the verdict.
type Deployer struct {
	SM *sagemaker.Client
	// CW checks that a rollout's rollback alarms exist before an update.
	CW *cloudwatch.Client
	// Poll is the first interval between DescribeEndpoint calls; it
	// doubles up to 16 times that (at most 30s). Default 5s.
	Poll time.Duration
	// Timeout bounds all the waiting of one Deploy. Default: the rollout's
	// MaxExecutionTimeoutSeconds plus its TerminationWaitSeconds plus 15
	// minutes, or an hour.
	Timeout time.Duration
	// RecreateFailed deletes a Failed endpoint and creates it again on the
	// new config. Without it, Deploy stops on a Failed endpoint.
	RecreateFailed bool
	// Progress, when set, receives every change of the endpoint's state.
	Progress func(Status)
	// AAS registers autoscaling (scaling.go); without it, an endpoint that
	// asks for autoscaling fails after its rollout.
	AAS *applicationautoscaling.Client
	// Interrupt, when set, runs at each Boundary of a deployment; its
	// error stops Deploy there as a crash would: nothing after it runs and
	// nothing is put back. The crash-matrix tests use it.
	Interrupt func(Boundary) error
}

// Boundary is a point inside a deployment where a crash leaves the
// endpoint half done, and a rerun must finish the work.
type Boundary string

const (
	// BoundaryScalingSuspended: an update's scaling step is done (a
	// registration taken down for an instance-type change, kept in the
	// journal), and UpdateEndpoint not yet called.
	BoundaryScalingSuspended Boundary = "scaling-suspended"
	// BoundaryRolledOut: the rollout has ended, either way, and the
	// scaling is not yet settled (registered, or put back).
	BoundaryRolledOut Boundary = "rolled-out"
)

// NewDeployer returns a Deployer for the account cfg's credentials belong
// to, with the default Poll and Timeout.
func NewDeployer(cfg aws.Config) *Deployer {
	return &Deployer{SM: sagemaker.NewFromConfig(cfg), CW: cloudwatch.NewFromConfig(cfg), AAS: applicationautoscaling.NewFromConfig(cfg)}
}

// Describe returns an endpoint's state as it is now, reading only; the
// EndpointStatus of a missing endpoint is "".
func (d *Deployer) Describe(ctx context.Context, endpoint string) (Status, error) {
	ep, err := d.SM.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
	if awserr.IsNotFound(err) {
		return Status{Endpoint: endpoint}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("describe endpoint %s: %w", endpoint, err)
	}
	return statusOf(endpoint, ep), nil
}

// Request is one deployment of a target-account model package.
type Request struct {
	Endpoint manifest.Endpoint
	// PackageARN is the model package in the endpoint's account.
	PackageARN string
	// ExecutionRoleARN is the role the model runs with, in that account.
	ExecutionRoleARN string
	// DeployID names this deployment (e.g. "v13-1a2b3c4"); the model and
	// endpoint config are ResourceName(endpoint, DeployID). The same
	// deployment must always have the same ID, so that a rerun adopts what
	// a crashed run created, and different deployments different IDs.
	DeployID string
	// Tags go on the model and endpoint config (provenance: source ARN,
	// pull request, merge SHA), beside TagEndpoint and TagDeployID.
	Tags map[string]string
	// Settings are the environment's demands: VPC and network isolation
	// on the model, volume key, data capture and async output on the
	// endpoint config, its tags on all three (settings.go).
	Settings manifest.DeploySettings
	// Journal keeps the variant's autoscaling registration while an
	// instance-type change has it taken down (scaling.go). Without one,
	// such a change on a registered variant is refused.
	Journal Journal
}

// Outcome is what a deployment did and how it ended.
type Outcome struct {
	// Created is true when the endpoint was created (first deploy, or a
	// Failed endpoint recreated) rather than updated.
	Created bool
	// PreviousConfig served before the update ("" when created or when
	// nothing was to be done); NewConfig is this deployment's.
	PreviousConfig, NewConfig string
	Model                     string
	// Status and FailureReason are the endpoint's when Deploy returned.
	Status, FailureReason string
	// RolledBack is true when the update rolled back to PreviousConfig.
	RolledBack bool
	// Sizing is how an update sized the new fleet: the running capacity
	// kept, or the manifest's instanceCount, and why.
	Sizing Sizing
	// Scaling says what became of a scaling registration taken down for
	// the update, when one was ("" otherwise).
	Scaling string
	// Warning is what the deployment found and left alone, for the
	// operator (an older modelpromote's journal tags); "" when nothing.
	Warning string
}

// Deploy deploys r.PackageARN to r.Endpoint and waits for the verdict.
// It first waits for an endpoint in transition to settle, then: creates a
// missing endpoint; updates an InService one with the rollout's
// DeploymentConfig, after checking the rollout's alarms exist; does
// nothing when the endpoint already serves this deployment's config; stops
// on Failed (or deletes and recreates it with RecreateFailed) and on
// UpdateRollbackFailed. An update refused because another is in progress
// waits and tries again.
//
// It succeeds only when the endpoint is InService on the new config with
// no FailureReason. A rollback is an error wrapping ErrRolledBack, with
// Outcome.RolledBack set. Nothing is ever deleted but a Failed endpoint
// under RecreateFailed: old models and configs are left for Cleanup.
func (d *Deployer) Deploy(ctx context.Context, r Request) (Outcome, error) {
	if err := r.validate(); err != nil {
		return Outcome{}, err
	}
	name := ResourceName(r.Endpoint.Name, r.DeployID)
	out := Outcome{NewConfig: name, Model: name}
	dc, err := DeploymentConfig(r.Endpoint.Rollout)
	if err != nil {
		return out, fmt.Errorf("deploy %s to %s: %w", name, r.Endpoint.Name, err)
	}
	limit := d.Timeout
	if limit <= 0 {
		limit = timeout(r.Endpoint.Rollout)
	}
	x := &deployment{Deployer: d, r: r, dc: dc, p: d.poller(r.Endpoint.Name, limit), out: &out}
	err = x.run(ctx)
	if !x.crashed {
		if ierr := x.interrupt(BoundaryRolledOut); ierr != nil {
			err = ierr
		} else {
			err = x.settleScaling(ctx, err)
		}
	}
	err = explainGuardrail(err, r)
	if last := x.p.last; last != nil { // the endpoint as last seen, even mid-rollout
		out.Status, out.FailureReason = last.EndpointStatus, last.FailureReason
	}
	return out, err
}

// deployment is one Deploy under way.
type deployment struct {
	*Deployer
	r   Request
	dc  *types.DeploymentConfig
	p   *poller
	out *Outcome
	// prepared: the model and config exist; alarmsChecked: the rollback
	// alarms were found in CloudWatch.
	prepared, alarmsChecked bool
	// suspended is the autoscaling registration taken down for an
	// instance-type change, to put back if the rollout fails.
	suspended *registration
	// serving caches the variant of the config the endpoint served, by
	// config name, across the retries of an update.
	serving map[string]*types.ProductionVariant
	// arn is the endpoint's, once seen; journalRead: the journal was
	// looked for; journalKept: it keeps a registration, read or written
	// (scaling.go).
	arn                      string
	journalRead, journalKept bool
	// current is the config the endpoint served when last looked at.
	current string
	// kept and journalErr are what reading the journal gave, once read.
	kept       *registration
	journalErr error
	// crashed: Interrupt stopped the deployment.
	crashed bool
}

// interrupt runs the Deployer's Interrupt at a boundary.
func (x *deployment) interrupt(b Boundary) error {
	if x.Interrupt == nil {
		return nil
	}
	if err := x.Interrupt(b); err != nil {
		x.crashed = true
		return fmt.Errorf("deployment of %s stopped at %s: %w", x.out.NewConfig, b, err)
	}
	return nil
}

// run is Deploy's decision loop: look at the endpoint (waiting while it is
// busy), act on what it is, and judge the rollout it started.
func (x *deployment) run(ctx context.Context) error {
	name, endpoint := x.out.NewConfig, x.r.Endpoint.Name
	for {
		ep, _, err := x.p.settle(ctx)
		if err != nil {
			return err
		}
		x.out.observe(ep)
		status, config := x.out.Status, ""
		if ep != nil {
			config = aws.ToString(ep.EndpointConfigName)
			x.arn, x.current = aws.ToString(ep.EndpointArn), config
		}
		started := false
		switch {
		case ep == nil:
			started, err = x.create(ctx)
		case status == string(types.EndpointStatusFailed):
			err = x.deleteFailed(ctx, config)
		case status == string(types.EndpointStatusUpdateRollbackFailed):
			return fmt.Errorf("endpoint %s is UpdateRollbackFailed (%s): it serves a mix of old and new fleets and needs a person to look at it: %w",
				endpoint, or(x.out.FailureReason, "no reason given"), ErrFailed)
		case config == name && status == string(types.EndpointStatusInService):
			// Already deployed: by an earlier run of this deployment, or by
			// a crashed one whose update went through.
			return nil
		case config == name:
			return fmt.Errorf("endpoint %s is %s on this deployment's config %s: %w", endpoint, status, name, ErrFailed)
		default: // InService or OutOfService on another config
			started, err = x.update(ctx, ep)
		}
		if err != nil {
			return err
		}
		if started {
			return x.verdict(ctx)
		}
	}
}

// create creates the endpoint on the new config. It reports false when the
// endpoint should be looked at again: created meanwhile by someone else,
// or the answer lost to throttling or a server error.
func (x *deployment) create(ctx context.Context) (started bool, err error) {
	if err := x.prepare(ctx); err != nil {
		return false, err
	}
	_, err = x.SM.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{
		EndpointName:       aws.String(x.r.Endpoint.Name),
		EndpointConfigName: aws.String(x.out.NewConfig),
		Tags:               endpointTags(x.r),
	})
	if started, err = x.sent(ctx, err, "create endpoint"); started {
		x.out.Created = true
	}
	return started, err
}

// update moves the endpoint ep from the config it serves to the new one
// with the rollout's DeploymentConfig, once the rollback alarms are known
// to exist, keeping the running capacity on a model-only update
// (capacity.go). It reports false when the endpoint should be looked at
// again: another update is in progress, or the answer was lost.
func (x *deployment) update(ctx context.Context, ep *sagemaker.DescribeEndpointOutput) (started bool, err error) {
	old := aws.ToString(ep.EndpointConfigName)
	x.out.PreviousConfig = old
	if !x.alarmsChecked {
		if err := x.checkAlarms(ctx, x.r.Endpoint.Rollout.Alarms); err != nil {
			return false, fmt.Errorf("update endpoint %s: %w", x.r.Endpoint.Name, err)
		}
		x.alarmsChecked = true
	}
	if x.AAS != nil && !x.r.Endpoint.IsServerless() {
		// A journal that cannot be read or trusted stops the update
		// before anything is created.
		if _, err := x.readJournal(ctx); err != nil {
			return false, fmt.Errorf("update endpoint %s: %w", x.r.Endpoint.Name, err)
		}
	}
	if err := x.prepare(ctx); err != nil {
		return false, err
	}
	serving, err := x.servingVariant(ctx, old)
	if err != nil {
		return false, fmt.Errorf("update endpoint %s: %w", x.r.Endpoint.Name, err)
	}
	if err := x.suspendForTypeChange(ctx, serving); err != nil {
		return false, fmt.Errorf("update endpoint %s: %w", x.r.Endpoint.Name, err)
	}
	if err := x.interrupt(BoundaryScalingSuspended); err != nil {
		return false, err
	}
	x.out.Sizing = sizing(x.r.Endpoint, serving, runningVariant(ep, x.r.Endpoint.Variant()))
	in := &sagemaker.UpdateEndpointInput{
		EndpointName:       aws.String(x.r.Endpoint.Name),
		EndpointConfigName: aws.String(x.out.NewConfig),
		DeploymentConfig:   x.dc,
	}
	if x.out.Sizing.Kept {
		in.RetainAllVariantProperties = aws.Bool(true)
	}
	_, err = x.SM.UpdateEndpoint(ctx, in)
	return x.sent(ctx, err, "update endpoint")
}

// deleteFailed deletes a Failed endpoint so that it can be created again,
// if the Deployer may.
func (x *deployment) deleteFailed(ctx context.Context, config string) error {
	endpoint := x.r.Endpoint.Name
	if !x.RecreateFailed {
		return fmt.Errorf("endpoint %s is Failed (%s): only DeleteEndpoint works on it; delete it or deploy with RecreateFailed: %w",
			endpoint, or(x.out.FailureReason, "no reason given"), ErrFailed)
	}
	x.out.PreviousConfig = config
	if _, err := x.SM.DeleteEndpoint(ctx, &sagemaker.DeleteEndpointInput{EndpointName: aws.String(endpoint)}); err != nil && !awserr.IsNotFound(err) {
		return fmt.Errorf("delete Failed endpoint %s: %w", endpoint, err)
	}
	return nil
}

// prepare makes sure the deployment's model and endpoint config exist.
func (x *deployment) prepare(ctx context.Context) error {
	if x.prepared {
		return nil
	}
	if err := x.ensureModel(ctx, x.r, x.out.NewConfig); err != nil {
		return err
	}
	if err := x.ensureConfig(ctx, x.r, x.out.NewConfig); err != nil {
		return err
	}
	x.prepared = true
	return nil
}

// sent sorts the answer to CreateEndpoint or UpdateEndpoint: started, or
// worth another look at the endpoint after a poll (busy, already created,
// throttled, server error), or failed.
func (x *deployment) sent(ctx context.Context, err error, what string) (started bool, _ error) {
	if err == nil {
		return true, nil
	}
	if !retryable(err) {
		return false, fmt.Errorf("%s %s: %w", what, x.r.Endpoint.Name, err)
	}
	if serr := x.p.sleep(ctx, nil); serr != nil {
		// Out of time while the call kept failing: say how it failed.
		return false, fmt.Errorf("%w (last %s error: %v)", serr, what, err)
	}
	return false, nil
}

// verdict waits for the rollout Deploy started to end and judges it.
// SageMaker's EndpointInServiceWaiter would not do: a rolled-back update
// ends InService too, on the old config.
func (x *deployment) verdict(ctx context.Context) error {
	p, out := x.p, x.out
	started := false
	for unseen := 0; ; unseen++ {
		ep, busy, err := p.settle(ctx)
		if err != nil {
			return err
		}
		if ep == nil {
			return fmt.Errorf("endpoint %s disappeared during the deployment of %s: %w", p.endpoint, out.NewConfig, ErrFailed)
		}
		started = started || busy
		out.observe(ep)
		config := aws.ToString(ep.EndpointConfigName)
		inService := out.Status == string(types.EndpointStatusInService)
		switch {
		case inService && config == out.NewConfig && out.FailureReason == "":
			return nil
		case inService && config != out.NewConfig && out.FailureReason == "" && !started && unseen < 3:
			// Untouched so far: the update may not show in
			// DescribeEndpoint yet. Give it a few polls before calling it
			// a rollback.
			if err := p.sleep(ctx, ep); err != nil {
				return err
			}
		case inService && config != out.NewConfig:
			out.RolledBack = true
			return fmt.Errorf("endpoint %s %w to %s instead of deploying %s: %s",
				p.endpoint, ErrRolledBack, config, out.NewConfig, or(out.FailureReason, "no reason given"))
		default:
			return fmt.Errorf("endpoint %s is %s on %s after deploying %s (%s): %w",
				p.endpoint, out.Status, config, out.NewConfig, or(out.FailureReason, "no reason given"), ErrFailed)
		}
	}
}

// observe records the endpoint's status in the outcome.
func (o *Outcome) observe(ep *sagemaker.DescribeEndpointOutput) {
	if ep == nil {
		o.Status, o.FailureReason = "", ""
		return
	}
	o.Status, o.FailureReason = string(ep.EndpointStatus), aws.ToString(ep.FailureReason)
}

// retryable reports whether CreateEndpoint or UpdateEndpoint failed in a
// way another look at the endpoint may resolve: an update in progress, an
// endpoint that already exists, throttling, a server error.
func retryable(err error) bool {
	if transient(err) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" {
		msg := ae.ErrorMessage()
		return strings.Contains(msg, "in-progress") || strings.Contains(msg, "already existing endpoint")
	}
	return false
}

func (r Request) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"endpoint name", r.Endpoint.Name},
		{"package ARN", r.PackageARN}, {"execution role ARN", r.ExecutionRoleARN}, {"deploy ID", r.DeployID},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if !r.Endpoint.IsServerless() && r.Endpoint.InstanceType == "" {
		missing = append(missing, "instance type")
	}
	if !r.Endpoint.IsServerless() && r.Endpoint.InstanceCount < 1 {
		missing = append(missing, "instance count")
	}
	if len(missing) > 0 {
		return fmt.Errorf("deploy request for endpoint %q lacks %s", r.Endpoint.Name, strings.Join(missing, ", "))
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
