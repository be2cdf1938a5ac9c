package world

import (
	"fmt"
	"strings"
)

// The central model registry of AWS's multi-account framework: an ML
// shared-services account whose registry-only stage comes between the dev
// account and staging (Options.Central).
const (
	CentralAccount = "444444444444"
	CentralBucket  = "acme-ml-artifacts-central"
)

// centralEnvironment is the registry-only stage Options.Central adds to the
// example configuration, before staging.
const centralEnvironment = `  # The central model registry (ML shared-services account): a promotion
  # copies the package here and deploys nothing.
  - name: central
    registryOnly: true
    account: "444444444444"
    region: eu-west-1
    roleArn: arn:aws:iam::444444444444:role/modelpromote-deploy
    readRoleArn: arn:aws:iam::444444444444:role/modelpromote-inspect
    externalId: modelpromote-central
    artifactBucket: acme-ml-artifacts-central
    kmsKeyArn: arn:aws:kms:eu-west-1:444444444444:key/5e6f7a8b-cccc-dddd-eeee-ffff00001111
`

// centralPolicy is the central stage's policy: what the dev registry's
// package must carry to enter the central registry, its own Approved model
// card included (read from dev here, once: the stages after central read
// central's copies, which hold no card).
const centralPolicy = `    central:
      approvals: 1
      approvers: [team:ml-leads]
      reports: [modelQuality, modelCard]
      requireDigests: true
`

// withCentral rewrites the example configuration for Options.Central: the
// central stage first, staging after it, staging and prod sourced from it.
// It fails loudly when the example no longer has the lines it edits.
func withCentral(config string, shared bool) (string, error) {
	central := centralEnvironment
	if shared {
		central = strings.Replace(central, "    registryOnly: true\n", "    registryOnly: true\n    sharedRegistry: true  # its groups' policies share them with staging and prod\n", 1)
	}
	edits := []struct{ old, new string }{
		{"environments:\n  - name: staging\n", "environments:\n" + central + "  - name: staging\n    after: central\n    source: central    # the central registry's copies, not the dev account\n"},
		{"  - name: prod\n    after: staging\n", "  - name: prod\n    after: staging\n    source: central\n"},
		{"  stages:\n    staging:\n", "  stages:\n" + centralPolicy + "    staging:\n"},
		// Model cards are read from the registry a stage is sourced from,
		// and the central registry holds none (they belong in the
		// governance account: issue 18's second half).
		{"      reports: [modelQuality, dataQuality, biasPostTraining, explainability, modelCard]\n", "      reports: [modelQuality, dataQuality, biasPostTraining, explainability]\n"},
	}
	for _, e := range edits {
		if !strings.Contains(config, e.old) {
			return "", fmt.Errorf("world: the example configuration lacks %q", e.old)
		}
		config = strings.Replace(config, e.old, e.new, 1)
	}
	return config, nil
}

// centralBucketPolicy lets the accounts of the stages sourced from the
// central registry read its bucket, as the dev bucket's policy does for
// every stage: their deploy roles then copy server-side.
func centralBucketPolicy() string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"StagesRead","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::%s:root","arn:aws:iam::%s:root"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`,
		StagingAccount, ProdAccount, CentralBucket, CentralBucket)
}
