package evidence

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

const helloHex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" // sha256("hello")

func TestParseDigest(t *testing.T) {
	d, err := ParseDigest("sha256:" + helloHex)
	if err != nil {
		t.Fatal(err)
	}
	if d.String() != "sha256:"+helloHex || d.Hex() != helloHex || d.IsZero() || !d.Equal(DigestOf([]byte("hello"))) {
		t.Errorf("digest = %v", d)
	}
	upper, err := ParseDigest("sha256:" + strings.ToUpper(helloHex))
	if err != nil || !upper.Equal(d) || upper.String() != d.String() {
		t.Errorf("upper-case hex: %v, %v", upper, err)
	}
}

func TestParseDigestRejectsS3ChecksumsAndETags(t *testing.T) {
	sum := sha256.Sum256([]byte("hello"))
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	for _, tc := range []struct{ in, want string }{
		{helloHex, `missing the "sha256:" prefix`},
		{b64, "base64 SHA-256 (S3 ChecksumSHA256)"},
		{"sha256:" + b64, "base64 SHA-256"},
		{b64[:43] + "=-3", "multipart (composite) checksum"},
		{`"5d41402abc4b2a76b9719d911017c592"`, "S3 ETag"},
		{"5d41402abc4b2a76b9719d911017c592-12", "S3 ETag"},
		{"md5:5d41402abc4b2a76b9719d911017c592", `unsupported algorithm "md5"`},
		{"sha256:" + helloHex[:63], "64 hex digits"},
		{"sha256:" + helloHex + "00", "64 hex digits"},
		{"sha256:" + strings.Replace(helloHex, "2", "g", 1), "64 hex digits"},
		{"", "64 hex digits"},
	} {
		if _, err := ParseDigest(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDigest(%q): err = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestVerifierStreams(t *testing.T) {
	want := DigestOf([]byte("hello"))
	v := NewVerifier(want)
	if _, err := io.Copy(v, io.MultiReader(strings.NewReader("hel"), strings.NewReader("lo"))); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if !v.Sum().Equal(want) {
		t.Errorf("Sum = %v", v.Sum())
	}
}

func TestVerifierReportsMismatch(t *testing.T) {
	v := NewVerifier(DigestOf([]byte("hello")))
	io.WriteString(v, "hellO")
	err := v.Verify()
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "want sha256:"+helloHex) || !strings.Contains(err.Error(), "over 5 bytes") {
		t.Errorf("err = %v", err)
	}
	if err := (Digest{}).Verify([]byte("x")); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("zero digest verifies: %v", err)
	}
}

func TestVerifierWhileParsing(t *testing.T) {
	body := SampleModelQuality(BinaryClassification, nil, 0.01)
	v := NewVerifier(DigestOf(body))
	if _, err := ParseStatistics(io.TeeReader(strings.NewReader(string(body)), v), nil); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(); err != nil {
		t.Error(err)
	}
	if err := DigestOf(body).Verify(append(body, ' ')); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("tampered body: %v", err)
	}
}

func TestDigestTextRoundTrip(t *testing.T) {
	type record struct {
		Digest Digest `json:"digest"`
	}
	b, err := json.Marshal(record{DigestOf([]byte("hello"))})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"digest":"sha256:`+helloHex+`"}` {
		t.Errorf("marshal = %s", b)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil || !r.Digest.Equal(DigestOf([]byte("hello"))) {
		t.Errorf("unmarshal = %v, %v", r, err)
	}
	if err := json.Unmarshal([]byte(`{"digest":"etag-ish"}`), &r); err == nil {
		t.Error("bad digest unmarshalled")
	}
}
