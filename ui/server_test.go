package ui

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stylelab/stylelab/store"
)

// rowIDs are the run ids of the runs table's rows, in order.
func rowIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<tr id="run-(\d+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func ids(f *fixture, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprint(f.run[n])
	}
	return out
}

func TestRunsPage(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.get(t, "/")
	if res.status != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", res.status, res.body)
	}
	if got, want := rowIDs(res.body), ids(f, "live", "missing", xssName, "deep", "high", "low"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rows %v; want newest first %v", got, want)
	}
	// The varying params are columns, the constant ones (iterations) not.
	mustContain(t, "runs page", res.body, `data-field="params.ratio"`, `data-field="params.style_layers"`,
		`data-field="metrics.total"`, "Runs 1–6 of 6", `data-status="RUNNING"`, `/artifacts/`, `/thumb?v=`)
	if strings.Contains(res.body, `data-field="params.iterations"`) {
		t.Error("a parameter that is the same in every run is a column")
	}
	mustContain(t, "runs page", res.body, html.EscapeString(xssName), html.EscapeString(xssExp), html.EscapeString(xssVal))
	for _, raw := range []string{xssName, xssExp, xssVal} {
		if strings.Contains(res.body, raw) {
			t.Errorf("runs page holds %q unescaped", raw)
		}
	}
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestRunsQuerySortPage(t *testing.T) {
	f := newFixture(t, Options{})
	for _, c := range []struct {
		target string
		want   []string
		has    []string
	}{
		{"/?q=" + url.QueryEscape(`experiment = "fig4" and params.ratio <= 1e-3`), ids(f, "live", "deep", "low"), []string{"Runs 1–3 of 3"}},
		{"/?sort=metrics.total&dir=asc", ids(f, "low", "high", "deep", xssName, "missing", "live"), []string{`aria-sort="ascending"`, "total ▲"}},
		{"/?sort=metrics.total&dir=desc&n=2&page=2", ids(f, xssName, "deep"), []string{"Runs 3–4 of 6", `aria-current="page">2<`, "page=3", "‹ previous", "next ›"}},
		{"/?sort=" + url.QueryEscape("params.ratio") + "&dir=desc", ids(f, "high", "missing", xssName, "deep", "low", "live"), nil},
		{"/?q=" + url.QueryEscape(`tag = "fig3"`), ids(f, "low"), nil},
		{"/?q=" + url.QueryEscape(`status = "RUNNING" order by id`) + "&sort=name", ids(f, "live"), nil},
		{"/?page=9", nil, []string{"No runs on this page of 6"}},
	} {
		res := f.get(t, c.target)
		if res.status != http.StatusOK {
			t.Errorf("GET %s: %d", c.target, res.status)
			continue
		}
		if got := rowIDs(res.body); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("GET %s: rows %v; want %v", c.target, got, c.want)
		}
		mustContain(t, c.target, res.body, c.has...)
	}
	// The sort link of a sorted column turns it the other way; a new query keeps the sort.
	res := f.get(t, "/?sort=name&dir=asc")
	mustContain(t, "sorted page", res.body, `href="/?dir=desc&amp;sort=name"`,
		`<input type="hidden" name="sort" value="name"><input type="hidden" name="dir" value="asc">`)
}

func TestRunsQueryError(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.get(t, "/?q="+url.QueryEscape(`status = FINISHED`))
	if res.status != http.StatusOK {
		t.Errorf("bad query: status %d; want 200, the page showing the mistake", res.status)
	}
	mustContain(t, "query error", res.body, `id="query-error"`, "quote text values", "status = FINISHED\n           ^",
		`value="status = FINISHED"`)
	if len(rowIDs(res.body)) != 0 {
		t.Error("a bad query lists runs")
	}
	res = f.get(t, "/?sort="+url.QueryEscape("nosuch"))
	mustContain(t, "bad sort", res.body, `unknown field &#34;nosuch&#34;`)
}

