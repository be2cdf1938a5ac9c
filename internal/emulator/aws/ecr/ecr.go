// Package ecr emulates the part of Amazon ECR that decides whether a
// SageMaker endpoint in one account can run an image stored in another:
// repositories, their images by digest and tag, and repository policies.
//
// The protocol is JSON 1.1: POST / with X-Amz-Target:
// AmazonEC2ContainerRegistry_V20150921.<Operation>, signing name "ecr"
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/Welcome.html).
// Images are seeded from Go (PutImage); pushing layers is out of scope.
// [Service.CanPull] is what SageMaker's CreateModel asks: an account may
// pull an image of its own registry, or of another account's repository
// whose policy allows it the pull actions, ecr:BatchGetImage and
// ecr:GetDownloadUrlForLayer
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html,
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-pull.html).
//
// Tags are mutable, ECR's default: pushing an image with a tag another
// image holds moves the tag, and the other image stays, untagged
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
package ecr

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelpromote/modelpromote/internal/emulator/aws/service"
)

// Service is the emulated ECR.
type Service struct {
	now func() time.Time

	mu    sync.Mutex
	repos map[repoKey]*repository
}

var _ service.Service = (*Service)(nil)

type repoKey struct{ account, region, name string }

type repository struct {
	name    string
	arn     string
	created time.Time
	policy  string
	images  map[string]*image // by digest
	// immutable is imageTagMutability IMMUTABLE: a pushed tag never moves.
	immutable bool
}

type image struct {
	digest string
	tags   []string
	pushed time.Time
	size   int64
}

// New returns an ECR with no repositories.
func New(now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{now: now, repos: map[repoKey]*repository{}}
}

// Name is the SigV4 signing name.
func (s *Service) Name() string { return "ecr" }

// protocol is the service's JSON 1.1 wire format (ECR's error members are
// lower-case "message").
var protocol = service.JSON11{TargetPrefix: "AmazonEC2ContainerRegistry_V20150921.", MessageMember: "message", InternalCode: "ServerException"}

// Operation returns the operation named by X-Amz-Target.
func (s *Service) Operation(r *http.Request) string { return protocol.Operation(r) }

func errorf(code, format string, args ...any) error {
	return &service.APIError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

var handlers = service.Operations[*Service]{
	"CreateRepository":     (*Service).createRepository,
	"DescribeRepositories": (*Service).describeRepositories,
	"DescribeImages":       (*Service).describeImages,
	"GetRepositoryPolicy":  (*Service).getPolicy,
	"SetRepositoryPolicy":  (*Service).setPolicy,
}

// ServeAWS handles an authenticated request.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, c service.Caller) {
	service.ServeOperations(protocol, w, r, &s.mu, s, c, handlers)
}

// WriteError writes a JSON 1.1 error.
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	protocol.WriteError(w, status, code, message)
}

var decode = service.Decode

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// repoName is ECR's repository name pattern.
var repoName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// lookup finds a repository of registry (default: the caller's account).
func (s *Service) lookup(c service.Caller, registry, name string) (*repository, string, error) {
	if registry == "" {
		registry = c.Account
	}
	r, ok := s.repos[repoKey{registry, c.Region, name}]
	if !ok {
		return nil, registry, errorf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, registry)
	}
	if registry != c.Account && !allows(r.policy, c.Account, "ecr:DescribeImages") {
		return nil, registry, errorf("AccessDeniedException", "User: %s is not authorized to perform: ecr:DescribeImages on resource: %s because no resource-based policy allows the ecr:DescribeImages action", c.ARN, r.arn)
	}
	return r, registry, nil
}

