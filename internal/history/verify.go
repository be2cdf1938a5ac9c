package history

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modelpromote/modelpromote/internal/manifest"
	"github.com/modelpromote/modelpromote/internal/plan"
)

// Verification is what re-reading one record's objects found.
type Verification struct {
	// OK is true when every object was read and has its recorded digest.
	OK      bool          `json:"ok"`
	Objects []ObjectCheck `json:"objects"`
	// Retention is the record's own Object Lock retention.
	Retention *Retention `json:"retention,omitempty"`
}

// ObjectCheck is one copied object re-read.
type ObjectCheck struct {
	URI      string `json:"uri"`
	Recorded string `json:"recorded"`
	Actual   string `json:"actual,omitempty"`
	Size     int64  `json:"size"`
	// Status is ok, mismatch, or unreadable (Error says why).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Retention is an object's Object Lock retention.
type Retention struct {
	Mode        string    `json:"mode,omitempty"`
	RetainUntil time.Time `json:"retainUntil,omitzero"`
}

// WriteOnce says whether the records' prefix is write-once: the bucket has
// Object Lock with a COMPLIANCE default, and every record is under a
// COMPLIANCE retention that has not passed. GOVERNANCE retention can be
// lifted by anyone with s3:BypassGovernanceRetention, so it does not count.
type WriteOnce struct {
	WriteOnce    bool   `json:"writeOnce"`
	BucketLock   bool   `json:"bucketLock"`
	DefaultMode  string `json:"defaultMode,omitempty"`
	DefaultDays  int    `json:"defaultDays,omitempty"`
	DefaultYears int    `json:"defaultYears,omitempty"`
	Unprotected  int    `json:"unprotected"`
	Detail       string `json:"detail"`
}

// Object check statuses.
const (
	CheckOK         = "ok"
	CheckMismatch   = "mismatch"
	CheckUnreadable = "unreadable"
)

// Verify re-reads every object each record lists and compares its SHA-256
// with the recorded one, and reads each record's Object Lock retention and
// the bucket's configuration. It reports whether everything verified: a
// record apply did not write (Entry.Untrusted) never does.
func Verify(ctx context.Context, s Store, env manifest.Environment, t *Timeline, now time.Time) bool {
	type job struct{ entry, object int }
	var jobs []job
	for i := range t.Entries {
		e := &t.Entries[i]
		e.Verification = &Verification{OK: true, Objects: make([]ObjectCheck, len(e.Record.Artifacts))}
		for k := range e.Record.Artifacts {
			jobs = append(jobs, job{i, k})
		}
	}
	each(len(jobs), func(n int) {
		j := jobs[n]
		a := t.Entries[j.entry].Record.Artifacts[j.object]
		c := ObjectCheck{URI: a.Target, Recorded: strings.ToLower(a.SHA256), Status: CheckOK}
		sum, size, err := s.SHA256(ctx, env, a.Target)
		c.Actual, c.Size = sum, size
		switch {
		case err != nil:
			c.Status, c.Error = CheckUnreadable, err.Error()
		case sum != c.Recorded:
			c.Status = CheckMismatch
		}
		t.Entries[j.entry].Verification.Objects[j.object] = c
	})
	locks := make([]plan.ObjectLock, len(t.Entries))
	lockErrs := make([]error, len(t.Entries))
	each(len(t.Entries), func(i int) { locks[i], lockErrs[i] = s.Lock(ctx, env, t.Entries[i].URI) })

	ok := true
	w := &WriteOnce{}
	var lockErr error // the first retention read that failed
	readLocks := 0
	for i := range t.Entries {
		v := t.Entries[i].Verification
		for _, c := range v.Objects {
			if c.Status != CheckOK {
				v.OK = false
			}
		}
		l := locks[i]
		if lockErrs[i] != nil && lockErr == nil {
			lockErr = lockErrs[i]
		}
		if lockErrs[i] == nil {
			readLocks++
			if l.BucketEnabled {
				w.BucketLock, w.DefaultMode, w.DefaultDays, w.DefaultYears = true, l.DefaultMode, l.DefaultDays, l.DefaultYears
			}
			if l.Mode != "" {
				v.Retention = &Retention{Mode: l.Mode, RetainUntil: l.RetainUntil.UTC()}
			}
		}
		if lockErrs[i] != nil || l.Mode != "COMPLIANCE" || !l.RetainUntil.After(now) {
			w.Unprotected++
		}
		ok = ok && v.OK && t.Entries[i].Untrusted == ""
	}
	w.WriteOnce = w.BucketLock && w.DefaultMode == "COMPLIANCE" && w.Unprotected == 0
	switch {
	case len(t.Entries) == 0:
		w.WriteOnce = false
		w.Detail = "no records to judge"
	case readLocks == 0:
		// Nothing was learnt of the bucket's lock: not "no Object Lock".
		w.Detail = fmt.Sprintf("the Object Lock retention of s3://%s could not be read, so write-once is not confirmed: %v", t.Bucket, lockErr)
	case w.WriteOnce:
		w.Detail = fmt.Sprintf("s3://%s has Object Lock with a COMPLIANCE default retention, and all %d records are under COMPLIANCE retention", t.Bucket, len(t.Entries))
	case !w.BucketLock:
		w.Detail = fmt.Sprintf("s3://%s does not have Object Lock: records can be overwritten or deleted (see the README's Audit section)", t.Bucket)
	case w.DefaultMode != "COMPLIANCE":
		w.Detail = fmt.Sprintf("s3://%s has Object Lock but no COMPLIANCE default retention (%q): new records are not protected", t.Bucket, w.DefaultMode)
	default:
		w.Detail = fmt.Sprintf("%d of %d records are not under a COMPLIANCE retention that has not passed", w.Unprotected, len(t.Entries))
	}
	t.WriteOnce = w
	if lockErr != nil && readLocks > 0 {
		w.Detail += "; retention unreadable: " + lockErr.Error()
	}
	return ok && len(t.Unread) == 0
}
