package ghemu

import (
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The web side that API objects link to (html_url, download_url, the
// links in the bot's comments and evidence records): plain HTML views of
// emulator state, so that a link from a kept demo opens something. The
// paths are github.com's (https://docs.github.com/en/pull-requests,
// /OWNER/REPO/pull/N, /OWNER/REPO/runs/ID, …) under /_web; raw files are
// served like raw.githubusercontent.com. Views need no login.
func (e *Emulator) webRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_web/{owner}/{repo}/raw/{ref}/{path...}", e.webRaw)
	mux.HandleFunc("GET /_web/{owner}/{repo}/blob/{ref}/{path...}", e.webBlob)
	mux.HandleFunc("GET /_web/{owner}/{repo}/pull/{number}", e.webPull)
	mux.HandleFunc("GET /_web/{owner}/{repo}/runs/{id}", e.webRun)
	mux.HandleFunc("GET /_web/{owner}/{repo}/commit/{sha}", e.webCommit)
	mux.HandleFunc("GET /_web/{owner}/{repo}", e.webRepo)
	mux.HandleFunc("GET /_web/{login}", e.webAccount)
	return mux
}

func (e *Emulator) serveWeb(w http.ResponseWriter, r *http.Request) {
	e.web.ServeHTTP(w, r)
}

func fullName(r *http.Request) string { return r.PathValue("owner") + "/" + r.PathValue("repo") }

func (e *Emulator) webRaw(w http.ResponseWriter, r *http.Request) {
	content, ok := e.File(fullName(r), r.PathValue("ref"), r.PathValue("path"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, content)
}

func (e *Emulator) webBlob(w http.ResponseWriter, r *http.Request) {
	content, ok := e.File(fullName(r), r.PathValue("ref"), r.PathValue("path"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	page(w, r.PathValue("path")+" at "+r.PathValue("ref"), webBlobTmpl, map[string]any{
		"Repo": fullName(r), "Ref": r.PathValue("ref"), "Path": r.PathValue("path"), "Content": content,
	})
}

func (e *Emulator) webPull(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	repo := fullName(r)
	p, ok := e.PullRequest(repo, n)
	if !ok {
		http.NotFound(w, r)
		return
	}
	page(w, p.Title+" · #"+strconv.Itoa(n), webPullTmpl, map[string]any{
		"Repo": repo, "PR": p, "Reviews": e.Reviews(repo, n), "Comments": e.Comments(repo, n),
		"CheckRuns": e.CheckRuns(repo, p.HeadSHA),
	})
}

func (e *Emulator) webRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	for _, cr := range e.CheckRuns(fullName(r), "") {
		if cr.ID == id {
			page(w, cr.Name+": "+orString(cr.Conclusion, cr.Status), webRunTmpl, map[string]any{"Repo": fullName(r), "Run": cr})
			return
		}
	}
	http.NotFound(w, r)
}

func (e *Emulator) webCommit(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	parents, message, ok := e.Commit(sha)
	if !ok || !e.lockedRepoExists(fullName(r)) {
		http.NotFound(w, r)
		return
	}
	title, _, _ := strings.Cut(message, "\n")
	page(w, title+" · "+shortSHA(sha), webCommitTmpl, map[string]any{
		"Repo": fullName(r), "SHA": sha, "Parents": parents, "Message": message,
		"CheckRuns": e.CheckRuns(fullName(r), sha), "Statuses": e.Statuses(fullName(r), sha),
	})
}

func (e *Emulator) webRepo(w http.ResponseWriter, r *http.Request) {
	repo := fullName(r)
	if !e.lockedRepoExists(repo) {
		http.NotFound(w, r)
		return
	}
	var pulls []PullRequest
	for n := 1; ; n++ { // pull requests are numbered from 1, without gaps
		p, ok := e.PullRequest(repo, n)
		if !ok {
			break
		}
		pulls = append(pulls, p)
	}
	page(w, repo, webRepoTmpl, map[string]any{"Repo": repo, "Pulls": pulls, "Deployments": e.Deployments(repo)})
}

func (e *Emulator) webAccount(w http.ResponseWriter, r *http.Request) {
	login := r.PathValue("login")
	e.mu.Lock()
	a := e.accounts[strings.ToLower(login)]
	e.mu.Unlock()
	if a == nil {
		http.NotFound(w, r)
		return
	}
	page(w, a.login, webAccountTmpl, map[string]any{"Login": a.login, "Kind": a.kind})
}

// lockedRepoExists reports whether repo exists.
func (e *Emulator) lockedRepoExists(repo string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lockedRepo(repo) != nil
}

func orString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func shortSHA(sha string) string { return sha[:min(7, len(sha))] }

func page(w http.ResponseWriter, title string, body *template.Template, data map[string]any) {
	data["Title"] = title
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := body.Execute(w, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

var webFuncs = template.FuncMap{"short": shortSHA}

func webTemplate(body string) *template.Template {
	return template.Must(template.New("page").Funcs(webFuncs).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{white-space:pre-wrap;background:#f6f8fa;padding:1em}</style>
</head><body>
<p><a href="/_web/{{.Repo}}">{{.Repo}}</a> · emulated GitHub</p>
` + body + `
</body></html>
`))
}

var (
	webPullTmpl = webTemplate(`<h1>{{.PR.Title}} #{{.PR.Number}}</h1>
<p>{{if .PR.Merged}}merged as <a href="/_web/{{.Repo}}/commit/{{.PR.MergeCommitSHA}}">{{short .PR.MergeCommitSHA}}</a>{{else}}{{.PR.State}}{{end}}
· {{.PR.Author}} wants to merge {{.PR.HeadRef}} (<a href="/_web/{{.Repo}}/commit/{{.PR.HeadSHA}}">{{short .PR.HeadSHA}}</a>) into {{.PR.BaseRef}}</p>
<pre>{{.PR.Body}}</pre>
<h2>Checks on the head</h2>
<ul>{{range .CheckRuns}}<li><a href="/_web/{{$.Repo}}/runs/{{.ID}}">{{.Name}}</a>: {{.Status}} {{.Conclusion}}</li>{{else}}<li>none</li>{{end}}</ul>
<h2>Reviews</h2>
{{range .Reviews}}<div id="pullrequestreview-{{.ID}}"><p><b>{{.User}}</b> {{.State}} at {{short .CommitID}}</p>{{if .Body}}<pre>{{.Body}}</pre>{{end}}</div>{{else}}<p>none</p>{{end}}
<h2>Conversation</h2>
{{range .Comments}}<div id="issuecomment-{{.ID}}"><p><b>{{.User}}</b> commented {{.CreatedAt.Format "2006-01-02 15:04:05 UTC"}}</p><pre>{{.Body}}</pre></div>{{else}}<p>no comments</p>{{end}}`)

	webRunTmpl = webTemplate(`<h1>{{.Run.Name}}</h1>
<p>{{.Run.Status}} {{.Run.Conclusion}} · on <a href="/_web/{{.Repo}}/commit/{{.Run.HeadSHA}}">{{short .Run.HeadSHA}}</a> · by {{.Run.Creator}}</p>
<h2>{{.Run.Title}}</h2>
<pre>{{.Run.Summary}}</pre>
{{if .Run.Text}}<pre>{{.Run.Text}}</pre>{{end}}
{{if .Run.Annotations}}<h2>Annotations</h2><ul>{{range .Run.Annotations}}<li>{{.Path}}:{{.StartLine}} {{.AnnotationLevel}}: {{.Message}}</li>{{end}}</ul>{{end}}`)

	webCommitTmpl = webTemplate(`<h1>Commit {{short .SHA}}</h1>
<pre>{{.Message}}</pre>
<p>{{range .Parents}}parent <a href="/_web/{{$.Repo}}/commit/{{.}}">{{short .}}</a> {{end}}</p>
<ul>{{range .CheckRuns}}<li><a href="/_web/{{$.Repo}}/runs/{{.ID}}">{{.Name}}</a>: {{.Status}} {{.Conclusion}}</li>{{end}}
{{range .Statuses}}<li>{{.Context}}: {{.State}} {{.Description}}</li>{{end}}</ul>`)

	webBlobTmpl = webTemplate(`<h1>{{.Path}}</h1>
<p>at {{.Ref}} · <a href="/_web/{{.Repo}}/raw/{{.Ref}}/{{.Path}}">raw</a></p>
<pre>{{.Content}}</pre>`)

	webRepoTmpl = webTemplate(`<h1>{{.Repo}}</h1>
<h2>Pull requests</h2>
<ul>{{range .Pulls}}<li><a href="/_web/{{$.Repo}}/pull/{{.Number}}">#{{.Number}} {{.Title}}</a> ({{if .Merged}}merged{{else}}{{.State}}{{end}})</li>{{else}}<li>none</li>{{end}}</ul>
<h2>Deployments</h2>
<ul>{{range .Deployments}}<li>{{.Environment}} · {{.Task}} · <a href="/_web/{{$.Repo}}/commit/{{.SHA}}">{{short .SHA}}</a>{{range .Statuses}} → {{.State}}{{end}}</li>{{else}}<li>none</li>{{end}}</ul>`)

	webAccountTmpl = template.Must(template.New("account").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head><body><h1>{{.Login}}</h1><p>{{.Kind}} · emulated GitHub</p></body></html>
`))
)