func TestRunPage(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.get(t, fmt.Sprintf("/runs/%d", f.run["low"]))
	if res.status != http.StatusOK {
		t.Fatalf("run page: %d\n%s", res.status, res.body)
	}
	mustContain(t, "run page", res.body, "Final image", "conv1_1", "v-test", "abc123", strings.Repeat("ab", 32),
		"/data/tubingen.jpg", "first try", ">fig3<", `id="note-form"`, `name="csrf" value="`+f.srv.csrf+`"`,
		"/export.json", "/export.csv", "/losses.svg", "&amp;download=1", `href="/?q=experiment&#43;%3D&#43;%22fig4%22"`)
	var live liveRun
	m := regexp.MustCompile(`(?s)<script type="application/json" id="run-data">(.*?)</script>`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatal("run page has no run-data")
	}
	if err := json.Unmarshal([]byte(m[1]), &live); err != nil {
		t.Fatalf("run-data: %v", err)
	}
	if live.ID != f.run["low"] || live.Status != store.StatusFinished || len(live.Curves) != 4 || live.Curves[0].Key != "total" ||
		len(live.Curves[0].Steps) != 3 || len(live.Snapshots) != 2 || live.Snapshots[1].Kind != store.KindFinal {
		t.Errorf("run-data %+v", live)
	}

	// Escaped everywhere: the title, the heading, tags, notes, params.
	res = f.get(t, fmt.Sprintf("/runs/%d", f.run[xssName]))
	for _, raw := range []string{xssName, xssTag, "<script>alert(2)", xssVal, xssExp} {
		if strings.Contains(res.body, raw) {
			t.Errorf("run page holds %q unescaped", raw)
		}
	}
	mustContain(t, "xss run page", res.body, html.EscapeString(xssName), "&lt;script&gt;alert(2)&lt;/script&gt; too bright")

	// A missing image file is said so; the page still works.
	res = f.get(t, fmt.Sprintf("/runs/%d", f.run["missing"]))
	if res.status != http.StatusOK {
		t.Fatalf("run with a missing image: %d", res.status)
	}
	mustContain(t, "missing image page", res.body, "The final image is missing from the store&#39;s folder")

	for target, want := range map[string]int{"/runs/999": 404, "/runs/abc": 404, "/runs/-1": 404, "/nosuch": 404} {
		if res := f.get(t, target); res.status != want {
			t.Errorf("GET %s: %d; want %d", target, res.status, want)
		}
	}
}

func TestExports(t *testing.T) {
	f := newFixture(t, Options{})
	id := f.run["low"]
	res := f.get(t, fmt.Sprintf("/runs/%d/export.json", id))
	recs, err := store.ReadJSON(strings.NewReader(res.body))
	if err != nil || len(recs) != 1 || recs[0].ID != id || len(recs[0].Metrics) != 12 {
		t.Errorf("export.json: %d records, %v", len(recs), err)
	}
	if res.header.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="run-%d.json"`, id) {
		t.Errorf("export.json disposition %q", res.header.Get("Content-Disposition"))
	}
	res = f.get(t, fmt.Sprintf("/runs/%d/export.csv", id))
	if lines := strings.Split(strings.TrimSpace(res.body), "\n"); res.status != 200 || len(lines) != 13 || !strings.HasPrefix(lines[0], "run_id,") ||
		!strings.Contains(res.body, ",total,") {
		t.Errorf("export.csv: %d %q", res.status, res.body)
	}
	res = f.get(t, fmt.Sprintf("/runs/%d/losses.svg", id))
	if res.status != 200 || res.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(res.body, "<svg") {
		t.Errorf("losses.svg: %d %s", res.status, res.header.Get("Content-Type"))
	}
	if res := f.get(t, "/runs/999/export.json"); res.status != 404 {
		t.Errorf("export of no run: %d", res.status)
	}
}

func TestArtifacts(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	a, err := f.st.Artifact(ctx, f.art["low/final"])
	if err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("/artifacts/%d?v=%s", a.ID, a.SHA256[:16])
	res := f.get(t, target)
	img, err := png.Decode(strings.NewReader(res.body))
	if res.status != 200 || err != nil || img.Bounds().Dx() != 40 {
		t.Fatalf("GET %s: %d, %v", target, res.status, err)
	}
	if res.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.header.Get("ETag") != `"`+a.SHA256+`"` ||
		res.header.Get("Content-Type") != "image/png" {
		t.Errorf("artifact headers %v", res.header)
	}
	if res := f.get(t, target, "If-None-Match", `"`+a.SHA256+`"`); res.status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d; want 304", res.status)
	}
	if res := f.get(t, fmt.Sprintf("/artifacts/%d?v=stale", a.ID)); res.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("a stale version is cached: %q", res.header.Get("Cache-Control"))
	}
	res = f.get(t, fmt.Sprintf("/artifacts/%d?download=1", a.ID))
	if res.header.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="run-%d-final.png"`, a.Run) {
		t.Errorf("download disposition %q", res.header.Get("Content-Disposition"))
	}
	// Missing file, no such artifact: a placeholder picture, 404, not cached.
	for _, target := range []string{fmt.Sprintf("/artifacts/%d", f.art["missing/final"]), fmt.Sprintf("/artifacts/%d/thumb", f.art["missing/final"]), "/artifacts/9999"} {
		res := f.get(t, target)
		if res.status != 404 || res.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(res.body, "image missing") ||
			res.header.Get("Cache-Control") != "no-store" || res.header.Get("X-Stylelab-Missing") == "" {
			t.Errorf("GET %s: %d %v", target, res.status, res.header)
		}
	}
}

