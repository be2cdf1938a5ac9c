package ghemu

import (
	"archive/tar"
	"compress/gzip"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Repository archives, as GitHub serves them
// (https://docs.github.com/en/rest/repos/contents#download-a-repository-archive-tar):
// the API answers 302 with a Location on codeload, where the tarball of the
// commit is served. For a private repository the link carries a token and
// "expires after five minutes". The tarball is `git archive`'s: a pax
// global header whose comment is the commit SHA, then every file under one
// top directory named OWNER-REPO-SHORTSHA.

// archiveLinkTTL is how long a codeload link stays valid.
const archiveLinkTTL = 5 * time.Minute

// archiveLink is a codeload link handed out by the API.
type archiveLink struct {
	repo    string
	sha     string
	expires time.Time
}

func (e *Emulator) archiveRoutes() []route {
	return []route{
		{id: "repos/download-tarball-archive", method: "GET", path: "/repos/{owner}/{repo}/tarball/{ref}", pattern: "/repos/{owner}/{repo}/tarball/{ref...}", handle: (*call).tarballLink},
	}
}

func (c *call) tarballLink() {
	r := c.repoFor()
	if r == nil {
		return
	}
	cm := c.e.resolve(r, c.r.PathValue("ref"))
	if cm == nil {
		c.notFound()
		return
	}
	token := newToken("")
	c.e.archiveLinks[token] = archiveLink{repo: r.fullName(), sha: cm.sha, expires: time.Now().Add(archiveLinkTTL)}
	loc := c.u().codeload("/" + r.fullName() + "/legacy.tar.gz/" + cm.sha + "?token=" + url.QueryEscape(token))
	c.w.Header().Set("Location", loc)
	c.w.WriteHeader(http.StatusFound)
}

// codeload is the codeload host's URL of path.
func (u urls) codeload(path string) string {
	return strings.TrimSuffix(string(u), "/api/v3") + "/_codeload" + path
}

// serveCodeload serves /_codeload/OWNER/REPO/legacy.tar.gz/SHA?token=T.
func (e *Emulator) serveCodeload(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/_codeload/"), "/")
	if r.Method != http.MethodGet || len(parts) != 4 || parts[2] != "legacy.tar.gz" {
		http.NotFound(w, r)
		return
	}
	full, sha := parts[0]+"/"+parts[1], parts[3]
	e.mu.Lock()
	link, ok := e.archiveLinks[r.URL.Query().Get("token")]
	var files map[string]string
	blobs := map[string][]byte{}
	if ok && link.repo == full && link.sha == sha && time.Now().Before(link.expires) {
		files = e.objects.commits[sha].files
		for _, b := range files {
			blobs[b] = e.objects.blobs[b]
		}
	}
	e.mu.Unlock()
	if files == nil {
		http.NotFound(w, r) // codeload answers an expired or wrong token with 404
		return
	}
	w.Header().Set("Content-Type", "application/x-gzip")
	w.Header().Set("Content-Disposition", "attachment; filename="+parts[0]+"-"+parts[1]+"-"+sha[:7]+".tar.gz")
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	top := parts[0] + "-" + parts[1] + "-" + sha[:7] + "/"
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": sha}, Format: tar.FormatPAX})
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	dirs := map[string]bool{}
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: top, Mode: 0o775})
	for _, p := range paths {
		for i := 0; i < len(p); i++ {
			if p[i] == '/' && !dirs[p[:i]] {
				dirs[p[:i]] = true
				tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: top + p[:i+1], Mode: 0o775})
			}
		}
		content := blobs[files[p]]
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: top + p, Mode: 0o664, Size: int64(len(content))})
		tw.Write(content)
	}
	tw.Close()
	gz.Close()
}
