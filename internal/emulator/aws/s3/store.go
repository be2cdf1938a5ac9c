package s3

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"
)

// segment is a run of an object's bytes: [off, off+n) of a data file, or of
// the synthetic stream seed when file is "".
type segment struct {
	file string
	seed uint64
	off  int64
	n    int64
}

func (g segment) synthetic() bool { return g.file == "" }

// Object is the metadata S3 keeps about an object, as seen by tests.
type Object struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string // quoted, as S3 returns it
	LastModified time.Time
	ContentType  string
	Metadata     map[string]string // user metadata, lower-case keys without x-amz-meta-
	// ServerSideEncryption is "aws:kms" or "AES256" (S3's default).
	ServerSideEncryption string
	KMSKeyID             string
	// ChecksumAlgorithm and Checksum (base64; composite ones end in -N)
	// are what S3 returns with ChecksumMode ENABLED; ChecksumType is
	// FULL_OBJECT or COMPOSITE.
	ChecksumAlgorithm string
	Checksum          string
	ChecksumType      string
	// SHA256 is the hex SHA-256 of the whole content when known; see
	// Service.SHA256 to compute it for multipart and synthetic objects.
	SHA256 string
	// Synthetic is true when some of the bytes are generated, not stored.
	Synthetic bool
	// Parts is the number of parts of a multipart object, 0 otherwise.
	Parts int
	// LockMode (GOVERNANCE or COMPLIANCE) and RetainUntil are the
	// object's Object Lock retention; see objectlock.go.
	LockMode    string
	RetainUntil time.Time

	segments  []segment
	partSizes []int64 // of a multipart object, for GetObject partNumber
}

func (o *Object) clone() Object {
	c := *o
	c.Metadata = cloneMap(o.Metadata)
	c.segments = append([]segment(nil), o.segments...)
	c.partSizes = append([]int64(nil), o.partSizes...)
	return c
}

// Bucket describes a bucket, as seen by tests.
type Bucket struct {
	Name    string
	Owner   string // account ID
	Created time.Time
	Policy  string // JSON, "" when none
}

type bucket struct {
	Bucket
	policy  *policy
	lock    *lockConfiguration // nil: Object Lock not enabled
	objects map[string]*Object
}

// CreateBucket creates a bucket owned by an account.
func (s *Service) CreateBucket(name, account string) error {
	if err := validBucketName(name); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; ok {
		return fmt.Errorf("create bucket %q: already exists", name)
	}
	s.buckets[name] = &bucket{Bucket: Bucket{Name: name, Owner: account, Created: s.now()}, objects: map[string]*Object{}}
	return nil
}

