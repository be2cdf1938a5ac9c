package awsemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// An unreachable account stands for one that a deployment can no longer
// reach: its credentials revoked, a service control policy denying
// everything, a network cut. Every request that would reach it is refused
// with the service's AccessDenied: one signed with its credentials, an
// AssumeRole into one of its roles, an S3 request naming one of its
// buckets (as the bucket, or as the copy source of CopyObject and
// UploadPartCopy), and a SageMaker request naming one of its model package
// groups or packages by ARN (a shared group or one of its versions, which
// SageMaker resolves in the ARN's account). The request log marks each refusal
// "unreachable", so a test can assert that nothing tried to reach the
// account.
type unreachableSet struct {
	mu       sync.Mutex
	accounts map[string]bool
}

// Unreachable makes account unreachable until restore is called.
func (s *Server) Unreachable(account string) (restore func()) {
	s.unreachable.mu.Lock()
	defer s.unreachable.mu.Unlock()
	if s.unreachable.accounts == nil {
		s.unreachable.accounts = map[string]bool{}
	}
	s.unreachable.accounts[account] = true
	return func() {
		s.unreachable.mu.Lock()
		defer s.unreachable.mu.Unlock()
		delete(s.unreachable.accounts, account)
	}
}

func (u *unreachableSet) has(account string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.accounts[account]
}

func (u *unreachableSet) empty() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.accounts) == 0
}

// reachesUnreachable reports whether r, from caller, would reach an
// unreachable account.
func (s *Server) reachesUnreachable(svc string, r *http.Request, caller service.Caller) bool {
	if s.unreachable.empty() {
		return false
	}
	if s.unreachable.has(caller.Account) {
		return true
	}
	switch svc {
	case "sts":
		// The body was buffered for signing (authenticate); reading the
		// form leaves it for the service.
		if role := formValue(r, "RoleArn"); role != "" {
			if a, err := arn.Parse(role); err == nil && s.unreachable.has(a.AccountID) {
				return true
			}
		}
	case "sagemaker":
		body, err := bufferBody(r)
		if err != nil {
			return false
		}
		var doc any
		if json.Unmarshal(body, &doc) == nil {
			for _, ref := range packageRefs(doc, nil) {
				if m := sagemakerARN.FindStringSubmatch(ref); m != nil && s.unreachable.has(m[1]) {
					return true
				}
			}
		}
	case "s3":
		buckets := []string{pathBucket(r.URL.Path)}
		if src := r.Header.Get("X-Amz-Copy-Source"); src != "" {
			if unescaped, err := url.PathUnescape(src); err == nil {
				src = unescaped
			}
			buckets = append(buckets, pathBucket(src))
		}
		owners := map[string]string{}
		for _, b := range s.s3.Buckets() {
			owners[b.Name] = b.Owner
		}
		for _, b := range buckets {
			if b != "" && s.unreachable.has(owners[b]) {
				return true
			}
		}
	}
	return false
}

// sagemakerARN matches a SageMaker resource ARN, capturing its account.
var sagemakerARN = regexp.MustCompile(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:([0-9]{12}):`)

// packageRefs collects, at any depth of a SageMaker request, the values of
// the members SageMaker resolves in another account when given an ARN:
// ModelPackageGroupName and ModelPackageName (a container's too). An ARN
// that is only recorded (in CustomerMetadataProperties, say) reaches
// nothing.
func packageRefs(v any, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "ModelPackageGroupName" || k == "ModelPackageName") {
				out = append(out, s)
				continue
			}
			out = packageRefs(x, out)
		}
	case []any:
		for _, x := range v {
			out = packageRefs(x, out)
		}
	}
	return out
}

func pathBucket(p string) string {
	b, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return b
}

// formValue reads one parameter of a query-protocol request (STS) without
// consuming its body.
func formValue(r *http.Request, name string) string {
	if v := r.URL.Query().Get(name); v != "" {
		return v
	}
	body, err := bufferBody(r)
	if err != nil {
		return ""
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return q.Get(name)
}