// TestArtifactTraversal: a path in the database that leads out of the
// artifact folder, by .. or a symbolic link, is not served.
func TestArtifactTraversal(t *testing.T) {
	f := newFixture(t, Options{})
	secret := filepath.Join(filepath.Dir(f.st.Path()), "secret.txt")
	if err := os.WriteFile(secret, []byte("top secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", f.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, p := range []string{"../secret.txt", "../../" + filepath.Base(filepath.Dir(f.st.Path())) + "/secret.txt", secret} {
		if _, err := db.Exec("UPDATE artifacts SET path = ? WHERE id = ?", p, f.art["high/final"]); err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{fmt.Sprintf("/artifacts/%d", f.art["high/final"]), fmt.Sprintf("/artifacts/%d/thumb", f.art["high/final"])} {
			if res := f.get(t, target); res.status != 404 || strings.Contains(res.body, "top secret") {
				t.Errorf("path %q: GET %s = %d %q", p, target, res.status, res.body)
			}
		}
	}
	// A symbolic link inside the folder that points out of it.
	a, err := f.st.Artifact(context.Background(), f.art["deep/final"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(a.Path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, a.Path); err != nil {
		t.Fatal(err)
	}
	if res := f.get(t, fmt.Sprintf("/artifacts/%d", a.ID)); res.status != 404 || strings.Contains(res.body, "top secret") {
		t.Errorf("symlink out: %d %q", res.status, res.body)
	}
	// The URL never names a file.
	for _, target := range []string{"/artifacts/..%2f..%2fsecret.txt", "/artifacts/%2e%2e/secret.txt", "/static/..%2fserver.go"} {
		if res := f.get(t, target); res.status == 200 || strings.Contains(res.body, "top secret") || strings.Contains(res.body, "package ui") {
			t.Errorf("GET %s: %d", target, res.status)
		}
	}
}

func TestThumbnails(t *testing.T) {
	f := newFixture(t, Options{})
	a, err := f.st.Artifact(context.Background(), f.art["low/final"])
	if err != nil {
		t.Fatal(err)
	}
	// A large image, so that the thumbnail is smaller.
	big := solid(300, 200, f.imgs["low"].RGBAAt(0, 0))
	if err := os.WriteFile(a.Path, pngBytes(t, big), 0o644); err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("/artifacts/%d/thumb?v=%s", a.ID, a.SHA256[:16])
	res := f.get(t, target)
	img, err := png.Decode(strings.NewReader(res.body))
	if res.status != 200 || err != nil {
		t.Fatalf("thumb: %d %v", res.status, err)
	}
	if b := img.Bounds(); b.Dx() != thumbSize || b.Dy() != 85 {
		t.Errorf("thumb %v; want %d×85", b, thumbSize)
	}
	if res.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("thumb Cache-Control %q", res.header.Get("Cache-Control"))
	}
	cached := filepath.Join(f.st.Path()+"-thumbs", fmt.Sprintf("%s-%d.png", a.SHA256, thumbSize))
	if _, err := os.Stat(cached); err != nil {
		t.Fatalf("thumbnail not cached: %v", err)
	}
	// Made once: later requests read the cache, even without the image.
	if err := os.Remove(a.Path); err != nil {
		t.Fatal(err)
	}
	if again := f.get(t, target); again.status != 200 || again.body != res.body {
		t.Errorf("cached thumb: %d", again.status)
	}
}

func TestEdits(t *testing.T) {
	f := newFixture(t, Options{})
	id := f.run["high"]
	page := fmt.Sprintf("/runs/%d", id)
	origin := []string{"Origin", "http://127.0.0.1:8787", "Sec-Fetch-Site", "same-origin"}
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {f.srv.csrf}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	res := f.post(t, page+"/notes", form("text", "a note\r\nover two lines <b>"), origin...)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != page {
		t.Fatalf("add note: %d %s", res.status, res.body)
	}
	res = f.post(t, page+"/tags", form("tag", "best keep"), origin...)
	if res.status != http.StatusSeeOther {
		t.Fatalf("add tags: %d %s", res.status, res.body)
	}
	res = f.post(t, page+"/untag", form("tag", "keep"), origin...)
	if res.status != http.StatusSeeOther {
		t.Fatalf("untag: %d %s", res.status, res.body)
	}
	rec, err := f.st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Notes) != 1 || rec.Notes[0].Text != "a note\nover two lines <b>" || strings.Join(rec.Tags, ",") != "best" {
		t.Errorf("after edits: notes %+v, tags %v", rec.Notes, rec.Tags)
	}
	mustContain(t, "edited page", f.get(t, page).body, "a note\nover two lines &lt;b&gt;", ">best<")

	// Refused: no token, a wrong one, another origin, another site, bad input.
	for _, c := range []struct {
		name   string
		target string
		form   url.Values
		header []string
		status int
	}{
		{"no token", page + "/notes", url.Values{"text": {"x"}}, origin, 403},
		{"wrong token", page + "/notes", url.Values{"text": {"x"}, "csrf": {strings.Repeat("0", 64)}}, origin, 403},
		{"token in a header", page + "/notes", url.Values{"text": {"by header"}}, append([]string{"X-CSRF-Token", f.srv.csrf}, origin...), 303},
		{"other origin", page + "/notes", form("text", "x"), []string{"Origin", "http://evil.example"}, 403},
		{"other referer", page + "/notes", form("text", "x"), []string{"Referer", "http://evil.example/page"}, 403},
		{"opaque origin", page + "/notes", form("text", "x"), []string{"Origin", "null"}, 403},
		{"cross site", page + "/notes", form("text", "x"), []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"empty note", page + "/notes", form("text", "  "), origin, 400},
		{"bad tag", page + "/tags", form("tag", ""), origin, 400},
		{"no such run", "/runs/999/notes", form("text", "x"), origin, 404},
		{"get is no edit", page + "/notes", nil, nil, 405},
	} {
		var res response
		if c.form == nil {
			res = f.get(t, c.target)
		} else {
			res = f.post(t, c.target, c.form, c.header...)
		}
		if res.status != c.status {
			t.Errorf("%s: %d %q; want %d", c.name, res.status, res.body, c.status)
		}
	}
	rec, err = f.st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Notes) != 2 || rec.Notes[1].Text != "by header" {
		t.Errorf("refused edits changed the notes: %+v", rec.Notes)
	}
}

func TestReadOnly(t *testing.T) {
	f := newFixture(t, Options{ReadOnly: true})
	id := f.run["low"]
	page := f.get(t, fmt.Sprintf("/runs/%d", id))
	if strings.Contains(page.body, `<form method="post"`) || !strings.Contains(page.body, "read-only") {
		t.Error("a read-only page offers edits")
	}
	for _, target := range []string{"/notes", "/tags", "/untag"} {
		res := f.post(t, fmt.Sprintf("/runs/%d%s", id, target), url.Values{"csrf": {f.srv.csrf}, "text": {"x"}, "tag": {"fig3"}},
			"Origin", "http://127.0.0.1:8787")
		if res.status != http.StatusForbidden || !strings.Contains(res.body, "read-only") {
			t.Errorf("read-only POST %s: %d %q", target, res.status, res.body)
		}
	}
	rec, err := f.st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Notes) != 1 || strings.Join(rec.Tags, ",") != "fig3" {
		t.Errorf("read-only server edited: notes %+v tags %v", rec.Notes, rec.Tags)
	}
}

