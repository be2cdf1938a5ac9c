package ghemu

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// objectStore holds git objects by SHA, shared by all repositories (so a
// fork's commits are readable from its parent, as with GitHub's
// refs/pull/N/head).
type objectStore struct {
	blobs   map[string][]byte
	trees   map[string]*treeObj
	commits map[string]*commit
}

// treeObj is one git tree: entries sorted as git sorts them.
type treeObj struct {
	entries []treeEntry
}

type treeEntry struct {
	name string
	mode string // "100644" or "040000"
	typ  string // "blob" or "tree"
	sha  string
	size int
}

// commit is a git commit plus the flattened file map of its tree.
type commit struct {
	sha       string
	tree      string
	parents   []string
	author    signature
	committer signature
	message   string
	files     map[string]string // path → blob SHA
}

// signature is a commit's author or committer.
type signature struct {
	name  string
	email string
	when  time.Time
	login string // the GitHub user, when known
}

func gitHash(kind string, content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// BlobSHA is the git blob SHA of content: sha1("blob <len>\0" + content).
func BlobSHA(content []byte) string { return gitHash("blob", content) }

func (s *objectStore) init() {
	if s.blobs == nil {
		s.blobs = map[string][]byte{}
		s.trees = map[string]*treeObj{}
		s.commits = map[string]*commit{}
	}
}

func (s *objectStore) putBlob(content []byte) string {
	s.init()
	sha := BlobSHA(content)
	s.blobs[sha] = append([]byte(nil), content...)
	return sha
}

// putTree stores the tree (and subtrees) for a flat path → blob map and
// returns the root tree SHA, computed exactly as git does.
func (s *objectStore) putTree(files map[string]string) string {
	s.init()
	type dir struct {
		blobs map[string]string
		dirs  map[string]map[string]string
	}
	d := dir{blobs: map[string]string{}, dirs: map[string]map[string]string{}}
	for p, sha := range files {
		if head, rest, ok := strings.Cut(p, "/"); ok {
			if d.dirs[head] == nil {
				d.dirs[head] = map[string]string{}
			}
			d.dirs[head][rest] = sha
		} else {
			d.blobs[p] = sha
		}
	}
	var entries []treeEntry
	for name, sha := range d.blobs {
		entries = append(entries, treeEntry{name: name, mode: "100644", typ: "blob", sha: sha, size: len(s.blobs[sha])})
	}
	for name, sub := range d.dirs {
		entries = append(entries, treeEntry{name: name, mode: "040000", typ: "tree", sha: s.putTree(sub)})
	}
	// git orders entries by name, with a tree's name compared as "name/".
	key := func(e treeEntry) string {
		if e.typ == "tree" {
			return e.name + "/"
		}
		return e.name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	var buf bytes.Buffer
	for _, e := range entries {
		mode := strings.TrimPrefix(e.mode, "0")
		raw, _ := hex.DecodeString(e.sha)
		fmt.Fprintf(&buf, "%s %s\x00", mode, e.name)
		buf.Write(raw)
	}
	sha := gitHash("tree", buf.Bytes())
	s.trees[sha] = &treeObj{entries: entries}
	return sha
}

// putCommit stores a commit of files and returns it; its SHA is git's.
func (s *objectStore) putCommit(files map[string]string, parents []string, author, committer signature, message string) *commit {
	s.init()
	tree := s.putTree(files)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "tree %s\n", tree)
	for _, p := range parents {
		fmt.Fprintf(&buf, "parent %s\n", p)
	}
	fmt.Fprintf(&buf, "author %s <%s> %d +0000\n", author.name, author.email, author.when.Unix())
	fmt.Fprintf(&buf, "committer %s <%s> %d +0000\n\n%s", committer.name, committer.email, committer.when.Unix(), message)
	c := &commit{
		sha: gitHash("commit", buf.Bytes()), tree: tree, parents: parents,
		author: author, committer: committer, message: message, files: files,
	}
	s.commits[c.sha] = c
	return c
}

// ancestors returns every commit reachable from sha, including it.
func (s *objectStore) ancestors(sha string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[x] || s.commits[x] == nil {
			continue
		}
		seen[x] = true
		stack = append(stack, s.commits[x].parents...)
	}
	return seen
}

