package plan

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// PullActions are what a repository policy must allow the target account
// before the check lets a promotion deploy an image of another account's
// registry: the image manifest, the layers' download URLs and the layer
// check pull clients make. The ECR user guide's cross-account pull examples
// grant these
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html,
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-pull.html).
var PullActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}

// policyDoc is an IAM policy document as JSON gives it: Statement is one
// statement or a list of them.
type policyDoc struct {
	Statement json.RawMessage
}

type policyStatement struct {
	Sid          string
	Effect       string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Action       json.RawMessage
	NotAction    json.RawMessage
	NotResource  json.RawMessage
	Condition    json.RawMessage
}

// PullRefusal judges an ECR repository policy: may principals of account
// (whose models run as executionRole) pull from the repository? It returns
// "" when every one of PullActions is allowed, without a condition, to the
// account ("*", the account ID, its root ARN) or to the execution role,
// and no Deny statement may apply; otherwise why not, in plain words.
//
// It fails closed on what it cannot evaluate: an Allow with a Condition
// (aws:PrincipalOrgID, say), NotPrincipal or NotAction grants nothing here,
// and a Deny that might apply (any Condition, NotPrincipal, NotAction or
// NotResource) counts as denying. The reason names such statements, so
// that whoever owns the policy can state the grant plainly.
// Identity policies in the target account (the execution role must be
// allowed the same actions) are not the repository policy's to say and are
// not judged here.
func PullRefusal(policyText, account, executionRole string) string {
	stmts, err := parseStatements(policyText)
	if err != nil {
		return fmt.Sprintf("its policy cannot be read (%v), so whether account %s may pull is unknown", err, account)
	}
	allowed := map[string]bool{}
	var unevaluated, denials []string
	for i, st := range stmts {
		name := st.Sid
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		actions, actionsErr := stringList(st.Action)
		principals, principalsErr := principalList(st.Principal)
		if actionsErr != nil || principalsErr != nil {
			unevaluated = append(unevaluated, fmt.Sprintf("statement %s has a Principal or Action the check cannot read", name))
			if st.Effect == "Deny" {
				denials = append(denials, fmt.Sprintf("statement %s may deny it (it cannot be read)", name))
			}
			continue
		}
		who := slices.ContainsFunc(principals, func(p string) bool { return grantsTo(p, account, executionRole) })
		switch st.Effect {
		case "Allow":
			if !who || len(st.NotPrincipal) > 0 || len(st.NotAction) > 0 {
				if len(st.NotPrincipal) > 0 || len(st.NotAction) > 0 {
					unevaluated = append(unevaluated, fmt.Sprintf("statement %s uses NotPrincipal or NotAction, which the check does not evaluate", name))
				}
				continue
			}
			var matched []string
			for _, a := range PullActions {
				if slices.ContainsFunc(actions, func(pat string) bool { return actionMatches(pat, a) }) {
					matched = append(matched, a)
				}
			}
			if len(matched) == 0 {
				continue
			}
			if hasCondition(st.Condition) {
				unevaluated = append(unevaluated, fmt.Sprintf("statement %s allows it only under a Condition, which the check cannot evaluate", name))
				continue
			}
			for _, a := range matched {
				allowed[a] = true
			}
		case "Deny":
			mayMatchWho := who || len(st.NotPrincipal) > 0
			mayMatchWhat := len(st.NotAction) > 0 || slices.ContainsFunc(PullActions, func(a string) bool {
				return slices.ContainsFunc(actions, func(pat string) bool { return actionMatches(pat, a) })
			})
			if !mayMatchWho || !mayMatchWhat {
				continue
			}
			switch {
			case hasCondition(st.Condition):
				denials = append(denials, fmt.Sprintf("statement %s denies it under a Condition the check cannot evaluate", name))
			case len(st.NotPrincipal) > 0 || len(st.NotAction) > 0 || len(st.NotResource) > 0:
				denials = append(denials, fmt.Sprintf("statement %s may deny it (NotPrincipal, NotAction or NotResource, which the check does not evaluate)", name))
			default:
				denials = append(denials, fmt.Sprintf("statement %s denies it", name))
			}
		default:
			unevaluated = append(unevaluated, fmt.Sprintf("statement %s has Effect %q", name, st.Effect))
		}
	}
	if len(denials) > 0 {
		return fmt.Sprintf("its policy does not let account %s pull: %s", account, strings.Join(denials, "; "))
	}
	var missing []string
	for _, a := range PullActions {
		if !allowed[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	why := fmt.Sprintf("its policy does not allow %s to account %s (arn:aws:iam::%s:root) or its execution role", strings.Join(missing, ", "), account, account)
	if len(unevaluated) > 0 {
		why += " without conditions; " + strings.Join(unevaluated, "; ")
	}
	return why
}

func parseStatements(text string) ([]policyStatement, error) {
	var doc policyDoc
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	raw := strings.TrimSpace(string(doc.Statement))
	switch {
	case raw == "" || raw == "null":
		return nil, nil
	case strings.HasPrefix(raw, "["):
		var out []policyStatement
		err := json.Unmarshal(doc.Statement, &out)
		return out, err
	default:
		var one policyStatement
		err := json.Unmarshal(doc.Statement, &one)
		return []policyStatement{one}, err
	}
}

// stringList reads a policy member that is a string or a list of them;
// absent is empty.
func stringList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, err
	}
	return many, nil
}

// principalList reads Principal: "*" or {"AWS": …}. Other principal kinds
// (Service, Federated) name nobody of the target account.
func principalList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return []string{star}, nil
	}
	var kinds map[string]json.RawMessage
	if err := json.Unmarshal(raw, &kinds); err != nil {
		return nil, err
	}
	return stringList(kinds["AWS"])
}

var rootARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):root$`)

// grantsTo says whether a policy's AWS principal covers the models of
// account running as executionRole.
func grantsTo(principal, account, executionRole string) bool {
	if principal == "*" || principal == account {
		return true
	}
	if m := rootARN.FindStringSubmatch(principal); m != nil {
		return m[1] == account
	}
	return executionRole != "" && principal == executionRole
}

// actionMatches matches an action against a policy's action pattern, case
// insensitively, with IAM's * and ? wildcards.
func actionMatches(pattern, action string) bool {
	return globMatch(strings.ToLower(pattern), strings.ToLower(action))
}

func globMatch(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if globMatch(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

func hasCondition(raw json.RawMessage) bool {
	t := strings.TrimSpace(string(raw))
	return t != "" && t != "null" && t != "{}"
}