func TestHostCheck(t *testing.T) {
	f := newFixture(t, Options{})
	for host, want := range map[string]int{"127.0.0.1:8787": 200, "localhost:8787": 200, "[::1]:8787": 200, "app.localhost": 200,
		"evil.example:8787": 421, "127.0.0.1.evil.example": 421, "192.168.1.5:8787": 421} {
		if res := f.get(t, "/", "Host", host); res.status != want {
			t.Errorf("Host %s: %d; want %d", host, res.status, want)
		}
	}
	remote := newFixture(t, Options{AllowRemote: true})
	if res := remote.get(t, "/", "Host", "lab.example:8787"); res.status != 200 {
		t.Errorf("-allow-remote, Host lab.example: %d", res.status)
	}
}

func TestListen(t *testing.T) {
	for _, c := range []struct {
		addr    string
		remote  bool
		err     string
		warning string
	}{
		{"127.0.0.1:0", false, "", ""},
		{"localhost:0", false, "", ""},
		{"0.0.0.0:0", false, "-allow-remote", ""},
		{":0", false, "-allow-remote", ""},
		{"0.0.0.0:0", true, "", "anyone who can reach it"},
		{"8787", false, "host:port", ""},
	} {
		l, warning, err := Listen(c.addr, c.remote)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Listen(%q, %v): %v; want an error with %q", c.addr, c.remote, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Listen(%q, %v): %v", c.addr, c.remote, err)
			continue
		}
		if !strings.Contains(warning, c.warning) || (c.warning == "") != (warning == "") {
			t.Errorf("Listen(%q, %v) warning %q; want %q", c.addr, c.remote, warning, c.warning)
		}
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestStatic(t *testing.T) {
	f := newFixture(t, Options{})
	u, err := f.srv.staticURL("common.js")
	if err != nil {
		t.Fatal(err)
	}
	res := f.get(t, u)
	if res.status != 200 || res.header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		!strings.HasPrefix(res.header.Get("Content-Type"), "text/javascript") || !strings.Contains(res.body, "const Stylelab") {
		t.Errorf("GET %s: %d %v", u, res.status, res.header)
	}
	if res := f.get(t, "/static/nosuch.js"); res.status != 404 {
		t.Errorf("unknown static file: %d", res.status)
	}
	// No script on a page is inline: the policy would block it.
	for _, target := range []string{"/", fmt.Sprintf("/runs/%d", f.run["low"]), "/grid", fmt.Sprintf("/compare?ids=%d,%d", f.run["low"], f.run["high"])} {
		body := f.get(t, target).body
		for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
			if !strings.Contains(m, `src="/static/`) && !strings.Contains(m, `type="application/json"`) {
				t.Errorf("%s has an inline script %s", target, m)
			}
		}
		if regexp.MustCompile(`<[a-z]+(?:\s+[a-z-]+(?:="[^"]*")?)*\s+(?:on[a-z]+|style)=`).MatchString(body) {
			t.Errorf("%s has an inline handler or style", target)
		}
	}
}