// mergeBase is the nearest common ancestor of a and b ("" when none).
func (s *objectStore) mergeBase(a, b string) string {
	inA := s.ancestors(a)
	queue := []string{b}
	seen := map[string]bool{}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if seen[x] {
			continue
		}
		seen[x] = true
		if inA[x] {
			return x
		}
		if c := s.commits[x]; c != nil {
			queue = append(queue, c.parents...)
		}
	}
	return ""
}

// commitsBetween lists the commits reachable from head but not from base,
// oldest first (what a compare or a pull request shows).
func (s *objectStore) commitsBetween(base, head string) []*commit {
	exclude := s.ancestors(base)
	var out []*commit
	for sha := range s.ancestors(head) {
		if !exclude[sha] {
			out = append(out, s.commits[sha])
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].committer.when.Equal(out[j].committer.when) {
			return out[i].committer.when.Before(out[j].committer.when)
		}
		return out[i].sha < out[j].sha
	})
	return out
}

// fileChange is one file in a diff, as GitHub lists it.
type fileChange struct {
	filename  string
	previous  string // for renames
	status    string // added, modified, removed, renamed
	sha       string // blob SHA after (before, for removed)
	additions int
	deletions int
	patch     string
}

// diff compares two flat trees. A removed and an added file with the same
// content are reported as one rename, as GitHub does.
func (s *objectStore) diff(from, to map[string]string) []fileChange {
	var added, removed []string
	var out []fileChange
	for p, sha := range to {
		old, ok := from[p]
		switch {
		case !ok:
			added = append(added, p)
		case old != sha:
			out = append(out, s.change(p, "", "modified", old, sha))
		}
	}
	for p := range from {
		if _, ok := to[p]; !ok {
			removed = append(removed, p)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	renamedFrom := map[string]bool{}
	for _, p := range added {
		kind, prev := "added", ""
		for _, r := range removed {
			if !renamedFrom[r] && from[r] == to[p] {
				kind, prev = "renamed", r
				renamedFrom[r] = true
				break
			}
		}
		old := ""
		if prev != "" {
			old = from[prev]
		}
		out = append(out, s.change(p, prev, kind, old, to[p]))
	}
	for _, r := range removed {
		if !renamedFrom[r] {
			out = append(out, s.change(r, "", "removed", from[r], ""))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].filename < out[j].filename })
	return out
}

func (s *objectStore) change(path, prev, status, oldSHA, newSHA string) fileChange {
	fc := fileChange{filename: path, previous: prev, status: status, sha: newSHA}
	if status == "removed" {
		fc.sha = oldSHA
	}
	if oldSHA == newSHA {
		return fc // pure rename: no patch
	}
	fc.patch, fc.additions, fc.deletions = unifiedDiff(string(s.blobs[oldSHA]), string(s.blobs[newSHA]))
	return fc
}

// unifiedDiff renders old → new as one hunk with the whole file as context
// (what GitHub's "patch" holds for small files), from a line LCS.
func unifiedDiff(old, new string) (patch string, adds, dels int) {
	a, b := splitLines(old), splitLines(new)
	if len(a)*len(b) > 4_000_000 { // too big for LCS: replace wholesale
		var sb strings.Builder
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(1, len(a)), hunkRange(1, len(b)))
		for _, l := range a {
			sb.WriteString("-" + l + "\n")
		}
		for _, l := range b {
			sb.WriteString("+" + l + "\n")
		}
		return strings.TrimSuffix(sb.String(), "\n"), len(b), len(a)
	}
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var lines []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, " "+a[i])
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, "-"+a[i])
			dels++
			i++
		default:
			lines = append(lines, "+"+b[j])
			adds++
			j++
		}
	}
	header := fmt.Sprintf("@@ -%s +%s @@", hunkRange(1, len(a)), hunkRange(1, len(b)))
	return header + "\n" + strings.Join(lines, "\n"), adds, dels
}

func hunkRange(start, n int) string {
	if n == 0 {
		return "0,0"
	}
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
