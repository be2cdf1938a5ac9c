package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

func TestPartsLayoutIsCanonicalAndWithinS3sLimits(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		size, want int64
	}{
		{0, 0},
		{PartsDigestAbove, 0}, // one CopyObject
		{PartsDigestAbove + 1, 32 * mib},
		{10000 * 32 * mib, 32 * mib}, // exactly 10,000 parts
		{10000*32*mib + 1, 33 * mib}, // grown in whole MiB
		{5 << 40, 525 * mib},         // S3's largest object: 9,987 parts
		{5<<40 + 1, 0},               // larger than S3 holds
		{3 << 30, 32 * mib},          // 96 parts
		{400<<30 + 12345, 41 * mib},  // 400 GiB: 9,991 parts
	} {
		got := PartsLayout(tt.size)
		if got != tt.want {
			t.Errorf("PartsLayout(%d) = %d, want %d", tt.size, got, tt.want)
			continue
		}
		if got == 0 {
			continue
		}
		d := PartsDigest{PartSize: got, SHA256: CompositeSHA256(make([][]byte, (tt.size+got-1)/got))}
		if err := d.Valid(tt.size); err != nil {
			t.Errorf("PartsLayout(%d) = %d: %v", tt.size, got, err)
		}
	}
}

func TestPartsDigestValidRefusesWhatS3CannotCopy(t *testing.T) {
	const size = 12 << 20
	good := PartsDigest{PartSize: 5 << 20, SHA256: CompositeSHA256(make([][]byte, 3))}
	if err := good.Valid(size); err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]PartsDigest{
		"parts under 5 MiB":       {PartSize: 4 << 20, SHA256: CompositeSHA256(make([][]byte, 3))},
		"another part count":      {PartSize: 5 << 20, SHA256: CompositeSHA256(make([][]byte, 2))},
		"not base64":              {PartSize: 5 << 20, SHA256: "%%%-3"},
		"no part count":           {PartSize: 5 << 20, SHA256: good.SHA256[:44]},
		"over 10,000 parts":       {PartSize: 5 << 20, SHA256: CompositeSHA256(make([][]byte, 10001))},
		"a CRC32C, not a SHA-256": {PartSize: 5 << 20, SHA256: "AAAAAA==-3"},
	} {
		s := int64(size)
		if name == "over 10,000 parts" {
			s = 10001 * 5 << 20
		}
		if err := d.Valid(s); err == nil {
			t.Errorf("%s: %+v is valid", name, d)
		}
	}
}

// parts computes S3's composite SHA-256 of data in parts of partSize the
// plain way, to check the check's one-pass hasher against.
func parts(data []byte, partSize int64) string {
	var sums [][]byte
	for off := int64(0); off < int64(len(data)); off += partSize {
		s := sha256.Sum256(data[off:min(off+partSize, int64(len(data)))])
		sums = append(sums, s[:])
	}
	return CompositeSHA256(sums)
}

func TestDigestWriterGivesBothDigestsInOneRead(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3*(5<<20)+777)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	for _, size := range []int{len(data), 3 * (5 << 20)} { // a short last part, and none
		w := NewDigester(5 << 20)
		for rest := data[:size]; len(rest) > 0; { // writes of odd sizes, across part bounds
			n := min(len(rest), 1+r.IntN(3<<20))
			w.Write(rest[:n])
			rest = rest[n:]
		}
		full, d := w.Sums()
		want := sha256.Sum256(data[:size])
		if hex.EncodeToString(full) != hex.EncodeToString(want[:]) {
			t.Errorf("%d bytes: whole SHA-256 differs", size)
		}
		if d == nil || d.PartSize != 5<<20 || d.SHA256 != parts(data[:size], 5<<20) {
			t.Errorf("%d bytes: parts digest %+v, want %s", size, d, parts(data[:size], 5<<20))
		}
	}
	if _, d := NewDigester(0).Sums(); d != nil {
		t.Errorf("no parts asked for: %+v", d)
	}
}

