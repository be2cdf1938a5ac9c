package manifest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadDir reads the manifests directly in dir under root into a Tree.
// Files larger than MaxFileSize are still read up to one byte past the limit,
// so that loading reports them without holding them in memory.
func ReadDir(root, dir string) (Tree, error) {
	t := Tree{}
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		if e.IsDir() || !IsManifest(dir, p) {
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symbolic link; manifests must be regular files", p)
		}
		data, err := readLimited(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		t[p] = data
	}
	return t, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// ReadGit reads the manifests directly in dir at revision ref of the git
// repository at repo.
func ReadGit(ctx context.Context, repo, ref, dir string) (Tree, error) {
	dir = path.Clean(dir)
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("invalid git revision %q", ref)
	}
	out, err := git(ctx, repo, nil, "ls-tree", "-z", "--full-tree", ref+"^{tree}", "--", dir+"/")
	if err != nil {
		return nil, fmt.Errorf("list %s at %s: %w", dir, ref, err)
	}
	type blob struct{ sha, path string }
	var blobs []blob
	for _, rec := range bytes.Split(out, []byte{0}) {
		// "<mode> SP <type> SP <object> TAB <file>"
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		if !ok {
			continue
		}
		f := strings.Fields(string(meta))
		if len(f) != 3 || f[1] != "blob" || !IsManifest(dir, string(name)) {
			continue
		}
		if f[0] == "120000" {
			return nil, fmt.Errorf("%s is a symbolic link at %s; manifests must be regular files", name, ref)
		}
		blobs = append(blobs, blob{f[2], string(name)})
	}
	t := Tree{}
	if len(blobs) == 0 {
		return t, nil
	}
	var in bytes.Buffer
	for _, b := range blobs {
		in.WriteString(b.sha + "\n")
	}
	out, err = git(ctx, repo, &in, "cat-file", "--batch")
	if err != nil {
		return nil, fmt.Errorf("read blobs at %s: %w", ref, err)
	}
	r := bufio.NewReader(bytes.NewReader(out))
	for _, b := range blobs {
		header, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("read blob %s: %w", b.path, err)
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			return nil, fmt.Errorf("read blob %s: unexpected header %q", b.path, header)
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("read blob %s: %w", b.path, err)
		}
		data := make([]byte, size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("read blob %s: %w", b.path, err)
		}
		if _, err := r.Discard(1); err != nil { // the newline after each object
			return nil, fmt.Errorf("read blob %s: %w", b.path, err)
		}
		t[b.path] = data
	}
	return t, nil
}

func git(ctx context.Context, repo string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(stderr.String()))
		}
		return nil, err
	}
	return out, nil
}
