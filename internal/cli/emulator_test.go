package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/modelpromote/modelpromote/internal/aws/endpoints"
	"github.com/modelpromote/modelpromote/internal/world"
)

// serving starts a command that serves emulators until cancelled, with
// stdout on a pipe; stop cancels it and returns its exit code.
func serving(t *testing.T, args ...string) (stdout *bufio.Reader, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, args, NewFactory(Streams{Out: w, Err: io.Discard, Getenv: func(string) string { return "" }}))
		w.Close()
	}()
	go func() { <-ctx.Done(); r.Close() }()
	return bufio.NewReader(r), func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("the command did not stop when interrupted")
			return -1
		}
	}
}

// account is a client configuration for one of the world's accounts, from
// its description alone.
func account(t *testing.T, info world.Info, name string) aws.Config {
	t.Helper()
	for _, a := range info.AWS.Accounts {
		if a.Name == name {
			return aws.Config{Region: info.AWS.Region, BaseEndpoint: aws.String(info.AWS.Endpoint),
				Credentials: credentials.NewStaticCredentialsProvider(a.AccessKeyID, a.SecretAccessKey, "")}
		}
	}
	t.Fatalf("no account %s in %+v", name, info.AWS.Accounts)
	return aws.Config{}
}

// `modelpromote emulator` serves the world the demo starts from: the same
// versions and metrics, v12 live in staging (for over a day, so it has
// soaked) and v11 in prod, both through the central registry, and the
// governance account.
func TestEmulatorIsSeededLikeTheDemo(t *testing.T) {
	stdout, stop := serving(t, "emulator")
	var info world.Info
	if err := json.NewDecoder(stdout).Decode(&info); err != nil {
		t.Fatal(err)
	}
	for stage, want := range map[string]int{"staging": 12, "prod": 11} {
		name := map[string]string{"staging": "fraud-detector-staging", "prod": "fraud-detector"}[stage]
		s, err := endpoints.Trace(t.Context(), sagemaker.NewFromConfig(account(t, info, stage)), name)
		if err != nil || s == nil || s.SourceVersion != want {
			t.Errorf("%s serves %+v (%v), want v%d", stage, s, err, want)
			continue
		}
		if stage == "staging" && time.Since(s.Since) < 24*time.Hour {
			t.Errorf("staging went live %s ago; the demo's world has it live a day", time.Since(s.Since).Round(time.Second))
		}
	}
	pkgs, err := sagemaker.NewFromConfig(account(t, info, "dev")).ListModelPackages(t.Context(), &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String("fraud-detector"), MaxResults: aws.Int32(100)})
	if err != nil || len(pkgs.ModelPackageSummaryList) != 13 {
		t.Errorf("dev registry: %+v (%v), want versions 1–13", pkgs, err)
	}
	// What staging and prod run came through the central registry, which
	// holds those copies; the governance account is there for the cards.
	copies, err := sagemaker.NewFromConfig(account(t, info, "ml-shared")).ListModelPackages(t.Context(), &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String("fraud-detector")})
	if err != nil || len(copies.ModelPackageSummaryList) != 2 {
		t.Errorf("central registry: %+v (%v), want the copies of v11 and v12", copies, err)
	}
	if _, err := sagemaker.NewFromConfig(account(t, info, "governance")).ListModelCards(t.Context(), &sagemaker.ListModelCardsInput{}); err != nil {
		t.Errorf("governance account: %v", err)
	}
	if code := stop(); code != ExitOK {
		t.Errorf("exit %d after interrupt", code)
	}
}

// demo --keep=FILE writes the connection details to FILE, for jq, and says
// where; the story alone goes to standard output.
func TestDemoKeepWritesTheConnectionDetailsToAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulators.json")
	stdout, stop := serving(t, "demo", "--keep="+path, "--endpoint-delay", "5ms")
	var story strings.Builder
	for {
		line, err := stdout.ReadString('\n')
		if err != nil {
			t.Fatalf("%v after:\n%s", err, story.String())
		}
		story.WriteString(line)
		if strings.Contains(line, "endpoints and credentials are in") {
			if !strings.Contains(line, path) {
				t.Errorf("says %q, want %s named", line, path)
			}
			break
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var info world.Info
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatalf("%s is not the JSON description: %v", path, err)
	}
	id, err := sts.NewFromConfig(account(t, info, "prod")).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != world.ProdAccount {
		t.Errorf("prod credentials from the file: %+v (%v)", id, err)
	}
	if strings.Contains(story.String(), info.AWS.Bot.SecretAccessKey) {
		t.Error("the story on standard output carries the credentials too")
	}
	cardReadBack(t, info)
	if code := stop(); code != ExitOK {
		t.Errorf("exit %d after interrupt", code)
	}
}

func TestEmulatorHelpNamesItsArgument(t *testing.T) {
	code, _, errOut := run(t, "", nil, "emulator", "--help")
	if code != ExitOK || !strings.Contains(errOut, "-webhook-url URL") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	// --keep is a switch that takes an optional =FILE, never a separate
	// argument.
	if _, _, errOut := run(t, "", nil, "demo", "--help"); strings.Contains(errOut, "-keep FILE") || !strings.Contains(errOut, "--keep=FILE") {
		t.Errorf("demo --help:\n%s", errOut)
	}
}

// cardReadBack reads the model card the demo's applies left in the
// governance account with the AWS CLI, as the kept demo's read-backs do,
// with the connection file's credentials. Without the CLI it is skipped,
// unless CI is set (.ci/run installs awscli).
func cardReadBack(t *testing.T, info world.Info) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws CLI not installed (CI is set): apt-get install -y awscli")
		}
		t.Log("aws CLI not installed: the card is not read back with it")
		return
	}
	var gov world.AccountInfo
	for _, a := range info.AWS.Accounts {
		if a.Name == "governance" {
			gov = a
		}
	}
	home := t.TempDir()
	cmd := exec.Command(bin, "--endpoint-url", info.AWS.Endpoint, "--region", info.AWS.Region, "--output", "json",
		"sagemaker", "describe-model-card", "--model-card-name", "fraud-detector")
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=" + gov.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + gov.SecretAccessKey,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"), "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws sagemaker describe-model-card as %q: %v", gov.Name, err)
	}
	var card struct {
		ModelCardStatus string
		Content         string
	}
	if err := json.Unmarshal(out, &card); err != nil {
		t.Fatal(err)
	}
	var content struct {
		Evaluations []struct{ Name string } `json:"evaluation_details"`
		Additional  struct {
			Custom map[string]string `json:"custom_details"`
		} `json:"additional_information"`
	}
	if err := json.Unmarshal([]byte(card.Content), &content); err != nil {
		t.Fatal(err)
	}
	if card.ModelCardStatus != "PendingReview" || len(content.Evaluations) != 4 || content.Evaluations[0].Name != "v14 model quality" ||
		!strings.HasPrefix(content.Additional.Custom["modelpromote_stage_central"], "v14 registered") {
		t.Errorf("the card read back with the AWS CLI: %s", out)
	}
}
