package artifacts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// maxRecordBytes bounds one evidence record read back (records are a few
// KiB; one this large is not apply's).
const maxRecordBytes = 1 << 20

// record is the part of apply's evidence record (apply.Record) the
// rollback check reads.
type record struct {
	Model       string `json:"model"`
	Stage       string `json:"stage"`
	ToVersion   int    `json:"toVersion"`
	PullRequest struct {
		Number   int    `json:"number"`
		URL      string `json:"url"`
		MergeSHA string `json:"mergeSha"`
	} `json:"pullRequest"`
	Source struct {
		PackageARN string `json:"packageArn"`
	} `json:"source"`
	Endpoint struct {
		Name string `json:"name"`
	} `json:"endpoint"`
	FinishedAt time.Time `json:"finishedAt"`
	Outcome    string    `json:"outcome"`
	Artifacts  []struct {
		Source     string `json:"source"`
		SourceETag string `json:"sourceEtag"`
		SHA256     string `json:"sha256"`
		Size       int64  `json:"size"`
	} `json:"artifacts"`
}

// Deployed implements plan.History over the evidence records apply wrote
// under a package version's prefix in an environment's artifact bucket
// (<group>/<version>/evidence/<merge>.json), read with the environment's
// read-only role (docs/iam/permissions-inspect.json).
func (e *Evidence) Deployed(ctx context.Context, env manifest.Environment, group string, version int) ([]plan.PastDeployment, error) {
	prefix := plan.ArtifactPrefix(group, version) + "evidence/"
	objects, err := e.List(ctx, env, prefix)
	if err != nil {
		return nil, err
	}
	var out []plan.PastDeployment
	for _, o := range objects {
		key := strings.TrimPrefix(o.URI, "s3://"+env.ArtifactBucket+"/")
		if !strings.HasSuffix(key, ".json") || strings.Contains(strings.TrimPrefix(key, prefix), "/") {
			continue
		}
		data, err := e.ReadAll(ctx, env, o.URI, maxRecordBytes)
		if err != nil {
			return nil, err
		}
		var r record
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s is not an evidence record: %w", o.URI, err)
		}
		d := plan.PastDeployment{URI: o.URI, Model: r.Model, Stage: r.Stage, Version: r.ToVersion, SourcePackageARN: r.Source.PackageARN,
			Endpoint: r.Endpoint.Name, PullRequest: r.PullRequest.Number, PullRequestURL: r.PullRequest.URL, MergeSHA: r.PullRequest.MergeSHA,
			FinishedAt: r.FinishedAt, Outcome: r.Outcome}
		for _, a := range r.Artifacts {
			d.Artifacts = append(d.Artifacts, plan.Binding{URI: a.Source, ETag: a.SourceETag, Size: a.Size, SHA256: a.SHA256})
		}
		out = append(out, d)
	}
	return out, nil
}
