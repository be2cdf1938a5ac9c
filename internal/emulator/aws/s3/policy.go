package s3

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/identity"
)

// policy is a bucket policy reduced to Effect, Principal, Action and
// Resource; Conditions are not supported and make parsing fail, so a test
// cannot believe one is enforced.
type policy struct {
	Version   string
	Statement []statement
}

type statement struct {
	Sid       string
	Effect    string
	Principal principal
	Action    stringList
	Resource  stringList
	Condition json.RawMessage
}

// stringList is a policy value that is a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

// principal is "*" or {"AWS": …}.
type principal struct {
	AWS stringList
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		if star != "*" {
			return fmt.Errorf("principal %q: want \"*\" or {\"AWS\": …}", star)
		}
		p.AWS = []string{"*"}
		return nil
	}
	var obj struct{ AWS stringList }
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	p.AWS = obj.AWS
	return nil
}

func parsePolicy(doc string) (*policy, error) {
	// Statement may be one object or a list.
	var raw struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	p := &policy{Version: raw.Version}
	if err := json.Unmarshal(raw.Statement, &p.Statement); err != nil {
		var one statement
		if err2 := json.Unmarshal(raw.Statement, &one); err2 != nil {
			return nil, fmt.Errorf("parse policy statement: %w", err)
		}
		p.Statement = []statement{one}
	}
	if len(p.Statement) == 0 {
		return nil, errors.New("policy has no statement")
	}
	for _, st := range p.Statement {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, fmt.Errorf("statement %q: effect %q", st.Sid, st.Effect)
		}
		if len(st.Condition) > 0 {
			return nil, fmt.Errorf("statement %q: conditions are not supported by the emulator", st.Sid)
		}
		if len(st.Principal.AWS) == 0 || len(st.Action) == 0 || len(st.Resource) == 0 {
			return nil, fmt.Errorf("statement %q: needs Principal, Action and Resource", st.Sid)
		}
	}
	return p, nil
}

// decision is a policy's verdict on a request.
type decision int

const (
	implicitDeny decision = iota
	allow
	explicitDeny
)

func (p *policy) evaluate(account, arn, action, resource string) decision {
	if p == nil {
		return implicitDeny
	}
	d := implicitDeny
	for _, st := range p.Statement {
		if !anyMatch(st.Principal.AWS, func(pat string) bool { return identity.MatchPrincipal(pat, account, arn) }) ||
			!anyMatch(st.Action, func(pat string) bool { return wildcard(strings.ToLower(pat), strings.ToLower(action)) }) ||
			!anyMatch(st.Resource, func(pat string) bool { return wildcard(pat, resource) }) {
			continue
		}
		if st.Effect == "Deny" {
			return explicitDeny
		}
		d = allow
	}
	return d
}

func anyMatch(list []string, f func(string) bool) bool {
	for _, v := range list {
		if f(v) {
			return true
		}
	}
	return false
}

// wildcard matches IAM-style patterns: * any run, ? one character.
func wildcard(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcard(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcard(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && wildcard(pattern[1:], s[1:])
}

// allowed decides whether the caller may perform action on resource in
// bucket b: the owning account may do anything (IAM identity policies are
// not emulated); other accounts need the bucket policy's Allow, and an
// explicit Deny beats everything.
func (b *bucket) allowed(account, arn, action, resource string) bool {
	d := b.policy.evaluate(account, arn, action, resource)
	if d == explicitDeny {
		return false
	}
	return account == b.Owner || d == allow
}
