package report

import (
	"reflect"
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/plan"
)

// The check run carries each binding with its parts digest, and apply
// reads back exactly what the check bound; a run written before parts
// digests existed reads back without one (apply then copies by
// CopyObject, as it did).
func TestBindingsCarryThePartsDigest(t *testing.T) {
	parts := &plan.PartsDigest{PartSize: 16 << 20, SHA256: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=-5"}
	bs := []plan.Binding{
		{URI: "s3://dev/model.tar.gz", ETag: `"e-5"`, Size: 70 << 20, SHA256: strings.Repeat("a", 64), Parts: parts},
		{URI: "s3://dev/report.json", ETag: `"f"`, Size: 812, SHA256: strings.Repeat("b", 64)},
	}
	p := &plan.Plan{Promotions: []plan.Promotion{{Details: plan.Details{Objects: bs}}}}
	block := bindingsBlock(p)
	if !strings.Contains(block, `"parts":{"partSize":16777216,"sha256":"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=-5"}`) {
		t.Errorf("block %s", block)
	}
	got := Bindings(block + "the details")
	if want := map[string]plan.Binding{bs[0].URI: bs[0], bs[1].URI: bs[1]}; !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	old := bindingsOpen + `[{"uri":"s3://dev/model.tar.gz","etag":"\"e-5\"","size":73400320,"sha256":"` + strings.Repeat("a", 64) + `"}]` + bindingsClose
	if b := Bindings(old)["s3://dev/model.tar.gz"]; b.SHA256 != strings.Repeat("a", 64) || b.Parts != nil {
		t.Errorf("an older run's binding read back as %+v", b)
	}
}
