package identity

import "strings"

// MatchPrincipal reports whether the principal (account ID, ARN) matches a
// policy principal: "*", an account ID or arn:aws:iam::ACCT:root (anyone in
// the account), a role ARN (any session of the role) or an exact ARN.
func MatchPrincipal(pattern, account, arn string) bool {
	switch {
	case pattern == "*":
		return true
	case accountID.MatchString(pattern):
		return pattern == account
	case strings.HasPrefix(pattern, "arn:aws:iam::") && strings.HasSuffix(pattern, ":root"):
		return pattern == "arn:aws:iam::"+account+":root"
	case strings.Contains(pattern, ":role/"):
		acct, name, _ := strings.Cut(strings.TrimPrefix(pattern, "arn:aws:iam::"), ":role/")
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:] // role paths are not part of the session ARN
		}
		return strings.HasPrefix(arn, "arn:aws:sts::"+acct+":assumed-role/"+name+"/")
	}
	return pattern == arn
}