func TestCompare(t *testing.T) {
	f := newFixture(t, Options{})
	low, deep, high := f.run["low"], f.run["deep"], f.run["high"]
	res := f.get(t, fmt.Sprintf("/compare?id=%d&id=%d", low, deep))
	if res.status != 200 {
		t.Fatalf("compare: %d %s", res.status, res.body)
	}
	mustContain(t, "compare", res.body, `<tr class="differs"><th>style_layers</th><td>conv1_1</td><td>conv1_1,conv2_1</td></tr>`,
		`<tr><th>ratio</th><td>1e-3</td><td>1e-3</td></tr>`, `id="modes"`, fmt.Sprintf(`/artifacts/%d?v=`, f.art["low/final"]),
		"only the 1 that differ")
	var data compareData
	m := regexp.MustCompile(`(?s)id="compare-data">(.*?)</script>`).FindStringSubmatch(res.body)
	if m == nil || json.Unmarshal([]byte(m[1]), &data) != nil || len(data.Runs) != 2 || len(data.Charts) != 4 ||
		data.Charts[0].Key != "total" || len(data.Charts[0].Curves[1].Steps) != 3 {
		t.Errorf("compare-data %+v", data)
	}
	// Three runs: no flicker or difference; the missing image is said so.
	res = f.get(t, fmt.Sprintf("/compare?ids=%d,%d,%d", low, high, f.run["missing"]))
	if res.status != 200 || strings.Contains(res.body, `id="modes"`) || !strings.Contains(res.body, "image missing") {
		t.Errorf("compare of three: %d", res.status)
	}
	for target, want := range map[string]int{"/compare": 400, fmt.Sprintf("/compare?ids=%d", low): 400,
		"/compare?ids=1,x": 400, "/compare?ids=1,999": 404, "/compare?ids=1,2,3,4,5,6,7,8,9,10,11,12,13": 400} {
		if res := f.get(t, target); res.status != want {
			t.Errorf("GET %s: %d; want %d", target, res.status, want)
		}
	}
}

