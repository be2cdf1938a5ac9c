package plan

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/modelpromote/modelpromote/internal/manifest"
)

// ImageRef is a container image in an Amazon ECR private registry:
// ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPOSITORY[:TAG][@sha256:HEX].
type ImageRef struct {
	Registry, Region string
	// Suffix is the host's end: "amazonaws.com" or "amazonaws.com.cn".
	Suffix     string
	Repository string
	Tag        string
	Digest     string // "sha256:…"
}

var imageRE = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)/([a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$`)

// ParseImage reads an ECR image reference; ok is false for anything else
// (another registry, a malformed reference).
func ParseImage(s string) (ImageRef, bool) {
	m := imageRE.FindStringSubmatch(s)
	if m == nil {
		return ImageRef{}, false
	}
	return ImageRef{Registry: m[1], Region: m[2], Suffix: m[3], Repository: m[4], Tag: m[5], Digest: m[6]}, true
}

// Host is the registry's host name.
func (r ImageRef) Host() string {
	return fmt.Sprintf("%s.dkr.ecr.%s.%s", r.Registry, r.Region, r.Suffix)
}

// String is the reference as docker writes it.
func (r ImageRef) String() string {
	s := r.Host() + "/" + r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ByDigest is the image pinned by digest, without its tag.
func (r ImageRef) ByDigest(digest string) string {
	return r.Host() + "/" + r.Repository + "@" + digest
}

// MirrorOf is where an image of repository repo is in a mirror
// (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME, validated by the manifest):
// repository NAME/repo of the mirror's registry.
func MirrorOf(mirror, repo string) (ImageRef, bool) {
	m, ok := ParseImage(mirror)
	if !ok || m.Tag != "" || m.Digest != "" {
		return ImageRef{}, false
	}
	m.Repository += "/" + repo
	return m, true
}

// Images reads container images and repository policies in Amazon ECR:
// the source account's registry through the source read role when env is
// nil, otherwise through env's read role (a mirror).
type Images interface {
	// Digest resolves an image by its tag or digest (tag "latest" when it
	// has neither), as DescribeImages does: ErrNotFound when the
	// repository or the image does not exist.
	Digest(ctx context.Context, env *manifest.Environment, image ImageRef) (string, error)
	// RepositoryPolicy returns the policy text of image's repository:
	// ErrNotFound when the repository has none.
	RepositoryPolicy(ctx context.Context, env *manifest.Environment, image ImageRef) (string, error)
}

// ImageCheck is one container image of a promotion, as the check found it.
type ImageCheck struct {
	// Image is the reference the source package holds.
	Image string `json:"image"`
	// Digest is what Image resolved to when the check read it.
	Digest string `json:"digest,omitempty"`
	// Deploy is what the target runs: the mirror's reference by digest
	// with an imageMirror, the source image by digest without.
	Deploy string `json:"deploy,omitempty"`
	// Mirror is the environment's imageMirror, "" without one.
	Mirror string `json:"mirror,omitempty"`
	// Problem says why the target cannot run it ("" when it can).
	Problem string `json:"problem,omitempty"`
}

// DeployImage is one image a deploy action runs: the source package's
// reference, the digest the check bound it to, and the reference the
// target package and its models hold.
type DeployImage struct {
	Source string `json:"source"`
	Digest string `json:"digest"`
	Image  string `json:"image"`
}

// checkImages checks every image of pkg: resolved to its digest in the
// source registry, pullable by the target account (the source
// repository's policy lets it, or the same digest is in the environment's
// imageMirror), and, at apply, still the digest the pull request's check
// bound. Each problem shuts the lineage gate.
func checkImages(ctx context.Context, src Sources, env manifest.Environment, pkg *ModelPackage, add func(Gate, Severity, string)) []ImageCheck {
	var out []ImageCheck
	seen := map[string]bool{}
	for _, c := range pkg.Containers {
		if c.Image == "" || seen[c.Image] {
			continue
		}
		seen[c.Image] = true
		ic := checkImage(ctx, src, env, c.Image)
		if ic.Problem != "" {
			add(GateLineage, SeverityError, ic.Problem)
		}
		out = append(out, ic)
	}
	return out
}

func checkImage(ctx context.Context, src Sources, env manifest.Environment, image string) ImageCheck {
	ic := ImageCheck{Image: image, Mirror: env.ImageMirror}
	fail := func(format string, args ...any) ImageCheck {
		ic.Problem = fmt.Sprintf(format, args...)
		return ic
	}
	ref, ok := ParseImage(image)
	if !ok {
		return fail("image %s is not an Amazon ECR image (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG|@sha256:…]): the check cannot tell whether account %s can pull it", image, env.Account)
	}
	if src.via != nil {
		// A registry-only stage's copy: it holds the image by the digest
		// bound when that stage took the version, and the source account
		// (whose registry holds the image) is not read for this stage.
		// Whether this stage's account may pull it shows at deploy.
		if ref.Digest == "" {
			return fail("%s's copy names image %s by tag, not by digest: promote the version to %s again", src.via.Name, image, src.via.Name)
		}
		ic.Digest, ic.Deploy = ref.Digest, ref.ByDigest(ref.Digest)
		if was, ok := src.Reviewed[image]; src.Reviewed != nil && (!ok || "sha256:"+was.SHA256 != ref.Digest) {
			return fail("the pull request's check did not bind image %s to digest %s: nothing it did not see is applied (re-run the check)", image, ref.Digest)
		}
		return ic
	}
	if ref.Registry != src.Source.Account || ref.Region != src.Source.Region {
		return fail("image %s is not in the source account's registry (%s in %s): the check reads only that registry, so it cannot tell whether account %s can pull it; push it there", image, src.Source.Account, src.Source.Region, env.Account)
	}
	if src.Images == nil {
		return fail("image %s was not checked: this run has no access to Amazon ECR", image)
	}
	digest, err := src.Images.Digest(ctx, nil, ref)
	switch {
	case errors.Is(err, ErrNotFound):
		return fail("image %s does not exist in the source account's registry", image)
	case err != nil:
		return fail("could not resolve image %s to its digest: %v", image, err)
	case ref.Digest != "" && digest != ref.Digest:
		return fail("image %s resolved to another digest, %s", image, digest)
	}
	ic.Digest = digest
	if src.Reviewed != nil {
		was, ok := src.Reviewed[image]
		switch {
		case !ok:
			return fail("the pull request's check did not bind image %s to its digest: nothing it did not see is applied (re-run the check)", image)
		case "sha256:"+was.SHA256 != digest:
			return fail("image %s is now %s, but the pull request's check saw %s: its tag moved after the review, and that image was never reviewed", image, digest, "sha256:"+was.SHA256)
		}
	}
	if env.RegistryOnly {
		// Nothing runs there, so nothing pulls: its copy holds the image
		// by the digest bound here, and the stages after it check their
		// own pulls.
		ic.Deploy = ref.ByDigest(digest)
		return ic
	}
	if env.ImageMirror != "" {
		mirror, ok := MirrorOf(env.ImageMirror, ref.Repository)
		if !ok {
			return fail("imageMirror %s of environment %s is not an ECR repository URI", env.ImageMirror, env.Name)
		}
		mirror.Digest = digest
		_, err := src.Images.Digest(ctx, &env, mirror)
		switch {
		case errors.Is(err, ErrNotFound):
			return fail("the image mirror of %s has no %s: copy image %s (digest %s) to %s/%s before promoting; the mirror must hold the same digest", env.Name, mirror, image, digest, env.ImageMirror, ref.Repository)
		case err != nil:
			return fail("could not read the image mirror %s/%s in %s: %v", env.ImageMirror, ref.Repository, env.Name, err)
		}
		if mirror.Registry != env.Account {
			if why := repositoryRefusal(ctx, src, &env, mirror, env); why != "" {
				return fail("%s", why)
			}
		}
		ic.Deploy = mirror.ByDigest(digest)
		return ic
	}
	if ref.Region != env.Region {
		return fail("image %s is in %s, but SageMaker in %s pulls images from its own region: set imageMirror on environment %s", image, ref.Region, env.Region, env.Name)
	}
	if ref.Registry != env.Account {
		if why := repositoryRefusal(ctx, src, nil, ref, env); why != "" {
			return fail("%s", why)
		}
	}
	ic.Deploy = ref.ByDigest(digest)
	return ic
}

// repositoryRefusal reads the policy of image's repository (through env's
// read role, or the source's when nil) and says why target cannot pull
// from it, "" when it can.
func repositoryRefusal(ctx context.Context, src Sources, env *manifest.Environment, image ImageRef, target manifest.Environment) string {
	repo := fmt.Sprintf("repository %s in account %s", image.Repository, image.Registry)
	text, err := src.Images.RepositoryPolicy(ctx, env, image)
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Sprintf("%s has no repository policy, so account %s (%s) cannot pull image %s: allow it %s", repo, target.Account, target.Name, image, strings.Join(PullActions, ", "))
	case err != nil:
		return fmt.Sprintf("could not read the policy of %s: %v; whether account %s (%s) can pull image %s is unknown", repo, err, target.Account, target.Name, image)
	}
	if why := PullRefusal(text, target.Account, target.ExecutionRoleARN); why != "" {
		return fmt.Sprintf("account %s (%s) cannot pull image %s from %s: %s", target.Account, target.Name, image, repo, why)
	}
	return ""
}

// deployImages are a promotion's images as its deploy runs them, nil
// unless every image of the package was checked without a problem.
func deployImages(pkg *ModelPackage, checks []ImageCheck) []DeployImage {
	if pkg == nil {
		return nil
	}
	byImage := map[string]ImageCheck{}
	for _, c := range checks {
		byImage[c.Image] = c
	}
	var out []DeployImage
	for _, c := range pkg.Containers {
		ic, ok := byImage[c.Image]
		if !ok || ic.Problem != "" || ic.Deploy == "" {
			return nil
		}
		if !containsImage(out, c.Image) {
			out = append(out, DeployImage{Source: c.Image, Digest: ic.Digest, Image: ic.Deploy})
		}
	}
	return out
}

func containsImage(imgs []DeployImage, source string) bool {
	for _, i := range imgs {
		if i.Source == source {
			return true
		}
	}
	return false
}

// imageBindings are the bindings the check run records of a promotion's
// images: the reference the package holds and the digest it resolved to
// (SHA256 is the digest's hex). Apply refuses an image whose reference
// resolves to anything else.
func imageBindings(checks []ImageCheck) []Binding {
	var out []Binding
	for _, c := range checks {
		if hex, ok := strings.CutPrefix(c.Digest, "sha256:"); ok && c.Problem == "" {
			out = append(out, Binding{URI: c.Image, SHA256: hex})
		}
	}
	return out
}
