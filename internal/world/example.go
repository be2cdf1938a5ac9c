package world

import "context"

// Example builds the world most scenarios start from, as the example
// manifests describe it: fraud-detector versions 1..13 registered in the
// dev account, version 12 live in staging and version 11 in prod.
func Example(ctx context.Context, opts Options) (*World, error) {
	w, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := w.SeedVersions("fraud-detector", 13); err != nil {
		w.Close()
		return nil, err
	}
	for _, d := range []struct {
		stage, endpoint string
		version         int
	}{{"staging", "fraud-detector-staging", 12}, {"prod", "fraud-detector", 11}} {
		if err := w.Deploy(ctx, d.stage, "fraud-detector", d.version, d.endpoint); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}
