package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// This file is the one reader of evidence records: the check (rollback,
// chain of custody, regression baseline), status and history all read
// records through Record, and judge them with plan.StoredRecord.Untrusted.

// Record reads the evidence record at uri in env's bucket with env's
// credentials: its bytes (at most plan.MaxRecordBytes), decoded, with what
// S3 said of the object, above all its server-side encryption and KMS key
// (GetObject returns x-amz-server-side-encryption and
// x-amz-server-side-encryption-aws-kms-key-id:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
// Bytes that are not a record are the StoredRecord's Err; only a failed
// read is an error.
func (e *Evidence) Record(ctx context.Context, env manifest.Environment, uri string) (plan.StoredRecord, error) {
	body, info, err := e.Store(env).Open(ctx, uri)
	if err != nil {
		return plan.StoredRecord{}, err
	}
	defer body.Close()
	s := plan.StoredRecord{URI: uri, Object: info}
	data, err := io.ReadAll(io.LimitReader(body, plan.MaxRecordBytes+1))
	if err != nil {
		return plan.StoredRecord{}, fmt.Errorf("read %s: %w", uri, err)
	}
	s.Record, s.Err = plan.DecodeRecord(uri, data)
	return s, nil
}

// Records implements plan.History over the evidence records apply wrote
// under a package version's prefix in an environment's artifact bucket
// (<group>/<version>/evidence/<merge>.json), read with the environment's
// read-only role (docs/iam/permissions-inspect.json).
func (e *Evidence) Records(ctx context.Context, env manifest.Environment, group string, version int) ([]plan.StoredRecord, error) {
	prefix := plan.ArtifactPrefix(group, version) + "evidence/"
	objects, err := e.List(ctx, env, prefix)
	if err != nil {
		return nil, err
	}
	var out []plan.StoredRecord
	for _, o := range objects {
		key := strings.TrimPrefix(o.URI, "s3://"+env.ArtifactBucket+"/")
		if !strings.HasSuffix(key, ".json") || strings.Contains(strings.TrimPrefix(key, prefix), "/") {
			continue
		}
		s, err := e.Record(ctx, env, o.URI)
		if errors.Is(err, plan.ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
