package plan

import (
	"context"
	"strings"
	"testing"
)

// Who contributed, from GitHub's records, never counts; records that may
// miss someone count nobody; a request for changes is lifted only by an
// owner who did not contribute.
func TestJudgeApprovalsWithContributors(t *testing.T) {
	dir := teams{members: map[string][]string{"ml-leads": {"bob", "lee"}, "platform": {"pat", "alice"}}, writers: []string{"bob", "lee", "pat", "alice"}}
	contrib := func(c Contributors) *Contributors { return &c }
	pushed := Contributors{Roles: map[string][]string{"bob": {"pushed to promote-13"}}}
	cases := []struct {
		name    string
		contrib *Contributors
		reviews []Review
		counted int
		reasons map[string]string
		// blocking lists the reviewers whose dismissed request still blocks.
		blocking []string
	}{
		{"a pusher does not count", contrib(pushed),
			[]Review{{1, "bob", ReviewApproved, head, at(1)}, {2, "lee", ReviewApproved, head, at(2)}}, 1,
			map[string]string{"bob": "contributed to the pull request (pushed to promote-13)", "lee": ""}, nil},
		{"a co-author tied to no login by address, named as the reviewer", contrib(Contributors{Unresolved: []CoAuthor{{Name: "Lee", Email: "lee@corp.example", Commit: head}}}),
			[]Review{{1, "lee", ReviewApproved, head, at(1)}}, 0,
			map[string]string{"lee": "is named as co-author Lee <lee@corp.example>"}, nil},
		{"incomplete records count nobody", contrib(Contributors{Incomplete: "the pull request has 300 commits and GitHub lists only 250"}),
			[]Review{{1, "lee", ReviewApproved, head, at(1)}}, 0,
			map[string]string{"lee": "GitHub lists only 250"}, nil},
		{"a request for changes dismissed by the author blocks", contrib(Contributors{Dismissals: []Dismissal{{ReviewID: 1, State: ReviewChangesRequested, By: "alice"}}}),
			[]Review{{1, "lee", ReviewDismissed, head, at(1)}}, 0,
			map[string]string{"lee": "the dismissal by alice does not count: they are the pull request's author"}, []string{"lee"}},
		{"a request for changes dismissed by a non-owner blocks", contrib(Contributors{Dismissals: []Dismissal{{ReviewID: 1, State: ReviewChangesRequested, By: "bob"}}}),
			[]Review{{1, "lee", ReviewDismissed, head, at(1)}}, 0,
			map[string]string{"lee": "only an owner (team:platform) may lift it"}, []string{"lee"}},
		{"a request for changes dismissed by an owner who pushed blocks", contrib(Contributors{Roles: map[string][]string{"pat": {"pushed to promote-13"}}, Dismissals: []Dismissal{{ReviewID: 1, State: ReviewChangesRequested, By: "pat"}}}),
			[]Review{{1, "lee", ReviewDismissed, head, at(1)}}, 0,
			map[string]string{"lee": "they contributed to the pull request"}, []string{"lee"}},
		{"a request for changes dismissed by an owner is lifted", contrib(Contributors{Dismissals: []Dismissal{{ReviewID: 1, State: ReviewChangesRequested, By: "pat"}}}),
			[]Review{{1, "lee", ReviewDismissed, head, at(1)}}, 0,
			map[string]string{"lee": "requested changes, dismissed by owner pat"}, nil},
		{"a dismissed approval is only gone", contrib(Contributors{Dismissals: []Dismissal{{ReviewID: 1, State: ReviewApproved, By: "alice"}}}),
			[]Review{{1, "lee", ReviewDismissed, head, at(1)}}, 0,
			map[string]string{"lee": "review dismissed by alice"}, nil},
		{"a dismissal the timeline does not record blocks", contrib(Contributors{}),
			[]Review{{1, "lee", ReviewDismissed, head, at(1)}}, 0,
			map[string]string{"lee": "no record of who dismissed it"}, []string{"lee"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			facts := PullRequestFacts{Author: "alice", HeadSHA: head, Contributors: c.contrib, Reviews: c.reviews}
			a := judgeApprovals(context.Background(), facts, 1, NewApprovers([]string{"team:ml-leads"}, dir), NewApprovers([]string{"team:platform"}, dir))
			if a.Counted != c.counted {
				t.Errorf("counted %d, want %d: %+v", a.Counted, c.counted, a.Reviews)
			}
			var blocking []string
			for _, v := range a.Reviews {
				want := c.reasons[v.Login]
				if want == "" && !v.Counted || want != "" && !strings.Contains(v.Reason, want) {
					t.Errorf("%s: counted=%v reason %q, want %q", v.Login, v.Counted, v.Reason, want)
				}
				if v.Blocking {
					blocking = append(blocking, v.Login)
				}
			}
			if strings.Join(blocking, ",") != strings.Join(c.blocking, ",") {
				t.Errorf("blocking %v, want %v", blocking, c.blocking)
			}
		})
	}
}
