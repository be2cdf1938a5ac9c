package route

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// fakeGitHub answers Resolve's questions from maps and counts them.
type fakeGitHub struct {
	writers map[string]bool
	open    map[string]int // head SHA → open pull request
	merged  map[string]int // merge SHA → pull request
	err     error
	calls   []string
}

func (f *fakeGitHub) FullName() string { return "acme/models" }

func (f *fakeGitHub) CanWrite(_ context.Context, login string) (bool, error) {
	f.calls = append(f.calls, "CanWrite "+login)
	return f.writers[login], f.err
}

func (f *fakeGitHub) OpenPullRequestWithHead(_ context.Context, sha string) (int, error) {
	f.calls = append(f.calls, "OpenPullRequestWithHead "+sha)
	return f.open[sha], f.err
}

func (f *fakeGitHub) MergedAs(_ context.Context, sha string) (int, error) {
	f.calls = append(f.calls, "MergedAs "+sha)
	return f.merged[sha], f.err
}

func TestResolve(t *testing.T) {
	head, merge := "1111111aaaaaaaa", "2222222bbbbbbbb"
	down := errors.New("GitHub is down")
	for _, c := range []struct {
		name  string
		job   Job
		err   error
		want  Job
		calls []string
		fails bool
	}{
		{name: "a job with its pull request asks nothing", job: Job{Command: Check, PR: 7}, want: Job{Command: Check, PR: 7}},
		{name: "a writer's comment", job: Job{Command: Plan, PR: 7, Commenter: "alice"},
			want: Job{Command: Plan, PR: 7, Commenter: "alice"}, calls: []string{"CanWrite alice"}},
		{name: "a reader's comment is nothing", job: Job{Command: Check, PR: 7, Commenter: "mallory"},
			want: Job{Reason: "mallory asked for a re-check but has no write access to acme/models"}, calls: []string{"CanWrite mallory"}},
		{name: "the permission cannot be read", job: Job{Command: Check, PR: 7, Commenter: "alice"}, err: down, fails: true,
			want: Job{Command: Check, PR: 7, Commenter: "alice"}, calls: []string{"CanWrite alice"}},
		{name: "a check of a head finds the open pull request", job: Job{Command: Check, SHA: head},
			want: Job{Command: Check, SHA: head, PR: 3}, calls: []string{"OpenPullRequestWithHead " + head}},
		{name: "a check of a head no open pull request has", job: Job{Command: Check, SHA: merge},
			want: Job{Reason: "no open pull request has head 2222222"}, calls: []string{"OpenPullRequestWithHead " + merge}},
		{name: "an apply of a merge finds the merged pull request", job: Job{Command: Apply, SHA: merge},
			want: Job{Command: Apply, SHA: merge, PR: 5}, calls: []string{"MergedAs " + merge}},
		{name: "a plan of a merge finds the merged pull request", job: Job{Command: Plan, SHA: merge},
			want: Job{Command: Plan, SHA: merge, PR: 5}, calls: []string{"MergedAs " + merge}},
		{name: "a direct push is nothing to apply", job: Job{Command: Apply, SHA: head},
			want: Job{Reason: "commit 1111111 is not the merge of a pull request: nothing to apply"}, calls: []string{"MergedAs " + head}},
		{name: "the merge cannot be looked up", job: Job{Command: Apply, SHA: merge}, err: down, fails: true,
			want: Job{Command: Apply, SHA: merge}, calls: []string{"MergedAs " + merge}},
		{name: "a drift job asks nothing", job: Job{Command: Drift}, want: Job{Command: Drift}},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh := &fakeGitHub{writers: map[string]bool{"alice": true}, open: map[string]int{head: 3}, merged: map[string]int{merge: 5}, err: c.err}
			got, err := Resolve(context.Background(), gh, c.job)
			if (err != nil) != c.fails || (err != nil && !errors.Is(err, down)) {
				t.Errorf("err = %v, want failure %v", err, c.fails)
			}
			if got != c.want {
				t.Errorf("job = %+v, want %+v", got, c.want)
			}
			if !reflect.DeepEqual(gh.calls, c.calls) {
				t.Errorf("asked %q, want %q", gh.calls, c.calls)
			}
		})
	}
}
