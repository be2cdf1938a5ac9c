package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Binding is what the check saw of one S3 object a package refers to: the
// version (in a versioned bucket) or ETag and the size S3 reported, and
// the SHA-256 of the bytes. The pull request's check binds every object,
// model data included; apply re-reads only the version, ETag and size and
// refuses an object that changed, copies it with S3's preconditions on
// that ETag, and verifies the copy's SHA-256 against the bound one. An
// overwrite gets a new ETag even with bytes of the same size.
//
// Parts, for a large object the check read, is the S3 composite SHA-256
// of its canonical parts (see PartsDigest), computed in the same read:
// apply copies such an object in parallel parts server-side and verifies
// the copy by it, without reading the bytes.
type Binding struct {
	URI       string       `json:"uri"`
	VersionID string       `json:"versionId,omitempty"`
	ETag      string       `json:"etag,omitempty"`
	Size      int64        `json:"size"`
	SHA256    string       `json:"sha256"`
	Parts     *PartsDigest `json:"parts,omitempty"`
}

// same reports whether b and o name the same object version: the same
// version ID where both have one, else the same ETag, and the same size.
func (b Binding) same(o Binding) bool {
	if b.VersionID != "" && o.VersionID != "" && b.VersionID != o.VersionID {
		return false
	}
	return b.ETag == o.ETag && b.Size == o.Size
}

func (b Binding) String() string {
	s := fmt.Sprintf("ETag %s, %d bytes", b.ETag, b.Size)
	if b.VersionID != "" {
		s = "version " + b.VersionID + ", " + s
	}
	if b.SHA256 != "" {
		s += ", SHA-256 " + b.SHA256
	}
	return s
}

// bindConcurrency bounds how many objects of one package are bound at once.
const bindConcurrency = 4

// bindObjects binds every object pkg refers to. On the pull request
// (src.Reviewed nil) it reads each: a report through rr (read once for
// the compliance check too), anything else by S3's full-object SHA-256
// when S3 keeps one, else by hashing its bytes. At apply it compares each
// object's HEAD with what the pull request's check bound, without reading
// the bytes again. An object that cannot be bound shuts the lineage gate:
// apply must never copy bytes nobody reviewed.
func bindObjects(ctx context.Context, src Sources, rr *reportReader, pkg *ModelPackage, chain custody, add func(Gate, Severity, string)) []Binding {
	var uris []string
	for _, o := range pkg.Objects {
		if !slices.Contains(uris, o.URI) {
			uris = append(uris, o.URI)
		}
	}
	// Missing model data and reports are the lineage and compliance
	// checks' findings; do not say it twice.
	reported, reports := map[string]bool{}, map[string]bool{}
	for _, c := range pkg.Containers {
		reported[c.ModelDataURL] = true
	}
	for _, r := range pkg.Reports {
		reported[r.S3URI], reports[r.S3URI] = true, true
	}
	out := make([]Binding, len(uris))
	errs := make([]error, len(uris))
	sem := make(chan struct{}, bindConcurrency)
	var wg sync.WaitGroup
	for i, uri := range uris {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if src.Reviewed != nil {
				out[i], errs[i] = reviewedBinding(ctx, src, uri)
			} else {
				out[i], errs[i] = bindObject(ctx, src, rr, uri, reports[uri], chain)
			}
		})
	}
	wg.Wait()
	var bound []Binding
	for i, err := range errs {
		switch {
		case err == nil:
			bound = append(bound, out[i])
		case errors.Is(err, ErrNotFound) && reported[uris[i]] && src.Reviewed == nil:
		default:
			add(GateLineage, SeverityError, err.Error())
		}
	}
	return bound
}

