package identity

import (
	"strings"
	"testing"
)

func TestMatchPrincipal(t *testing.T) {
	const (
		acct    = "111111111111"
		user    = "arn:aws:iam::111111111111:user/admin"
		session = "arn:aws:sts::111111111111:assumed-role/promoter/pr-1"
	)
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"*", user, true},
		{acct, user, true},
		{"222222222222", user, false},
		{"arn:aws:iam::111111111111:root", session, true},
		{"arn:aws:iam::222222222222:root", session, false},
		{"arn:aws:iam::111111111111:role/promoter", session, true},
		{"arn:aws:iam::111111111111:role/ci/promoter", session, true},
		{"arn:aws:iam::111111111111:role/promote", session, false},
		{"arn:aws:iam::111111111111:role/promoter", user, false},
		{user, user, true},
		{"arn:aws:iam::111111111111:user/other", user, false},
	}
	for _, tc := range tests {
		if got := MatchPrincipal(tc.pattern, acct, tc.arn); got != tc.want {
			t.Errorf("MatchPrincipal(%q, %q) = %v", tc.pattern, tc.arn, got)
		}
	}
}

func TestKeyStringHidesSecrets(t *testing.T) {
	s := NewStore()
	if err := s.AddAccount("dev", "111111111111"); err != nil {
		t.Fatal(err)
	}
	k, err := s.AddUser("111111111111", "admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{k.String(), k.GoString()} {
		if strings.Contains(out, k.SecretAccessKey) {
			t.Errorf("%q shows the secret", out)
		}
	}
	if err := s.AddAccount("bad", "12345"); err == nil {
		t.Error("accepted a 5-digit account ID")
	}
}
