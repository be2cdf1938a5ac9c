// Package history answers an auditor's questions from the evidence records
// apply writes to each target environment's bucket: the timeline of a
// model's promotions in a stage (successes, failures, rollbacks), which
// version served at a given time, from which merge, approved by whom on
// which commit, with which report digests — and, with Verify, whether the
// records' copied objects still have their recorded SHA-256 and whether
// the records are write-once (S3 Object Lock in compliance mode).
package history

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/apply"
	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Store reads one environment's bucket with that environment's read
// credentials (artifacts.Evidence does). Record is the one reader of
// evidence records that the check uses too; what it reads is judged by
// plan.StoredRecord.Untrusted.
type Store interface {
	List(ctx context.Context, env manifest.Environment, prefix string) ([]plan.ObjectInfo, error)
	Record(ctx context.Context, env manifest.Environment, uri string) (plan.StoredRecord, error)
	SHA256(ctx context.Context, env manifest.Environment, uri string) (string, int64, error)
	Lock(ctx context.Context, env manifest.Environment, uri string) (plan.ObjectLock, error)
}

// concurrency bounds the records read (and objects re-hashed) at once.
const concurrency = 8

// ReadRecord reads the evidence record at uri in env's bucket and judges
// it: untrusted says why apply did not write it ("" when it did). A record
// that cannot be read or decoded is an error.
func ReadRecord(ctx context.Context, s Store, env manifest.Environment, uri string) (rec *apply.Record, untrusted string, err error) {
	sr, err := s.Record(ctx, env, uri)
	if err != nil {
		return nil, "", err
	}
	if sr.Err != nil {
		return nil, "", sr.Err
	}
	return sr.Record, sr.Untrusted(env), nil
}

// Kind classifies a promotion.
const (
	KindPromotion = "promotion"
	KindRollback  = "rollback" // to an older version than the stage served
	KindReconfig  = "reconfiguration"
)

// Entry is one evidence record in a timeline.
type Entry struct {
	URI    string        `json:"uri"`
	Kind   string        `json:"kind"`
	Record *apply.Record `json:"record"`
	// Untrusted says why apply did not write this record (see
	// plan.StoredRecord.Untrusted): it is shown, never believed. "" for a
	// record apply wrote.
	Untrusted string `json:"untrusted,omitempty"`
	// Verification is set by Verify.
	Verification *Verification `json:"verification,omitempty"`
}

// Timeline is every promotion of one model in one stage, oldest first.
type Timeline struct {
	Model   string   `json:"model"`
	Stage   string   `json:"stage"`
	Bucket  string   `json:"bucket"`
	Prefix  string   `json:"prefix"`
	Entries []Entry  `json:"entries"`
	Unread  []Unread `json:"unread,omitempty"`
	// WriteOnce is set by Verify.
	WriteOnce *WriteOnce `json:"writeOnce,omitempty"`
}

// Unread is a record that could not be read or decoded.
type Unread struct {
	URI   string `json:"uri"`
	Error string `json:"error"`
}

// Load lists the records' prefix of model's package group in stage's
// bucket and reads every record of that model and stage. Records are
// under <group>/<version>/evidence/<merge sha>.json (apply.RecordKey).
func Load(ctx context.Context, s Store, env manifest.Environment, model *manifest.Model, stage string) (*Timeline, error) {
	prefix := model.ModelPackageGroup + "/"
	objs, err := s.List(ctx, env, prefix)
	if err != nil {
		return nil, err
	}
	t := &Timeline{Model: model.Name, Stage: stage, Bucket: env.ArtifactBucket, Prefix: prefix, Entries: []Entry{}}
	var uris []string
	for _, o := range objs {
		if IsRecordURI(o.URI) {
			uris = append(uris, o.URI)
		}
	}
	recs := make([]*apply.Record, len(uris))
	untrusted := make([]string, len(uris))
	errs := make([]error, len(uris))
	each(len(uris), func(i int) { recs[i], untrusted[i], errs[i] = ReadRecord(ctx, s, env, uris[i]) })
	for i, rec := range recs {
		switch {
		case errs[i] != nil:
			t.Unread = append(t.Unread, Unread{URI: uris[i], Error: errs[i].Error()})
		case rec.Model == model.Name && rec.Stage == stage:
			t.Entries = append(t.Entries, Entry{URI: uris[i], Kind: kind(rec), Record: rec, Untrusted: untrusted[i]})
		}
	}
	sort.SliceStable(t.Entries, func(i, k int) bool {
		return t.Entries[i].Record.FinishedAt.Before(t.Entries[k].Record.FinishedAt)
	})
	return t, nil
}

// IsRecordURI reports whether uri names an evidence record
// (…/evidence/<merge sha>.json, apply.RecordKey).
func IsRecordURI(uri string) bool {
	dir, file, ok := cutLast(uri, "/")
	return ok && strings.HasSuffix(dir, "/evidence") && strings.HasSuffix(file, ".json")
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func kind(r *apply.Record) string {
	switch {
	case r.FromVersion != 0 && r.ToVersion < r.FromVersion:
		return KindRollback
	case r.FromVersion != 0 && r.ToVersion == r.FromVersion:
		return KindReconfig
	}
	return KindPromotion
}

// Served is the answer to "what served at T".
type Served struct {
	At time.Time `json:"at"`
	// Entry is the last successful promotion finished at or before At;
	// nil when no record says (the stage may predate modelpromote).
	Entry *Entry `json:"entry"`
	// Later counts the records after At (for context).
	Later int `json:"later"`
}

// At finds what served at t: the last promotion that finished
// successfully at or before t. A failed promotion leaves the previous
// version serving (apply keeps the old config when a rollout fails), so
// failures are skipped, and so are records apply did not write.
func (t *Timeline) At(at time.Time) *Served {
	s := &Served{At: at.UTC()}
	for i := range t.Entries {
		e := &t.Entries[i]
		if e.Record.FinishedAt.After(at) {
			s.Later++
			continue
		}
		if e.Record.Outcome == apply.StateSuccess && e.Untrusted == "" {
			s.Entry = e
		}
	}
	return s
}

func each(n int, f func(i int)) {
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}