// bindObject reads what the check binds of one object; a report is read
// once, for this and the compliance check. An object the `after` stage's
// evidence record lists with its current ETag and size is bound to the
// digest recorded there, without reading it.
func bindObject(ctx context.Context, src Sources, rr *reportReader, uri string, report bool, chain custody) (Binding, error) {
	if report {
		if f := rr.read(ctx, uri); f.err == nil {
			sum := sha256.Sum256(f.data)
			return binding(uri, f.info, hex.EncodeToString(sum[:])), nil
		}
	}
	info, err := src.Objects.Stat(ctx, uri)
	if err != nil {
		return Binding{}, fmt.Errorf("could not bind %s to its digest: %w", uri, err)
	}
	if !report {
		if b, ok := chain.known(info); ok {
			return b, nil
		}
	}
	if info.SHA256 != "" {
		return binding(uri, info, info.SHA256), nil
	}
	body, info, err := src.Objects.Open(ctx, uri)
	if err != nil {
		return Binding{}, fmt.Errorf("could not bind %s to its digest: %w", uri, err)
	}
	defer body.Close()
	// One read, two digests: the whole SHA-256 (the object's identity)
	// and, for a large object, the composite SHA-256 of its parts, which
	// lets apply verify a parallel server-side copy without reading it.
	h := NewDigester(PartsLayout(info.Size))
	n, err := io.CopyBuffer(h, body, make([]byte, DigestBuffer))
	if err != nil {
		return Binding{}, fmt.Errorf("could not bind %s to its digest: reading it: %w", uri, err)
	}
	if info.Size != n {
		return Binding{}, fmt.Errorf("could not bind %s to its digest: read %d bytes of %d", uri, n, info.Size)
	}
	full, parts := h.Sums()
	b := binding(uri, info, hex.EncodeToString(full))
	b.Parts = parts
	return b, nil
}

func binding(uri string, info ObjectInfo, sum string) Binding {
	return Binding{URI: uri, VersionID: info.VersionID, ETag: info.ETag, Size: info.Size, SHA256: sum}
}

// reviewedBinding is the pull request's binding of uri, if the object is
// still the one it bound.
func reviewedBinding(ctx context.Context, src Sources, uri string) (Binding, error) {
	was, ok := src.Reviewed[uri]
	if !ok {
		return Binding{}, fmt.Errorf("the pull request's check did not bind %s to its digest: nothing it did not see is applied (re-run the check)", uri)
	}
	info, err := src.Objects.Stat(ctx, uri)
	if err != nil {
		return Binding{}, fmt.Errorf("could not read %s to compare it with what the pull request's check saw: %w", uri, err)
	}
	now := binding(uri, info, info.SHA256)
	if !was.same(now) || (now.SHA256 != "" && now.SHA256 != was.SHA256) {
		return Binding{}, fmt.Errorf("%s changed after the pull request's check: it saw %s; it is now %s. Those bytes were never reviewed", uri, was, now)
	}
	return was, nil
}

func bindingsByURI(bs []Binding) map[string]Binding {
	m := make(map[string]Binding, len(bs))
	for _, b := range bs {
		m[b.URI] = b
	}
	return m
}

// bindCopies completes each object to copy with what the check bound of
// its source. A recorded ContentDigest stays what the copy must match
// (the compliance check compares it with the bytes); the parts digest
// goes with it only when it is of the same bytes.
func bindCopies(objs []CopyObject, bound map[string]Binding) {
	for i := range objs {
		o := &objs[i]
		b, ok := bound[o.Source]
		if !ok {
			continue
		}
		o.VersionID, o.ETag, o.Size = b.VersionID, b.ETag, b.Size
		if o.SHA256 == "" {
			o.SHA256 = b.SHA256
		}
		if b.Parts != nil && o.SHA256 == b.SHA256 {
			o.Parts = b.Parts
		}
	}
}

// Bindings are every object and image the plan's promotions bound, once
// each, in the order of the promotions: what apply compares with
// (Sources.Reviewed). An image's binding is its reference and digest.
func (p *Plan) Bindings() []Binding {
	var out []Binding
	seen := map[string]bool{}
	for _, pr := range p.Promotions {
		for _, b := range append(slices.Clip(pr.Details.Objects), imageBindings(pr.Details.Images)...) {
			if !seen[b.URI] {
				seen[b.URI] = true
				out = append(out, b)
			}
		}
	}
	return out
}

// ModelDataBindings are the bindings of a promotion's model data, in
// container order: the digests the pull request's comment shows.
func (pr *Promotion) ModelDataBindings() []Binding {
	pkg := pr.Details.Package
	if pkg == nil {
		return nil
	}
	byURI := bindingsByURI(pr.Details.Objects)
	var out []Binding
	for _, c := range pkg.Containers {
		if b, ok := byURI[c.ModelDataURL]; ok && !slices.ContainsFunc(out, func(x Binding) bool { return x.URI == b.URI }) {
			out = append(out, b)
		}
	}
	return out
}