// Model data large enough to be copied in parts is bound to the composite
// SHA-256 of its canonical parts beside its SHA-256, in the one read the
// check makes of it; a small report is not, and neither is a copy whose
// recorded digest is not of the bytes the check read.
func TestCheckBindsLargeModelDataToItsPartsDigest(t *testing.T) {
	w := newWorld()
	pkg := w.pkg(13)
	modelData := pkg.Containers[0].ModelDataURL
	data := make([]byte, PartsDigestAbove+3<<20+1)
	for i := range data {
		data[i] = byte(i * 31 / 4099)
	}
	w.objs.objects[modelData] = memObject{data: data, modified: w.objs.objects[modelData].modified}
	pkg.Objects = []ObjectRef{
		{Field: "InferenceSpecification.Containers[0].ModelDataUrl", URI: modelData},
		{Field: "ModelMetrics.ModelQuality.Statistics", URI: pkg.Reports[0].S3URI, Digest: pkg.Reports[0].Digest},
	}
	p := promotionPlan(t, toStaging)
	p.CheckAWS(context.Background(), p.Config, w.sources())
	c := p.ActionsFor(fraud, toStaging)[1].(*CopyArtifacts)
	sum := sha256.Sum256(data)
	if len(c.Objects) != 2 || c.Objects[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("objects %+v", c.Objects)
	}
	want := PartsDigest{PartSize: 32 << 20, SHA256: parts(data, 32<<20)}
	if got := c.Objects[0].Parts; got == nil || *got != want {
		t.Errorf("model data parts digest %+v, want %+v", got, want)
	}
	if c.Objects[1].Parts != nil {
		t.Errorf("a report got a parts digest: %+v", c.Objects[1].Parts)
	}
	if bs := p.Bindings(); len(bs) < 1 || bs[0].URI != modelData || bs[0].Parts == nil || *bs[0].Parts != want {
		t.Errorf("bindings %+v, want the model data's with its parts digest", bs)
	}

	// A package whose ContentDigest names other bytes: the copy must
	// match that digest (the compliance check says it does not), and the
	// parts digest of the bytes read does not go with it.
	objs := []CopyObject{{Source: modelData, SHA256: "ab" + hex.EncodeToString(sum[1:])}}
	bindCopies(objs, bindingsByURI(p.Bindings()))
	if objs[0].Parts != nil {
		t.Errorf("parts digest of other bytes bound to a copy: %+v", objs[0])
	}
}

// A later stage's check takes an object's digests from the evidence
// record of the stage before, without reading it: the parts digest too,
// when the record has a valid one, so that its copy is also made in
// parts verified without reading.
func TestCustodyCarriesTheRecordedPartsDigest(t *testing.T) {
	const size = 70 << 20
	good := &PartsDigest{PartSize: 16 << 20, SHA256: CompositeSHA256(make([][]byte, 5))}
	bad := &PartsDigest{PartSize: 16 << 20, SHA256: CompositeSHA256(make([][]byte, 4))}
	for _, tt := range []struct {
		name     string
		recorded *PartsDigest
		want     *PartsDigest
	}{
		{"recorded", good, good},
		{"not recorded (an older record)", nil, nil},
		{"not of this size", bad, nil},
	} {
		c := custody{need: true, record: &PastDeployment{Artifacts: []PastArtifact{{Binding: Binding{URI: "s3://dev/m", ETag: `"e"`, Size: size, SHA256: "aa", Parts: tt.recorded}}}}}
		b, ok := c.known(ObjectInfo{URI: "s3://dev/m", ETag: `"e"`, Size: size})
		if !ok || b.SHA256 != "aa" || b.Parts != tt.want {
			t.Errorf("%s: known = %+v, %v; want SHA-256 aa and parts %+v", tt.name, b, ok, tt.want)
		}
	}
}

// BenchmarkDigester is the check's cost of binding an object it reads:
// the whole SHA-256 alone (objects up to PartsDigestAbove) and with the
// parts digest beside it (larger ones), over the same bytes.
func BenchmarkDigester(b *testing.B) {
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 13 / 4091)
	}
	for _, bc := range []struct {
		name     string
		partSize int64
	}{{"whole", 0}, {"whole+parts", 32 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				d := NewDigester(bc.partSize)
				for off := 0; off < len(data); off += DigestBuffer { // the check's read buffer
					d.Write(data[off : off+DigestBuffer])
				}
				d.Sums()
			}
		})
	}
}
