package cloudwatch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/cloudwatch"
	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

const (
	account = "222222222222"
	region  = "eu-west-1"
)

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// core stands in for the emulator core: it takes the region from the SigV4
// credential scope, maps every access key to one account and does not
// verify signatures.
type core struct{ svc service.Service }

func (c core) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[3] != c.svc.Name() {
		c.svc.WriteError(w, r, http.StatusForbidden, "MissingAuthenticationToken", "Missing Authentication Token")
		return
	}
	c.svc.ServeAWS(w, r, service.Caller{Account: account, AccessKeyID: m[1], Region: m[2]})
}

func setup(t *testing.T) (*cloudwatch.Service, *cw.Client) {
	t.Helper()
	svc := cloudwatch.New(cloudwatch.Options{})
	srv := httptest.NewServer(core{svc})
	t.Cleanup(srv.Close)
	client := cw.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDPROD000000000000", "secret", ""),
	}, func(o *cw.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return svc, client
}

func TestDescribeAlarmsFilters(t *testing.T) {
	svc, client := setup(t)
	for _, name := range []string{"churn-5xx", "churn-latency", "fraud-5xx"} {
		svc.PutAlarm(account, region, cloudwatch.Alarm{AlarmName: name, Threshold: 5, Dimensions: []cloudwatch.Dimension{{Name: "EndpointName", Value: "churn"}}})
	}
	svc.PutAlarm(account, "us-east-1", cloudwatch.Alarm{AlarmName: "churn-other-region"})
	if err := svc.SetAlarmState(account, region, "churn-latency", cloudwatch.StateAlarm, "Threshold Crossed: 3 datapoints"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   cw.DescribeAlarmsInput
		want []string
	}{
		{"all", cw.DescribeAlarmsInput{}, []string{"churn-5xx", "churn-latency", "fraud-5xx"}},
		{"by names", cw.DescribeAlarmsInput{AlarmNames: []string{"fraud-5xx", "missing"}}, []string{"fraud-5xx"}},
		{"by prefix", cw.DescribeAlarmsInput{AlarmNamePrefix: aws.String("churn-")}, []string{"churn-5xx", "churn-latency"}},
		{"by state", cw.DescribeAlarmsInput{StateValue: types.StateValueAlarm}, []string{"churn-latency"}},
		{"prefix and state", cw.DescribeAlarmsInput{AlarmNamePrefix: aws.String("churn-"), StateValue: types.StateValueOk}, []string{"churn-5xx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			p := cw.NewDescribeAlarmsPaginator(client, &tt.in)
			for p.HasMorePages() {
				out, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range out.MetricAlarms {
					got = append(got, aws.ToString(a.AlarmName))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("alarms = %v, want %v", got, tt.want)
			}
		})
	}

	out, err := client.DescribeAlarms(context.Background(), &cw.DescribeAlarmsInput{AlarmNames: []string{"churn-latency"}})
	if err != nil {
		t.Fatal(err)
	}
	a := out.MetricAlarms[0]
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != "Threshold Crossed: 3 datapoints" ||
		aws.ToFloat64(a.Threshold) != 5 || aws.ToInt32(a.Period) != 60 || len(a.Dimensions) != 1 ||
		aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:churn-latency" ||
		a.StateUpdatedTimestamp == nil || time.Since(*a.StateUpdatedTimestamp) > time.Minute {
		t.Errorf("alarm = %+v", a)
	}
}

func TestDescribeAlarmsPaginates(t *testing.T) {
	svc, client := setup(t)
	for _, name := range []string{"a", "b", "c"} {
		svc.PutAlarm(account, region, cloudwatch.Alarm{AlarmName: name})
	}
	out, err := client.DescribeAlarms(context.Background(), &cw.DescribeAlarmsInput{MaxRecords: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricAlarms) != 2 || out.NextToken == nil {
		t.Fatalf("first page: %d alarms, token %v", len(out.MetricAlarms), out.NextToken)
	}
	out, err = client.DescribeAlarms(context.Background(), &cw.DescribeAlarmsInput{MaxRecords: aws.Int32(2), NextToken: out.NextToken})
	if err != nil || len(out.MetricAlarms) != 1 || out.NextToken != nil {
		t.Fatalf("second page: %+v, %v", out, err)
	}
}

func TestDescribeAlarmsErrors(t *testing.T) {
	_, client := setup(t)
	tests := []struct {
		name     string
		in       cw.DescribeAlarmsInput
		wantCode string
		typed    any
	}{
		{"names and prefix", cw.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")}, "InvalidParameterCombination", new(*types.InvalidParameterCombinationException)},
		{"bad token", cw.DescribeAlarmsInput{NextToken: aws.String("zzz")}, "InvalidNextToken", new(*types.InvalidNextToken)},
		{"bad state", cw.DescribeAlarmsInput{StateValue: "BROKEN"}, "InvalidParameterValue", new(*types.InvalidParameterValueException)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.DescribeAlarms(context.Background(), &tt.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode || ae.ErrorMessage() == "" {
				t.Fatalf("error = %v, want %s with a message", err, tt.wantCode)
			}
			if !errors.As(err, tt.typed) {
				t.Errorf("error %T is not the modelled type %T", err, tt.typed)
			}
			if ae.ErrorFault() != smithy.FaultClient {
				t.Errorf("fault = %v, want client", ae.ErrorFault())
			}
		})
	}
}

func TestWriteErrorForCoreFaults(t *testing.T) {
	svc, client := setup(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc.WriteError(w, r, http.StatusBadRequest, "Throttling", "Rate exceeded")
	}))
	t.Cleanup(srv.Close)
	_, err := client.DescribeAlarms(context.Background(), &cw.DescribeAlarmsInput{}, func(o *cw.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" || ae.ErrorMessage() != "Rate exceeded" {
		t.Errorf("error = %v", err)
	}
}

func TestAlarmStateAPI(t *testing.T) {
	svc, _ := setup(t)
	if _, ok := svc.AlarmState(account, region, "x"); ok {
		t.Error("missing alarm reported as existing")
	}
	svc.PutAlarm(account, region, cloudwatch.Alarm{AlarmName: "x"})
	if st, ok := svc.AlarmState(account, region, "x"); !ok || st != cloudwatch.StateOK {
		t.Errorf("new alarm state = %s, %v", st, ok)
	}
	if err := svc.SetAlarmState(account, region, "x", "BROKEN", ""); err == nil {
		t.Error("invalid state accepted")
	}
	if err := svc.SetAlarmState(account, region, "missing", cloudwatch.StateAlarm, ""); err == nil {
		t.Error("missing alarm accepted")
	}
	if got := svc.Alarms(account, region); len(got) != 1 || got[0].AlarmName != "x" {
		t.Errorf("alarms = %+v", got)
	}
}
