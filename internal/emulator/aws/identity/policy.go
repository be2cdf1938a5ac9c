package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Policy is a resource-based policy (an S3 bucket policy, a SageMaker
// model package group policy) reduced to Effect, Principal, Action and
// Resource. Conditions are not supported and make parsing fail, so that a
// test cannot believe one is enforced.
//
// Evaluation follows IAM's for a resource policy on its own: an explicit
// Deny beats any Allow; without a matching Allow the answer is an implicit
// deny (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
type Policy struct {
	Version   string
	Statement []Statement
}

// Statement is one statement of a [Policy].
type Statement struct {
	Sid       string
	Effect    string
	Principal Principal
	Action    StringList
	Resource  StringList
	Condition json.RawMessage
}

// StringList is a policy value that is a string or a list of strings.
type StringList []string

// UnmarshalJSON accepts a string or a list of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
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

// Principal is "*" or {"AWS": …}.
type Principal struct {
	AWS StringList
}

// UnmarshalJSON accepts "*" or {"AWS": a string or a list}.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		if star != "*" {
			return fmt.Errorf("principal %q: want \"*\" or {\"AWS\": …}", star)
		}
		p.AWS = []string{"*"}
		return nil
	}
	var obj struct{ AWS StringList }
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	p.AWS = obj.AWS
	return nil
}

// ParsePolicy parses a policy document. Statement may be one object or a
// list; every statement needs an Effect of Allow or Deny, a Principal, an
// Action and a Resource, and no Condition.
func ParsePolicy(doc string) (*Policy, error) {
	var raw struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	p := &Policy{Version: raw.Version}
	if err := json.Unmarshal(raw.Statement, &p.Statement); err != nil {
		var one Statement
		if err2 := json.Unmarshal(raw.Statement, &one); err2 != nil {
			return nil, fmt.Errorf("parse policy statement: %w", err)
		}
		p.Statement = []Statement{one}
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

// Decision is a policy's verdict on a request.
type Decision int

// The verdicts, weakest first.
const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

// Evaluate decides a request by the caller (account, principal arn) for
// action (case-insensitive, e.g. "sagemaker:DescribeModelPackage") on
// resource (an ARN, matched with * and ? wildcards). A nil policy denies
// implicitly.
func (p *Policy) Evaluate(account, arn, action, resource string) Decision {
	if p == nil {
		return ImplicitDeny
	}
	d := ImplicitDeny
	for _, st := range p.Statement {
		if !anyMatch(st.Principal.AWS, func(pat string) bool { return MatchPrincipal(pat, account, arn) }) ||
			!anyMatch(st.Action, func(pat string) bool { return Wildcard(strings.ToLower(pat), strings.ToLower(action)) }) ||
			!anyMatch(st.Resource, func(pat string) bool { return Wildcard(pat, resource) }) {
			continue
		}
		if st.Effect == "Deny" {
			return ExplicitDeny
		}
		d = Allow
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

// Wildcard matches IAM-style patterns: * any run, ? one character.
func Wildcard(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if Wildcard(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && Wildcard(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && Wildcard(pattern[1:], s[1:])
}
