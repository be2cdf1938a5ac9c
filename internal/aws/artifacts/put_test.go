package artifacts_test

import (
	"strings"
	"testing"

	"github.com/modelpromote/modelpromote/internal/aws/artifacts"
)

// Put writes an object encrypted with the given key and checksummed, and
// only into a bucket of the Store's owner.
func TestPutWritesEncryptedIntoTheOwnersBucket(t *testing.T) {
	w := newWorld(t)
	store := &artifacts.Store{S3: w.prod, Owner: prodAccount}
	uri := artifacts.URI{Bucket: target, Key: "fraud/12/evidence/abc.json"}
	if err := store.Put(ctx(t), uri, []byte(`{"ok":true}`), "application/json", prodKMSKey); err != nil {
		t.Fatal(err)
	}
	obj, ok := w.srv.S3().Object(target, uri.Key)
	if !ok {
		t.Fatal("no object written")
	}
	if obj.ServerSideEncryption != "aws:kms" || obj.KMSKeyID != prodKMSKey || obj.ContentType != "application/json" || obj.ChecksumAlgorithm != "SHA256" {
		t.Errorf("object %+v", obj)
	}
	if got := w.sha256Of(t, target, uri.Key); got != sha256Hex([]byte(`{"ok":true}`)) {
		t.Errorf("content sha %s", got)
	}

	// A bucket of another owner is refused, and nothing is written there.
	wrong := &artifacts.Store{S3: w.prod, Owner: devAccount}
	err := wrong.Put(ctx(t), artifacts.URI{Bucket: target, Key: "x.json"}, []byte("{}"), "application/json", prodKMSKey)
	if err == nil || !strings.Contains(err.Error(), "s3://"+target+"/x.json") {
		t.Fatalf("Put into a bucket of another owner: %v", err)
	}
	if _, ok := w.srv.S3().Object(target, "x.json"); ok {
		t.Error("the refused Put wrote the object")
	}
}
