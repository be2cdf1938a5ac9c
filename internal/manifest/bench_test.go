package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// manyModels returns a tree with the example configuration and n model
// files shaped like the example's.
func manyModels(tb testing.TB, n int) Tree {
	tb.Helper()
	cfg, err := os.ReadFile("../../promotions/modelpromote.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	tree := Tree{"promotions/modelpromote.yaml": cfg}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("model-%05d", i)
		tree["promotions/"+name+".yaml"] = []byte(fmt.Sprintf(`# yaml-language-server: $schema=../docs/schema/model.schema.json
# Owned by team %d.
version: 1
model: %s
modelPackageGroup: %s
stages:
  staging:
    version: %d
    endpoint:
      name: %s-staging
      instanceType: ml.m5.large
      instanceCount: 1
  prod:
    version: %d
    endpoint:
      name: %s
      instanceType: ml.m5.xlarge
      instanceCount: 4
      rollout:
        strategy: canary
        canaryPercent: 25
        waitSeconds: 600
        maxExecutionTimeoutSeconds: 3600
        alarms: [%s-5xx, %s-latency]
`, i%50, name, name, i%40+2, name, i%40+1, name, name, name))
	}
	return tree
}

// BenchmarkValidate10000 validates 10,000 model files and the configuration
// from memory: the cost of the loader and checks alone.
func BenchmarkValidate10000(b *testing.B) {
	tree := manyModels(b, 10_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ps := Validate(tree, "promotions"); len(ps) > 0 {
			b.Fatal(ps[0])
		}
	}
}

// BenchmarkValidate10000FromDisk adds reading the files, as `modelpromote
// validate` does.
func BenchmarkValidate10000FromDisk(b *testing.B) {
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "promotions"), 0o755); err != nil {
		b.Fatal(err)
	}
	for p, data := range manyModels(b, 10_000) {
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tree, err := ReadDir(dir, "promotions")
		if err != nil {
			b.Fatal(err)
		}
		if _, ps := Validate(tree, "promotions"); len(ps) > 0 {
			b.Fatal(ps[0])
		}
	}
}
