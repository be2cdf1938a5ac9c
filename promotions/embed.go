// Package promotions embeds this example promotions repository, so that
// `modelpromote demo` and the scenario tests play the same files a reader
// finds here.
package promotions

import "embed"

// Files holds the example's manifests, at their base names.
//
//go:embed *.yaml
var Files embed.FS
