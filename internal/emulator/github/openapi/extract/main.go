// Command extract copies the operations the GitHub emulator serves, and every
// component they reference (transitively), out of GitHub's official OpenAPI
// description into a small gzipped subset that the emulator embeds. With
// -webhooks it also copies one example payload per event and action the
// emulator sends out of @octokit/webhooks-examples.
//
// Usage (see README.md; from internal/emulator/github/openapi):
//
//	npm pack @octokit/openapi@23.0.2 && mkdir -p openapi && tar xzf octokit-openapi-23.0.2.tgz -C openapi
//	npm pack @octokit/webhooks-examples@7.6.1 && mkdir -p examples && tar xzf octokit-webhooks-examples-7.6.1.tgz -C examples
//	go run ./extract -spec openapi/package/generated/api.github.com.json \
//	    -webhooks examples/package/api.github.com/index.json -examples-out ../examples
//
// OpenAPI examples are dropped (they are large and not needed for
// validation).
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
)

func main() {
	spec := flag.String("spec", "package/generated/api.github.com.json", "GitHub's OpenAPI description (from npm @octokit/openapi)")
	ops := flag.String("ops", "operations.txt", "operation IDs to keep, one a line")
	out := flag.String("out", "subset.json.gz", "gzipped subset to write")
	hooks := flag.String("webhooks", "", "api.github.com/index.json from npm @octokit/webhooks-examples (optional)")
	examplesOut := flag.String("examples-out", "../examples", "directory for the webhook example payloads")
	flag.Parse()
	if err := run(*spec, *ops, *out); err != nil {
		log.Fatal(err)
	}
	if *hooks != "" {
		if err := extractExamples(*hooks, *examplesOut); err != nil {
			log.Fatal(err)
		}
	}
}

// webhookExamples are the events and actions the emulator delivers.
var webhookExamples = []string{
	"check_run.completed", "check_run.created", "check_run.rerequested", "issue_comment.created", "issue_comment.edited",
	"pull_request.closed", "pull_request.opened", "pull_request.reopened", "pull_request.synchronize",
	"pull_request_review.dismissed", "pull_request_review.submitted", "push", "merge_group.checks_requested",
}

// webhookSchemasOnly are events and actions the emulator delivers that
// @octokit/webhooks-examples has no example of: only their payload schema
// is kept.
var webhookSchemasOnly = []string{"merge_group.destroyed"}

// webhookSchema names the description's schema for an event and action:
// "pull_request.opened" → "webhook-pull-request-opened".
func webhookSchema(eventAction string) string {
	return "webhook-" + strings.NewReplacer("_", "-", ".", "-").Replace(eventAction)
}

// extractExamples writes the first example of each wanted event and action
// as DIR/EVENT.ACTION.json (DIR/EVENT.json for events without actions).
func extractExamples(indexPath, dir string) error {
	raw, err := os.ReadFile(indexPath)
	if err != nil {
		return err
	}
	var index []struct {
		Name     string           `json:"name"`
		Examples []map[string]any `json:"examples"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		return fmt.Errorf("parse %s: %w", indexPath, err)
	}
	want := map[string]bool{}
	for _, w := range webhookExamples {
		want[w] = true
	}
	for _, ev := range index {
		for _, ex := range ev.Examples {
			key := ev.Name
			if a, ok := ex["action"].(string); ok {
				key += "." + a
			}
			if !want[key] {
				continue
			}
			delete(want, key)
			b, err := json.MarshalIndent(ex, "", " ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(dir+"/"+key+".json", append(b, '\n'), 0o644); err != nil {
				return err
			}
		}
	}
	if len(want) > 0 {
		return fmt.Errorf("no examples for %v", want)
	}
	return nil
}

func run(specPath, opsPath, outPath string) error {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("parse %s: %w", specPath, err)
	}
	want, err := readOps(opsPath)
	if err != nil {
		return err
	}
	sub, err := extract(doc, want)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	enc := json.NewEncoder(zw)
	enc.SetIndent("", " ")
	if err := enc.Encode(sub); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(outPath, buf.Bytes(), 0o644)
}

func readOps(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			want[line] = true
		}
	}
	return want, sc.Err()
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// extract returns a document holding only the wanted operations and the
// components they reference.
func extract(doc map[string]any, want map[string]bool) (map[string]any, error) {
	paths, _ := doc["paths"].(map[string]any)
	outPaths := map[string]any{}
	found := map[string]bool{}
	for p, v := range paths {
		item := v.(map[string]any)
		kept := map[string]any{}
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			id, _ := op["operationId"].(string)
			if want[id] {
				kept[m] = stripExamples(op)
				found[id] = true
			}
		}
		if len(kept) == 0 {
			continue
		}
		if params, ok := item["parameters"]; ok {
			kept["parameters"] = params
		}
		outPaths[p] = kept
	}
	var missing []string
	for id := range want {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("operations not in the description: %s", strings.Join(missing, ", "))
	}

	components, _ := doc["components"].(map[string]any)
	outComponents := map[string]any{}
	seen := map[string]bool{}
	var queue []string
	collectRefs(outPaths, &queue)
	// The payload schemas of the webhooks the emulator sends.
	for _, w := range append(webhookExamples, webhookSchemasOnly...) {
		queue = append(queue, "#/components/schemas/"+webhookSchema(w))
	}
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		if len(parts) != 2 {
			return nil, fmt.Errorf("unsupported $ref %q", ref)
		}
		kind, name := parts[0], parts[1]
		section, _ := components[kind].(map[string]any)
		v, ok := section[name]
		if !ok {
			return nil, fmt.Errorf("dangling $ref %q", ref)
		}
		v = stripExamples(v)
		dst, _ := outComponents[kind].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			outComponents[kind] = dst
		}
		dst[name] = v
		collectRefs(v, &queue)
	}
	return map[string]any{
		"openapi":    doc["openapi"],
		"info":       doc["info"],
		"servers":    doc["servers"],
		"paths":      outPaths,
		"components": outComponents,
	}, nil
}

// collectRefs appends every "$ref" found in v to queue.
func collectRefs(v any, queue *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "$ref" {
				*queue = append(*queue, s)
				continue
			}
			collectRefs(e, queue)
		}
	case []any:
		for _, e := range v {
			collectRefs(e, queue)
		}
	}
}

// stripExamples removes "examples" maps (media-type and parameter examples),
// which are large and point at components/examples we do not keep.
func stripExamples(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if k == "examples" {
				if _, isMap := e.(map[string]any); isMap {
					continue
				}
			}
			out[k] = stripExamples(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = stripExamples(e)
		}
		return out
	}
	return v
}