// SetBucketPolicy sets (or with "" removes) a bucket's JSON policy.
func (s *Service) SetBucketPolicy(name, policyJSON string) error {
	var p *policy
	if policyJSON != "" {
		var err error
		if p, err = parsePolicy(policyJSON); err != nil {
			return fmt.Errorf("set policy of bucket %q: %w", name, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return fmt.Errorf("set policy of bucket %q: no such bucket", name)
	}
	b.policy, b.Policy = p, policyJSON
	return nil
}

// Buckets lists the buckets, by name.
func (s *Service) Buckets() []Bucket {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Bucket, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, b.Bucket)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Objects lists a bucket's objects, by key.
func (s *Service) Objects(bucketName string) ([]Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[bucketName]
	if !ok {
		return nil, fmt.Errorf("list objects of %q: no such bucket", bucketName)
	}
	out := make([]Object, 0, len(b.objects))
	for _, o := range b.objects {
		out = append(out, o.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Object returns an object's metadata.
func (s *Service) Object(bucketName, key string) (Object, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.lookup(bucketName, key)
	if !ok {
		return Object{}, false
	}
	return o.clone(), true
}

func (s *Service) lookup(bucketName, key string) (*Object, bool) {
	b, ok := s.buckets[bucketName]
	if !ok {
		return nil, false
	}
	o, ok := b.objects[key]
	return o, ok
}

// Open returns an object's content.
func (s *Service) Open(bucketName, key string) (io.ReadCloser, error) {
	o, ok := s.Object(bucketName, key)
	if !ok {
		return nil, fmt.Errorf("open s3://%s/%s: no such object", bucketName, key)
	}
	return openSegments(o.segments, 0, o.Size)
}

// PutObject stores a small object from Go, as a single PUT would (MD5 ETag,
// CRC64NVME checksum, SSE AES256).
func (s *Service) PutObject(bucketName, key string, data []byte) error {
	f, err := os.CreateTemp(s.dir, "obj-")
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucketName, key, err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucketName, key, err)
	}
	md := md5.Sum(data)
	sh := sha256.Sum256(data)
	crc := newChecksum(algCRC64NVME)
	crc.Write(data)
	o := &Object{
		Bucket: bucketName, Key: key, Size: int64(len(data)),
		ETag:                 `"` + hex.EncodeToString(md[:]) + `"`,
		LastModified:         s.now(),
		ContentType:          "binary/octet-stream",
		ServerSideEncryption: "AES256",
		ChecksumAlgorithm:    algCRC64NVME, Checksum: b64(crc.Sum(nil)), ChecksumType: "FULL_OBJECT",
		SHA256:   hex.EncodeToString(sh[:]),
		segments: []segment{{file: f.Name(), n: int64(len(data))}},
	}
	return s.store(o)
}

// PutSyntheticObject seeds an object whose bytes are generated from seed on
// read: it costs no disk whatever its size. Its ETag looks like a multipart
// one, as an object that large would have in S3.
func (s *Service) PutSyntheticObject(bucketName, key string, seed uint64, size int64) error {
	sum := md5.Sum([]byte("synthetic:" + strconv.FormatUint(seed, 10) + ":" + strconv.FormatInt(size, 10)))
	parts := max(1, (size+(64<<20)-1)/(64<<20))
	o := &Object{
		Bucket: bucketName, Key: key, Size: size,
		ETag:                 `"` + hex.EncodeToString(sum[:]) + "-" + strconv.FormatInt(parts, 10) + `"`,
		LastModified:         s.now(),
		ContentType:          "binary/octet-stream",
		ServerSideEncryption: "AES256",
		Synthetic:            true,
		segments:             []segment{{seed: seed, n: size}},
	}
	return s.store(o)
}

func (s *Service) store(o *Object) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[o.Bucket]
	if !ok {
		return fmt.Errorf("put s3://%s/%s: no such bucket", o.Bucket, o.Key)
	}
	if old, ok := b.objects[o.Key]; ok {
		s.discardLocked(old.segments)
	}
	b.objects[o.Key] = o
	if s.inflight == 0 {
		s.collectLocked() // seeded from Go, outside any request
	}
	return nil
}

// storeIfAbsent stores o unless its key exists (If-None-Match: *).
func (s *Service) storeIfAbsent(o *Object) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[o.Bucket]
	if !ok {
		return errNoSuchBucket
	}
	if _, exists := b.objects[o.Key]; exists {
		s.discardLocked(o.segments)
		return errPreconditionFailed
	}
	b.objects[o.Key] = o
	return nil
}

// SHA256 returns the hex SHA-256 of an object's content, computing it (once)
// for multipart and synthetic objects.
func (s *Service) SHA256(bucketName, key string) (string, error) {
	o, ok := s.Object(bucketName, key)
	if !ok {
		return "", fmt.Errorf("sha256 of s3://%s/%s: no such object", bucketName, key)
	}
	if o.SHA256 != "" {
		return o.SHA256, nil
	}
	sum, err := s.segmentsSHA256(o.segments)
	if err != nil {
		return "", fmt.Errorf("sha256 of s3://%s/%s: %w", bucketName, key, err)
	}
	s.mu.Lock()
	if cur, ok := s.lookup(bucketName, key); ok && cur.ETag == o.ETag {
		cur.SHA256 = sum
	}
	s.mu.Unlock()
	return sum, nil
}

// SyntheticSHA256 returns the hex SHA-256 of the first size bytes of the
// synthetic stream seed, cached.
func (s *Service) SyntheticSHA256(seed uint64, size int64) (string, error) {
	return s.segmentsSHA256([]segment{{seed: seed, n: size}})
}

func (s *Service) segmentsSHA256(segs []segment) (string, error) {
	cacheable := len(segs) == 1 && segs[0].synthetic() && segs[0].off == 0
	key := [2]uint64{}
	if cacheable {
		key = [2]uint64{segs[0].seed, uint64(segs[0].n)}
		s.mu.RLock()
		sum, ok := s.syntheticSums[key]
		s.mu.RUnlock()
		if ok {
			return sum, nil
		}
	}
	var size int64
	for _, g := range segs {
		size += g.n
	}
	rc, err := openSegments(segs, 0, size)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, rc, make([]byte, 1<<20)); err != nil {
		return "", fmt.Errorf("read content: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if cacheable {
		s.mu.Lock()
		s.syntheticSums[key] = sum
		s.mu.Unlock()
	}
	return sum, nil
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }
