package sagemaker

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// resolvePackage finds a model package by name or ARN for a caller. A
// package of another account (the "share" alternative to copying) is
// found in that account, and only if its group's resource policy allows
// the caller's account (see [policyAllows]); otherwise the caller gets
// AccessDeniedException, as from IAM.
func (s *Service) resolvePackage(st *state, c service.Caller, ref, action string) (*ModelPackage, error) {
	owner := st
	if strings.HasPrefix(ref, "arn:") {
		if parts := strings.Split(ref, ":"); len(parts) > 5 && (parts[4] != st.account || parts[3] != st.region) {
			owner = s.state(parts[4], parts[3])
		}
	}
	p := owner.findPackage(ref)
	if p == nil {
		return nil, validationError("Could not find model package with name %s.", ref)
	}
	if owner != st {
		g, ok := owner.group(p.ModelPackageGroupName)
		if !ok || !policyAllows(g.ResourcePolicy, st.account) {
			return nil, &apiError{status: http.StatusBadRequest, code: "AccessDeniedException", message: fmt.Sprintf(
				"User: %s is not authorized to perform: sagemaker:%s on resource: %s because no resource-based policy allows the sagemaker:%s action", c.ARN, action, p.ModelPackageArn, action)}
		}
	}
	return p, nil
}

// policyAllows reports whether a resource policy has an Allow statement
// whose AWS principal is "*" or belongs to account. Actions, resources and
// conditions are not evaluated.
func policyAllows(policy, account string) bool {
	var doc struct {
		Statement []struct {
			Effect    string
			Principal json.RawMessage
		}
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	for _, stmt := range doc.Statement {
		if stmt.Effect != "Allow" {
			continue
		}
		var principals []string
		var p struct{ AWS json.RawMessage }
		if json.Unmarshal(stmt.Principal, &p) == nil && p.AWS != nil {
			if json.Unmarshal(p.AWS, &principals) != nil {
				var one string
				json.Unmarshal(p.AWS, &one)
				principals = []string{one}
			}
		} else {
			var star string
			json.Unmarshal(stmt.Principal, &star)
			principals = []string{star}
		}
		for _, pr := range principals {
			if pr == "*" || pr == account || strings.HasPrefix(pr, "arn:aws:iam::"+account+":") {
				return true
			}
		}
	}
	return false
}
