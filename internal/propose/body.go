package propose

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/plan"
	"github.com/modelpromote/modelpromote/internal/report"
)

// Body is the pull request description: what the promotion is and why it
// was proposed, the source package and its lineage with links, and the
// hidden block. pkg may be nil when the registry could not be read.
func (p *Proposal) Body(pkg *plan.ModelPackage) string {
	var b strings.Builder
	b.WriteString(p.Block() + "\n")
	fmt.Fprintf(&b, "## %s\n\n", p.title(report.Escape))
	fmt.Fprintf(&b, "This pull request changes `%s` so that stage **%s** runs version **%d** of model package group `%s`; the manifest names **v%d** today. Only that version changes in the file.\n\n",
		code(p.File), report.Escape(p.Stage), p.Version, code(p.ModelPackageGroup), p.FromVersion)
	switch p.Kind {
	case KindNext:
		fmt.Fprintf(&b, "Version %d is live in **%s** and has soaked there as long as the policy asks; the policy for **%s** sets `autoPropose`, so modelpromote opened this pull request.\n\n",
			p.Version, report.Escape(p.After), report.Escape(p.Stage))
	case KindRevert:
		fmt.Fprintf(&b, "The rollout of v%d to **%s**", p.FailedVersion, report.Escape(p.Stage))
		if p.FailedPR > 0 {
			fmt.Fprintf(&b, " (#%d)", p.FailedPR)
		}
		fmt.Fprintf(&b, " failed, and the endpoint still serves **v%d**. The policy sets `revertOnFailure`: merging this puts the manifest back to what actually serves, so git and reality agree again. Fix the cause and propose v%d again.\n\n",
			p.Version, p.FailedVersion)
	}
	if p.Resolved == "latest-approved" {
		fmt.Fprintf(&b, "v%d was resolved as the newest `Approved` version of the group when this was proposed, and is pinned here: a newer approval does not change this pull request.\n\n", p.Version)
	}
	b.WriteString("### Source package\n\n")
	writePackage(&b, p, pkg)
	b.WriteString("\nThe `modelpromote` check on this pull request verifies the lineage, the compliance reports, the evaluation against the version live in the stage, and the approvals the policy requires.\n")
	out := b.String()
	if len(out) > maxBody {
		out = out[:maxBody-len("\n…\n")] + "\n…\n"
	}
	return out
}

func writePackage(b *strings.Builder, p *Proposal, pkg *plan.ModelPackage) {
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Package | `%s` |\n", code(p.PackageARN))
	if pkg == nil {
		b.WriteString("\nThe source registry could not be read when this was proposed; the check reads it.\n")
		return
	}
	fmt.Fprintf(b, "| Status | %s, %s; registered %s |\n", report.Escape(pkg.ApprovalStatus), report.Escape(pkg.Status), pkg.CreatedAt.UTC().Format(time.RFC3339))
	if pkg.GeneratedBy != "" {
		fmt.Fprintf(b, "| Produced by | %s |\n", producer(pkg.GeneratedBy))
	}
	if pkg.Repository != "" || pkg.CommitID != "" {
		fmt.Fprintf(b, "| Code | %s |\n", commitLink(pkg.Repository, pkg.CommitID))
	}
	for _, c := range pkg.Containers {
		fmt.Fprintf(b, "| Model data | `%s` |\n", code(c.ModelDataURL))
		fmt.Fprintf(b, "| Image | `%s` |\n", code(c.Image))
	}
	if len(pkg.Reports) > 0 {
		seen := map[string]bool{}
		var kinds []string
		for _, r := range pkg.Reports {
			if k := string(r.Kind); !seen[k] {
				seen[k] = true
				kinds = append(kinds, k)
			}
		}
		fmt.Fprintf(b, "| Reports | %s |\n", report.Escape(strings.Join(kinds, ", ")))
	}
	if pkg.ModelCardName != "" {
		fmt.Fprintf(b, "| Model card | `%s` |\n", code(pkg.ModelCardName))
	}
	fmt.Fprintf(b, "\nInspect it with `aws sagemaker describe-model-package --model-package-name %s`.\n", code(p.PackageARN))
}

// producer links what GeneratedBy names: a training job has a console page;
// a pipeline execution is shown by ARN.
func producer(generatedBy string) string {
	a, err := arn.Parse(generatedBy)
	if err != nil {
		return "`" + code(generatedBy) + "`"
	}
	if name, ok := strings.CutPrefix(a.Resource, "training-job/"); ok {
		return fmt.Sprintf("training job [%s](%s)", report.Escape(name), consoleURL(a.Region, "#/jobs/"+url.PathEscape(name)))
	}
	if _, ok := strings.CutPrefix(a.Resource, "pipeline/"); ok {
		return "pipeline execution `" + code(generatedBy) + "`"
	}
	return "`" + code(generatedBy) + "`"
}

func consoleURL(region, fragment string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/sagemaker/home?region=%s%s", region, region, fragment)
}

// commitLink links a commit of a repository given as an https URL; other
// forms are shown as text.
func commitLink(repo, commit string) string {
	u, err := url.Parse(repo)
	if err == nil && u.Scheme == "https" && u.Host != "" && commit != "" && isHexString(commit) {
		base := strings.TrimSuffix(strings.TrimSuffix(repo, "/"), ".git")
		return fmt.Sprintf("[%s@%s](%s/commit/%s)", report.Escape(strings.TrimPrefix(base, "https://")), gitsha.Short(commit), base, commit)
	}
	return report.Escape(strings.TrimSpace(repo + " " + commit))
}

func isHexString(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return s != ""
}

// code makes s safe inside a markdown code span.
func code(s string) string { return strings.ReplaceAll(s, "`", "'") }
