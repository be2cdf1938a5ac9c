package plan

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// teams is an in-memory Directory for the domain's unit tests; scenario
// tests use the GitHub adapter against the emulator.
type teams struct {
	members map[string][]string // slug → logins
	writers []string
	err     error
}

func (t teams) IsTeamMember(_ context.Context, slug, login string) (bool, error) {
	if t.err != nil {
		return false, t.err
	}
	for _, m := range t.members[slug] {
		if strings.EqualFold(m, login) {
			return true, nil
		}
	}
	return false, nil
}

func (t teams) CanWrite(_ context.Context, login string) (bool, error) {
	if t.err != nil {
		return false, t.err
	}
	for _, w := range t.writers {
		if strings.EqualFold(w, login) {
			return true, nil
		}
	}
	return false, nil
}

const head = "1111111111111111111111111111111111111111"
const old = "0000000000000000000000000000000000000000"

func at(min int) time.Time { return time.Date(2026, 11, 1, 12, min, 0, 0, time.UTC) }

func TestJudgeApprovals(t *testing.T) {
	dir := teams{members: map[string][]string{"ml-governance": {"gina", "gus"}, "ml-leads": {"lee"}}, writers: []string{"wanda", "lee"}}
	cases := []struct {
		name      string
		approvers []string
		reviews   []Review
		counted   int
		reasons   map[string]string // login → substring of reason ("" = counted)
	}{
		{
			name:      "approval on head by a team member counts",
			approvers: []string{"team:ml-governance"},
			reviews:   []Review{{1, "gina", ReviewApproved, head, at(1)}},
			counted:   1,
			reasons:   map[string]string{"gina": ""},
		},
		{
			name:      "stale approval does not count",
			approvers: []string{"team:ml-governance"},
			reviews:   []Review{{1, "gina", ReviewApproved, old, at(1)}},
			reasons:   map[string]string{"gina": "stale"},
		},
		{
			name:      "author and commit authors never count",
			approvers: []string{"team:ml-governance", "alice", "carl"},
			reviews:   []Review{{1, "alice", ReviewApproved, head, at(1)}, {2, "Carl", ReviewApproved, head, at(2)}},
			reasons:   map[string]string{"alice": "author", "Carl": "authored commits"},
		},
		{
			name:      "latest decisive review wins, comments are ignored",
			approvers: []string{"team:ml-governance"},
			reviews: []Review{
				{1, "gina", ReviewChangesRequested, head, at(1)},
				{2, "gina", ReviewApproved, head, at(2)},
				{3, "gina", ReviewCommented, head, at(3)},
				{4, "gus", ReviewApproved, head, at(1)},
				{5, "gus", ReviewChangesRequested, head, at(4)},
			},
			counted: 1,
			reasons: map[string]string{"gina": "", "gus": "requested changes"},
		},
		{
			name:      "dismissed approval is gone",
			approvers: []string{"team:ml-governance"},
			reviews:   []Review{{1, "gina", ReviewApproved, head, at(1)}, {1, "gina", ReviewDismissed, head, at(5)}},
			reasons:   map[string]string{"gina": "dismissed"},
		},
		{
			name:      "not an approver",
			approvers: []string{"team:ml-governance"},
			reviews:   []Review{{1, "lee", ReviewApproved, head, at(1)}},
			reasons:   map[string]string{"lee": "not among the approvers"},
		},
		{
			name:      "named user counts, case-insensitively",
			approvers: []string{"Lee"},
			reviews:   []Review{{1, "lee", ReviewApproved, head, at(1)}},
			counted:   1,
			reasons:   map[string]string{"lee": ""},
		},
		{
			name:    "no approvers: anyone with write access",
			reviews: []Review{{1, "wanda", ReviewApproved, head, at(1)}, {2, "mallory", ReviewApproved, head, at(1)}},
			counted: 1,
			reasons: map[string]string{"wanda": "", "mallory": "no write access"},
		},
		{
			name:      "bots never count",
			approvers: nil,
			reviews:   []Review{{1, "helper[bot]", ReviewApproved, head, at(1)}},
			reasons:   map[string]string{"helper[bot]": "bot"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			facts := PullRequestFacts{Author: "alice", HeadSHA: head, CommitAuthors: []string{"alice", "carl"}, Reviews: c.reviews}
			a := JudgeApprovals(context.Background(), facts, 2, NewApprovers(c.approvers, dir))
			if a.Counted != c.counted {
				t.Errorf("counted %d, want %d: %+v", a.Counted, c.counted, a.Reviews)
			}
			if len(a.Reviews) != len(c.reasons) {
				t.Fatalf("reviews %+v, want %d reviewers", a.Reviews, len(c.reasons))
			}
			for _, v := range a.Reviews {
				want, ok := c.reasons[v.Login]
				if !ok {
					t.Errorf("unexpected reviewer %s", v.Login)
					continue
				}
				if want == "" && !v.Counted {
					t.Errorf("%s should count: %s", v.Login, v.Reason)
				}
				if want != "" && (v.Counted || !strings.Contains(v.Reason, want)) {
					t.Errorf("%s: counted=%v reason=%q, want reason containing %q", v.Login, v.Counted, v.Reason, want)
				}
			}
		})
	}
}

func TestMembershipLookupFailureKeepsTheGateShut(t *testing.T) {
	dir := teams{err: errors.New("403 Resource not accessible by integration")}
	facts := PullRequestFacts{Author: "alice", HeadSHA: head, Reviews: []Review{{1, "gina", ReviewApproved, head, at(1)}}}
	a := JudgeApprovals(context.Background(), facts, 1, NewApprovers([]string{"team:ml-governance"}, dir))
	if a.Counted != 0 || !strings.Contains(a.Reviews[0].Reason, "could not verify team membership") || !strings.Contains(a.Reviews[0].Reason, "403") {
		t.Fatalf("%+v", a.Reviews)
	}
}

func TestLatestDecisiveOrdersByLogin(t *testing.T) {
	got := LatestDecisive([]Review{{1, "zed", ReviewApproved, head, at(1)}, {2, "amy", ReviewCommented, head, at(2)}, {3, "Bob", ReviewApproved, head, at(3)}})
	var logins []string
	for _, r := range got {
		logins = append(logins, r.Login)
	}
	if !reflect.DeepEqual(logins, []string{"Bob", "zed"}) {
		t.Errorf("logins = %v", logins)
	}
}
