package endpoints

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	p := d.poller(r.Endpoint.Name, limit)
	err = d.deploy(ctx, r, dc, p, &out)
	if p.last != nil { // the endpoint as last seen, even mid-rollout
		out.Status, out.FailureReason = p.last.EndpointStatus, p.last.FailureReason
	}
	return out, err
}

// deploy is Deploy's decision loop: look at the endpoint (waiting while it
// is busy), act on what it is, and judge the result.
func (d *Deployer) deploy(ctx context.Context, r Request, dc *types.DeploymentConfig, p *poller, out *Outcome) error {
	name := out.NewConfig
	prepared, alarmsChecked := false, false
	prepare := func() error {
		if prepared {
			return nil
		}
		if err := d.ensureModel(ctx, r, name); err != nil {
			return err
		}
		if err := d.ensureConfig(ctx, r, name); err != nil {
			return err
		}
		prepared = true
		return nil
	}
	for {
		ep, _, err := p.settle(ctx)
		if err != nil {
			return err
		}
		out.observe(ep)
		switch status := out.Status; {
		case ep == nil:
			if err := prepare(); err != nil {
				return err
			}
			_, err := d.SM.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{
				EndpointName:       aws.String(r.Endpoint.Name),
				EndpointConfigName: aws.String(name),
			})
			if retry, err := retryable(err, "create endpoint "+r.Endpoint.Name); err != nil {
				return err
			} else if retry {
				// Created meanwhile by someone else, or an answer lost:
				// look again.
				if err := p.sleep(ctx, nil); err != nil {
					return err
				}
				continue
			}
			out.Created = true
			return d.verdict(ctx, p, out)

		case status == string(types.EndpointStatusFailed):
			if !d.RecreateFailed {
				return fmt.Errorf("endpoint %s is Failed (%s): only DeleteEndpoint works on it; delete it or deploy with RecreateFailed: %w",
					r.Endpoint.Name, or(out.FailureReason, "no reason given"), ErrFailed)
			}
			out.PreviousConfig = aws.ToString(ep.EndpointConfigName)
			if _, err := d.SM.DeleteEndpoint(ctx, &sagemaker.DeleteEndpointInput{EndpointName: aws.String(r.Endpoint.Name)}); err != nil && !awserr.IsNotFound(err) {
				return fmt.Errorf("delete Failed endpoint %s: %w", r.Endpoint.Name, err)
			}

		case status == string(types.EndpointStatusUpdateRollbackFailed):
			return fmt.Errorf("endpoint %s is UpdateRollbackFailed (%s): it serves a mix of old and new fleets and needs a person to look at it: %w",
				r.Endpoint.Name, or(out.FailureReason, "no reason given"), ErrFailed)

		case status == string(types.EndpointStatusInService) && aws.ToString(ep.EndpointConfigName) == name:
			// Already deployed: by an earlier run of this deployment, or by
			// a crashed one whose update went through.
			return nil

		default: // InService or OutOfService on another config
			if aws.ToString(ep.EndpointConfigName) == name {
				return fmt.Errorf("endpoint %s is %s on this deployment's config %s: %w", r.Endpoint.Name, status, name, ErrFailed)
			}
			out.PreviousConfig = aws.ToString(ep.EndpointConfigName)
			if !alarmsChecked {
				if err := d.checkAlarms(ctx, r.Endpoint.Rollout.Alarms); err != nil {
					return fmt.Errorf("update endpoint %s: %w", r.Endpoint.Name, err)
				}
				alarmsChecked = true
			}
			if err := prepare(); err != nil {
				return err
			}
			_, err := d.SM.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{
				EndpointName:       aws.String(r.Endpoint.Name),
				EndpointConfigName: aws.String(name),
				DeploymentConfig:   dc,
			})
			if retry, err := retryable(err, "update endpoint "+r.Endpoint.Name); err != nil {
				return err
			} else if retry {
				// Another update got there first: wait for it, then decide
				// again.
				if err := p.sleep(ctx, nil); err != nil {
					return err
				}
				continue
			}
			return d.verdict(ctx, p, out)
		}
	}
}

// verdict waits for the rollout Deploy started to end and judges it.
// SageMaker's EndpointInServiceWaiter would not do: a rolled-back update
// ends InService too, on the old config.
func (d *Deployer) verdict(ctx context.Context, p *poller, out *Outcome) error {
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

// retryable sorts the error of CreateEndpoint or UpdateEndpoint: nil is
// done; an endpoint that is busy or already exists, throttling and server
// errors are worth another look at the endpoint (retry true); anything
// else is final.
func retryable(err error, what string) (retry bool, _ error) {
	if err == nil {
		return false, nil
	}
	if transient(err) {
		return true, nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" {
		msg := ae.ErrorMessage()
		if strings.Contains(msg, "in-progress") || strings.Contains(msg, "already existing endpoint") {
			return true, nil
		}
	}
	return false, fmt.Errorf("%s: %w", what, err)
}

func (r Request) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"endpoint name", r.Endpoint.Name}, {"instance type", r.Endpoint.InstanceType},
		{"package ARN", r.PackageARN}, {"execution role ARN", r.ExecutionRoleARN}, {"deploy ID", r.DeployID},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if r.Endpoint.InstanceCount < 1 {
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