func TestGrid(t *testing.T) {
	f := newFixture(t, Options{})
	q := url.QueryEscape(`experiment = "fig4" and status = "FINISHED"`)
	res := f.get(t, "/grid?q="+q+"&rows=style_layers&cols=ratio")
	if res.status != 200 {
		t.Fatalf("grid: %d %s", res.status, res.body)
	}
	mustContain(t, "grid", res.body, `<th class="corner">style_layers \ ratio</th>`, `<th scope="col">1e-3</th>`,
		`<th scope="row">conv1_1,conv2_1</th>`, fmt.Sprintf(`<a href="/runs/%d" class="cell"`, f.run["deep"]),
		fmt.Sprintf(`/artifacts/%d?v=`, f.art["high/final"]), "4 runs")
	cells := regexp.MustCompile(`class="cell"`).FindAllString(res.body, -1)
	if len(cells) != 4 {
		t.Errorf("grid has %d cells with runs; want 4", len(cells))
	}
	// Without axes, the parameters that differ are picked.
	res = f.get(t, "/grid?q="+q)
	mustContain(t, "grid without axes", res.body, `<option selected>ratio</option>`, `<option selected>style_layers</option>`)
	for target, want := range map[string]string{
		"/grid?q=" + url.QueryEscape("status = X"):          "expected a number or a quoted string",
		"/grid?q=" + q + "&rows=colour":                     `no run has the parameter &#34;colour&#34;`,
		"/grid?q=" + url.QueryEscape(`experiment = "none"`): "no run matches",
	} {
		if res := f.get(t, target); !strings.Contains(res.body, want) {
			t.Errorf("GET %s lacks %q", target, want)
		}
	}
}

