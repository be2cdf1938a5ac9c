package github

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	gogh "github.com/google/go-github/v60/github"

	"github.com/modelpromote/modelpromote/internal/gitsha"
	"github.com/modelpromote/modelpromote/internal/manifest"
)

// A tree whose manifests need more than archiveMinBlobs downloads not yet
// started by another reader is read from one tarball of the commit
// (https://docs.github.com/en/rest/repos/contents#download-a-repository-archive-tar)
// instead of a blob call each: a repository of 1,000 models costs two
// requests, not 1,000. Only while the whole tree holds at most
// archiveMaxBytes of files, since the tarball carries all of them.
const (
	archiveMinBlobs = 16
	archiveMaxBytes = 32 << 20
)

// archiveInto reads the tarball of commit sha and completes each claimed
// fetch (by blob SHA) whose file it holds with the bytes whose git blob SHA
// is that SHA. paths maps each wanted file's path to its blob SHA. A file
// whose bytes do not hash to the tree's SHA is not taken; what the tarball
// did not give is left to the blob API. It returns the SHAs it completed.
func (r *Repo) archiveInto(ctx context.Context, sha string, paths map[string]string, claimed map[string]*blobFetch) (map[string]bool, error) {
	link, _, err := r.client.Repositories.GetArchiveLink(ctx, r.Owner, r.Name, gogh.Tarball, &gogh.RepositoryContentGetOptions{Ref: sha}, 1)
	if err != nil {
		return nil, fmt.Errorf("archive link of %s: %w", gitsha.Short(sha), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("download archive of %s: %w", gitsha.Short(sha), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download archive of %s: %s", gitsha.Short(sha), resp.Status)
	}
	gz, err := gzip.NewReader(io.LimitReader(resp.Body, archiveMaxBytes+archiveMaxBytes/2))
	if err != nil {
		return nil, fmt.Errorf("archive of %s: %w", gitsha.Short(sha), err)
	}
	done := map[string]bool{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return done, nil
		}
		if err != nil {
			return done, fmt.Errorf("archive of %s: %w", gitsha.Short(sha), err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			// git archive names the commit it archived.
			if c, ok := h.PAXRecords["comment"]; ok && c != sha {
				return done, fmt.Errorf("archive of %s holds commit %s", gitsha.Short(sha), gitsha.Short(c))
			}
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		_, p, ok := strings.Cut(h.Name, "/") // below the OWNER-REPO-SHA directory
		want, wanted := paths[p]
		f := claimed[want]
		if !ok || !wanted || f == nil || done[want] || h.Size > manifest.MaxFileSize {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, h.Size))
		if err != nil {
			return done, fmt.Errorf("archive of %s: %s: %w", gitsha.Short(sha), p, err)
		}
		if blobSHA(data) != want {
			continue // left to the blob API, which answers by SHA
		}
		f.data = data
		close(f.done)
		done[want] = true
	}
}

// blobSHA is git's object name of a file's bytes.
func blobSHA(data []byte) string {
	h := sha1.New()
	io.WriteString(h, "blob "+strconv.Itoa(len(data))+"\x00")
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}
