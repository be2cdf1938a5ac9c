package sts

import "testing"

func TestStringLike(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"repo:org/models:ref:refs/heads/main", "repo:org/models:ref:refs/heads/main", true},
		{"repo:org/models:ref:refs/heads/main", "repo:org/models:ref:refs/heads/mainx", false},
		{"repo:org/models:*", "repo:org/models:pull_request", true},
		{"repo:org/models:*", "repo:org/modelsX:pull_request", false},
		{"repo:org/*:pull_request", "repo:org/a/b:pull_request", true},
		{"repo:org/models:environment:prod?", "repo:org/models:environment:prod1", true},
		{"repo:org/models:environment:prod?", "repo:org/models:environment:prod", false},
		{"*", "", true},
		{"", "x", false},
	}
	for _, tc := range tests {
		if got := stringLike(tc.pattern, tc.s); got != tc.want {
			t.Errorf("stringLike(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		v     string
		valid bool
	}{
		{"pr-42", true},
		{"a.b@c=d,e+f_g", true},
		{"ab", true},
		{"a", false},
		{"", false},
		{"has space", false},
		{"slash/no", false},
		{string(make([]byte, 65)), false},
	}
	for _, tc := range tests {
		if err := validateName("roleSessionName", tc.v, true); (err == nil) != tc.valid {
			t.Errorf("validateName(%q) = %v", tc.v, err)
		}
	}
}