// sse reads server-sent events from a live server until stop says so.
func sse(t *testing.T, url string, stop func(name string, data []byte) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("%s: Content-Type %q", url, ct)
	}
	var name string
	buf := make([]byte, 0, 64<<10)
	chunk := make([]byte, 4096)
	for {
		n, err := res.Body.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for {
			i := bytes.Index(buf, []byte("\n\n"))
			if i < 0 {
				break
			}
			for _, line := range strings.Split(string(buf[:i]), "\n") {
				switch {
				case strings.HasPrefix(line, "event: "):
					name = strings.TrimPrefix(line, "event: ")
				case strings.HasPrefix(line, "data: "):
					if stop(name, []byte(strings.TrimPrefix(line, "data: "))) {
						return
					}
				}
			}
			buf = buf[i+2:]
		}
		if err != nil {
			t.Fatalf("%s: the stream ended: %v", url, err)
		}
	}
}

// TestLiveEvents: a running run's table row and page get its new steps,
// images and status as they are logged, and the streams end with it.
func TestLiveEvents(t *testing.T) {
	f := newFixture(t, Options{})
	ts := newLoopbackServer(t, f.srv)
	id := f.live.ID()
	// The table: first the state, then each change.
	go func() {
		time.Sleep(100 * time.Millisecond)
		if err := f.live.LogStep(1, 0.5, map[string]float64{"total": 42, "content": 1, "style": 2}); err != nil {
			t.Error(err)
		}
	}()
	var steps []int
	newer := -1
	sse(t, fmt.Sprintf("%s/events?id=%d&after=%d", ts, id, id-1), func(name string, data []byte) bool {
		switch name {
		case "run":
			var u runUpdate
			if err := json.Unmarshal(data, &u); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, u.Step)
			if u.Step == 1 && (u.Losses["total"] != "42" || u.Status != store.StatusRunning || u.Image == nil) {
				t.Errorf("update %+v", u)
			}
		case "newer":
			var n map[string]int
			if err := json.Unmarshal(data, &n); err != nil {
				t.Fatal(err)
			}
			newer = n["count"]
		}
		return len(steps) == 2 && newer >= 0
	})
	if steps[0] != 0 || steps[1] != 1 || newer != 1 {
		t.Errorf("table updates at steps %v, newer %d; want 0 then 1, 1 newer", steps, newer)
	}

	// The page: metrics after the step it has, images, then the end.
	go func() {
		time.Sleep(100 * time.Millisecond)
		if err := f.live.LogStep(2, 0.7, map[string]float64{"total": 40, "content": 1, "style": 2}); err != nil {
			t.Error(err)
		}
		if _, err := f.live.SaveArtifact(store.KindFinal, "final.png", 2, pngBytes(t, f.imgs["live"])); err != nil {
			t.Error(err)
		}
		if err := f.live.Finish(store.StatusFinished, ""); err != nil {
			t.Error(err)
		}
	}()
	var got []string
	var points []int
	sse(t, fmt.Sprintf("%s/runs/%d/events?step=1", ts, id), func(name string, data []byte) bool {
		got = append(got, name)
		switch name {
		case "metrics":
			var cs []curve
			if err := json.Unmarshal(data, &cs); err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if c.Key == "total" {
					points = append(points, c.Steps...)
				}
			}
		case "image":
			var a imageView
			if err := json.Unmarshal(data, &a); err != nil || a.URL == "" {
				t.Errorf("image event %s: %v", data, err)
			}
		}
		return name == "end"
	})
	joined := strings.Join(got, " ")
	if fmt.Sprint(points) != "[2]" || !strings.Contains(joined, "image") || !strings.HasSuffix(joined, "run end") {
		t.Errorf("page events %q with total at steps %v; want metrics at 2, images, the run, end", joined, points)
	}
}

// TestShutdown: Serve returns soon after its context ends, open live
// streams included, and the page's address file goes with Publish's undo.
func TestShutdown(t *testing.T) {
	f := newFixture(t, Options{})
	l, _, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, l) }()
	base := "http://" + l.Addr().String()
	res, err := http.Get(fmt.Sprintf("%s/events?id=%d", base, f.live.ID()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	start := time.Now()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(4 * time.Second):
		t.Fatal("Serve did not return with a live stream open")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}