func (s *Service) createRepository(c service.Caller, body []byte) (any, error) {
	var in struct{ RepositoryName, ImageTagMutability string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if m := in.ImageTagMutability; m != "" && m != "MUTABLE" && m != "IMMUTABLE" {
		return nil, errorf("InvalidParameterException", "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'")
	}
	if !repoName.MatchString(in.RepositoryName) || len(in.RepositoryName) < 2 || len(in.RepositoryName) > 256 {
		return nil, errorf("InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '%s''", repoName)
	}
	r, err := s.create(c.Account, c.Region, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	r.immutable = in.ImageTagMutability == "IMMUTABLE"
	return map[string]any{"repository": r.describe(c.Account, c.Region)}, nil
}

func (s *Service) create(account, region, name string) (*repository, error) {
	k := repoKey{account, region, name}
	if _, ok := s.repos[k]; ok {
		return nil, errorf("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", name, account)
	}
	r := &repository{name: name, arn: fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, account, name), created: s.now(), images: map[string]*image{}}
	s.repos[k] = r
	return r, nil
}

func (r *repository) describe(account, region string) map[string]any {
	mutability := "MUTABLE"
	if r.immutable {
		mutability = "IMMUTABLE"
	}
	return map[string]any{"repositoryArn": r.arn, "registryId": account, "repositoryName": r.name,
		"repositoryUri": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", account, region, r.name), "createdAt": epoch(r.created),
		"imageTagMutability": mutability}
}

func (s *Service) describeRepositories(c service.Caller, body []byte) (any, error) {
	var in struct {
		RegistryId      string
		RepositoryNames []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	registry := in.RegistryId
	if registry == "" {
		registry = c.Account
	}
	out := []map[string]any{}
	if len(in.RepositoryNames) > 0 {
		for _, n := range in.RepositoryNames {
			r, _, err := s.lookup(c, registry, n)
			if err != nil {
				return nil, err
			}
			out = append(out, r.describe(registry, c.Region))
		}
	} else if registry == c.Account {
		var names []string
		for k := range s.repos {
			if k.account == registry && k.region == c.Region {
				names = append(names, k.name)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, s.repos[repoKey{registry, c.Region, n}].describe(registry, c.Region))
		}
	}
	return map[string]any{"repositories": out}, nil
}

// describeImages answers DescribeImages for the images named by digest or
// tag, or all of them.
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
func (s *Service) describeImages(c service.Caller, body []byte) (any, error) {
	var in struct {
		RegistryId     string
		RepositoryName string
		ImageIds       []struct{ ImageDigest, ImageTag string }
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	r, registry, err := s.lookup(c, in.RegistryId, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var found []*image
	if len(in.ImageIds) == 0 {
		for _, im := range r.images {
			found = append(found, im)
		}
		sort.Slice(found, func(i, j int) bool { return found[i].digest < found[j].digest })
	}
	for _, id := range in.ImageIds {
		im := r.find(id.ImageDigest, id.ImageTag)
		if im == nil {
			return nil, errorf("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
				orNull(id.ImageDigest), orNull(id.ImageTag), r.name, registry)
		}
		found = append(found, im)
	}
	details := []map[string]any{}
	for _, im := range found {
		d := map[string]any{"registryId": registry, "repositoryName": r.name, "imageDigest": im.digest,
			"imagePushedAt": epoch(im.pushed), "imageSizeInBytes": im.size, "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json"}
		if len(im.tags) > 0 {
			d["imageTags"] = im.tags
		}
		details = append(details, d)
	}
	return map[string]any{"imageDetails": details}, nil
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func (r *repository) find(digest, tag string) *image {
	if digest != "" {
		im := r.images[digest]
		if im != nil && (tag == "" || slices.Contains(im.tags, tag)) {
			return im
		}
		return nil
	}
	for _, im := range r.images {
		if slices.Contains(im.tags, tag) {
			return im
		}
	}
	return nil
}

func (s *Service) getPolicy(c service.Caller, body []byte) (any, error) {
	var in struct{ RegistryId, RepositoryName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	registry := in.RegistryId
	if registry == "" {
		registry = c.Account
	}
	r, ok := s.repos[repoKey{registry, c.Region, in.RepositoryName}]
	if !ok {
		return nil, errorf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", in.RepositoryName, registry)
	}
	// Another account reads the policy only where the policy lets it, as
	// the other read operations (lookup).
	if registry != c.Account && !allows(r.policy, c.Account, "ecr:GetRepositoryPolicy") {
		return nil, errorf("AccessDeniedException", "User: %s is not authorized to perform: ecr:GetRepositoryPolicy on resource: %s because no resource-based policy allows the ecr:GetRepositoryPolicy action", c.ARN, r.arn)
	}
	if r.policy == "" {
		return nil, errorf("RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", r.name, registry)
	}
	return map[string]string{"registryId": registry, "repositoryName": r.name, "policyText": r.policy}, nil
}

func (s *Service) setPolicy(c service.Caller, body []byte) (any, error) {
	var in struct{ RegistryId, RepositoryName, PolicyText string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	r, ok := s.repos[repoKey{c.Account, c.Region, in.RepositoryName}]
	if !ok || in.RegistryId != "" && in.RegistryId != c.Account {
		return nil, errorf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", in.RepositoryName, c.Account)
	}
	if _, err := parsePolicy(in.PolicyText); err != nil {
		return nil, errorf("InvalidParameterException", "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided': %v", err)
	}
	r.policy = in.PolicyText
	return map[string]string{"registryId": c.Account, "repositoryName": r.name, "policyText": r.policy}, nil
}

// policy is the part of a repository policy the emulator evaluates: Allow
// statements naming account principals (the account ID, its root ARN, or
// "*") and ecr actions (exact or "ecr:*").
type policy struct {
	Statement []struct {
		Effect    string
		Principal json.RawMessage
		Action    json.RawMessage
	}
}

func parsePolicy(text string) (*policy, error) {
	var p policy
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// strings1 reads a policy member that is a string or a list of them.
func strings1(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// allows reports whether a policy allows account to take action.
func allows(text, account, action string) bool {
	if text == "" {
		return false
	}
	p, err := parsePolicy(text)
	if err != nil {
		return false
	}
	allowed := false
	for _, st := range p.Statement {
		var principals []string
		var aws struct{ AWS json.RawMessage }
		if json.Unmarshal(st.Principal, &aws) == nil && aws.AWS != nil {
			principals = strings1(aws.AWS)
		} else {
			principals = strings1(st.Principal)
		}
		who := slices.ContainsFunc(principals, func(p string) bool {
			return p == "*" || p == account || p == "arn:aws:iam::"+account+":root"
		})
		what := slices.ContainsFunc(strings1(st.Action), func(a string) bool { return a == "ecr:*" || a == action || a == "*" })
		if who && what {
			if st.Effect == "Deny" {
				return false
			}
			allowed = allowed || st.Effect == "Allow"
		}
	}
	return allowed
}

// PutImage seeds an image (creating its repository when needed), as a
// docker push would leave it: a tag another image of a mutable repository
// holds moves to this one. In an immutable repository it fails with
// ImageTagAlreadyExistsException's text, as the push would.
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
func (s *Service) PutImage(account, region, repo, digest string, tags ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[repoKey{account, region, repo}]
	if !ok {
		r, _ = s.create(account, region, repo)
	}
	for _, tag := range tags {
		if holder := r.find("", tag); holder != nil && holder.digest != digest {
			if r.immutable {
				return fmt.Errorf("ImageTagAlreadyExistsException: The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable", tag, repo)
			}
			holder.tags = slices.DeleteFunc(holder.tags, func(t string) bool { return t == tag })
		}
	}
	im := r.images[digest]
	if im == nil {
		im = &image{digest: digest, pushed: s.now(), size: 512 << 20}
		r.images[digest] = im
	}
	for _, tag := range tags {
		if !slices.Contains(im.tags, tag) {
			im.tags = append(im.tags, tag)
		}
	}
	return nil
}

// SetPolicy sets a repository's policy from Go, as SetRepositoryPolicy does.
func (s *Service) SetPolicy(account, region, repo, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[repoKey{account, region, repo}]
	if !ok {
		return fmt.Errorf("ecr: no repository %s in %s/%s", repo, account, region)
	}
	if _, err := parsePolicy(text); err != nil {
		return err
	}
	r.policy = text
	return nil
}

// pullActions are what pulling an image takes: the manifest, then the
// layers.
var pullActions = []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}

// imageURI is ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO(@sha256:HEX|:TAG).
var imageURI = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^@:]+)(?:@(sha256:[0-9a-f]{64})|:([\w][\w.-]{0,127}))?$`)

// CanPull says whether account (in region) can pull image: nil when it
// can, otherwise why not. It has the signature of the SageMaker emulator's
// ImageAccess option. Images outside ECR are not this service's to judge.
func (s *Service) CanPull(account, region, img string) error {
	m := imageURI.FindStringSubmatch(img)
	if m == nil {
		if strings.Contains(img, ".dkr.ecr.") {
			return fmt.Errorf("%s is not a valid ECR image reference", img)
		}
		return nil
	}
	owner, repoRegion, repo, digest, tag := m[1], m[2], m[3], m[4], m[5]
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[repoKey{owner, repoRegion, repo}]
	if !ok {
		return fmt.Errorf("repository %s does not exist in registry %s", repo, owner)
	}
	if owner != account {
		for _, action := range pullActions {
			if !allows(r.policy, account, action) {
				return fmt.Errorf("the policy of repository %s in account %s does not let account %s pull (%s)", repo, owner, account, action)
			}
		}
	}
	if digest == "" && tag == "" {
		tag = "latest"
	}
	if r.find(digest, tag) == nil {
		return fmt.Errorf("image %s does not exist", img)
	}
	return nil
}
