package endpoints

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/modelpromote/modelpromote/internal/aws/awserr"
)

// ErrTimeout is wrapped by the error of a deployment that did not settle
// within the Deployer's Timeout. Nothing is deleted or rolled back then.
var ErrTimeout = errors.New("timed out")

// Status is an endpoint's state as Deploy observes it; Progress receives
// each change.
type Status struct {
	Endpoint string
	// EndpointStatus is SageMaker's (Creating, Updating, InService, …), or
	// "" when the endpoint does not exist.
	EndpointStatus string
	// Config is the endpoint config serving; Pending the one an update in
	// progress is moving to.
	Config, Pending string
	FailureReason   string
	// Stage is where an update in progress is, as SageMaker reports it in
	// the pending variant's VariantStatus ("Baking: 25% of traffic on the
	// new fleet …"): how far a canary or linear rollout has shifted.
	Stage string
}

// transitional reports whether SageMaker is still working on an endpoint
// in status s: nothing can be decided, or updated, until it settles.
func transitional(s types.EndpointStatus) bool {
	switch s {
	case types.EndpointStatusCreating, types.EndpointStatusUpdating, types.EndpointStatusSystemUpdating,
		types.EndpointStatusRollingBack, types.EndpointStatusDeleting:
		return true
	}
	return false
}

// poller describes one endpoint until it settles, backing off between
// calls: polling starts at the Deployer's Poll, doubles up to a cap, and
// starts over when the endpoint changes. Each poll is a single attempt;
// throttling and server errors back off further instead of failing, so a
// long rollout neither fails on a burst of throttling nor drains the SDK's
// retry bucket.
type poller struct {
	sm       *sagemaker.Client
	endpoint string
	progress func(Status)
	deadline time.Time
	timeout  time.Duration
	initial  time.Duration
	cap      time.Duration
	interval time.Duration
	last     *Status
}

func (d *Deployer) poller(endpoint string, timeout time.Duration) *poller {
	initial := d.Poll
	if initial <= 0 {
		initial = 5 * time.Second
	}
	return &poller{
		sm:       d.SM,
		endpoint: endpoint,
		progress: d.Progress,
		deadline: time.Now().Add(timeout),
		timeout:  timeout,
		initial:  initial,
		cap:      max(initial, min(16*initial, 30*time.Second)),
		interval: initial,
	}
}

// settle describes the endpoint, waiting while it is transitional. It
// returns nil when the endpoint does not exist, and whether it saw the
// endpoint in a transitional status.
func (p *poller) settle(ctx context.Context) (_ *sagemaker.DescribeEndpointOutput, busy bool, _ error) {
	for {
		ep, err := p.describe(ctx)
		if err != nil {
			return nil, busy, err
		}
		if ep == nil || !transitional(ep.EndpointStatus) {
			return ep, busy, nil
		}
		busy = true
		if err := p.sleep(ctx, ep); err != nil {
			return nil, busy, err
		}
	}
}

// describe calls DescribeEndpoint until it answers, reporting changes to
// Progress. A missing endpoint is nil.
func (p *poller) describe(ctx context.Context) (*sagemaker.DescribeEndpointOutput, error) {
	for {
		ep, err := p.sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(p.endpoint)}, singleAttempt)
		switch {
		case awserr.IsNotFound(err):
			p.report(nil)
			return nil, nil
		case err == nil:
			p.report(ep)
			return ep, nil
		case !transient(err):
			return nil, fmt.Errorf("describe endpoint %s: %w", p.endpoint, err)
		}
		p.interval = min(2*p.interval, p.cap)
		if serr := p.sleep(ctx, nil); serr != nil {
			return nil, fmt.Errorf("%w (last DescribeEndpoint error: %v)", serr, err)
		}
	}
}

// sleep waits for the next poll. ep, when given, is what the endpoint is
// doing, for the timeout's message.
func (p *poller) sleep(ctx context.Context, ep *sagemaker.DescribeEndpointOutput) error {
	wait := min(p.interval, time.Until(p.deadline))
	if wait <= 0 {
		doing := "not settled"
		if ep != nil {
			doing = "still " + string(ep.EndpointStatus)
		}
		return fmt.Errorf("endpoint %s %s after %s: %w; left as it is, nothing deleted or rolled back", p.endpoint, doing, p.timeout, ErrTimeout)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("waiting for endpoint %s: %w", p.endpoint, context.Cause(ctx))
	case <-t.C:
	}
	p.interval = min(2*p.interval, p.cap)
	return nil
}

// report passes a change of the endpoint's state to Progress, and starts
// backing off again from the initial interval.
func (p *poller) report(ep *sagemaker.DescribeEndpointOutput) {
	s := statusOf(p.endpoint, ep)
	if p.last != nil && *p.last == s {
		return
	}
	if p.last != nil {
		p.interval = p.initial
	}
	p.last = &s
	if p.progress != nil {
		p.progress(s)
	}
}

func statusOf(endpoint string, ep *sagemaker.DescribeEndpointOutput) Status {
	s := Status{Endpoint: endpoint}
	if ep == nil {
		return s
	}
	s.EndpointStatus = string(ep.EndpointStatus)
	s.Config = aws.ToString(ep.EndpointConfigName)
	s.FailureReason = aws.ToString(ep.FailureReason)
	if p := ep.PendingDeploymentSummary; p != nil {
		s.Pending = aws.ToString(p.EndpointConfigName)
		if len(p.ProductionVariants) > 0 && len(p.ProductionVariants[0].VariantStatus) > 0 {
			vs := p.ProductionVariants[0].VariantStatus[0]
			s.Stage = string(vs.Status)
			if m := aws.ToString(vs.StatusMessage); m != "" {
				s.Stage += ": " + m
			}
		}
	}
	return s
}

// singleAttempt makes a poll one attempt: the poller backs off by itself,
// so polls never spend the SDK's retry tokens, which the calls that change
// things may need, however long a rollout is polled or throttled.
func singleAttempt(o *sagemaker.Options) { o.RetryMaxAttempts = 1 }

// transient reports whether err may pass if tried again later: what the
// SDK's standard retryer retries (throttling, including its retry quota
// running dry behind it, server errors, broken connections), and any 5xx.
func transient(err error) bool {
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool() {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= http.StatusInternalServerError
}
