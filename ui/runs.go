package ui

import (
	"errors"
	"fmt"
	"github.com/stylelab/stylelab/store/query"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/stylelab/stylelab/store"
)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// runsView is the runs page.
type runsView struct {
	Query    string
	Sort     string // the column sorted by, kept when the query changes
	Dir      string
	Error    string // the query's mistake, with the CLI's caret
	Columns  []column
	Rows     []runRow
	Total    int
	From, To int // 1-based positions of the first and last row shown
	Pager    []pageLink
	Newest   int64 // the highest run id in the store when the page was made
	GridURL  string
	PageSize int
}

// column is a header of the runs table; clicking it sorts by Field.
type column struct {
	Label  string
	Field  string // in the query language: id, params.ratio, metrics.total ...
	URL    string // the page sorted by this column (the other way if it is already)
	Sorted string // "asc", "desc" or ""
	Class  string
}

// runRow is one run in the table.
type runRow struct {
	ID         int64
	Name       string
	Experiment string
	Status     string
	Started    time.Time
	Duration   string
	Step       int
	Planned    int
	Params     []paramCell
	Total      string
	Content    string
	Style      string
	Thumb      string // URL, "" when the run has no image yet
}

type paramCell struct {
	Text string // clipped for the table
	Full string
}

type pageLink struct {
	Label   string
	URL     string // "" for the current page or a gap
	Current bool
}

// runsParams are the runs page's URL parameters.
type runsParams struct {
	q, sort, dir string
	page, n      int
}

func readRunsParams(v url.Values) runsParams {
	p := runsParams{q: v.Get("q"), sort: v.Get("sort"), dir: v.Get("dir"), page: 1, n: defaultPageSize}
	if p.dir != "asc" {
		p.dir = "desc"
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 0 {
		p.page = n
	}
	if n, err := strconv.Atoi(v.Get("n")); err == nil && n > 0 {
		p.n = min(n, maxPageSize)
	}
	return p
}

// url is the runs page with p's parameters, defaults left out.
func (p runsParams) url() string {
	v := url.Values{}
	if p.q != "" {
		v.Set("q", p.q)
	}
	if p.sort != "" {
		v.Set("sort", p.sort)
		v.Set("dir", p.dir)
	}
	if p.page > 1 {
		v.Set("page", strconv.Itoa(p.page))
	}
	if p.n != defaultPageSize {
		v.Set("n", strconv.Itoa(p.n))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

func (s *Server) handleRuns(w http.ResponseWriter, r *http.Request) {
	p := readRunsParams(r.URL.Query())
	view, status, err := s.runsView(r, p)
	if err != nil {
		s.fail(w, r, status, err)
		return
	}
	s.render(w, r, status, "runs", page{Title: "Runs", Nav: "runs", Script: "runs.js", Data: view})
}

// runsView reads one page of runs. A mistake in the query is shown on the
// page, which is a good answer (status 200): the form shows the mistake.
func (s *Server) runsView(r *http.Request, p runsParams) (*runsView, int, error) {
	ctx := r.Context()
	v := &runsView{Query: p.q, Sort: p.sort, Dir: p.dir, PageSize: p.n, GridURL: "/grid?" + url.Values{"q": {p.q}}.Encode()}
	order := ""
	if p.sort != "" {
		order = p.sort + " " + p.dir
	}
	res, err := s.st.RunsPage(ctx, p.q, order, (p.page-1)*p.n, p.n)
	var qe *query.Error
	if errors.As(err, &qe) {
		v.Error = err.Error()
		v.Columns = s.columns(p, nil)
		return v, http.StatusOK, nil
	}
	if err != nil {
		return nil, storeError(err), err
	}
	newest, err := s.st.RunsPage(ctx, "order by id desc limit 1", "", 0, 1)
	if err != nil {
		return nil, storeError(err), err
	}
	if len(newest.Runs) > 0 {
		v.Newest = newest.Runs[0].ID
	}
	v.Total = res.Total
	if len(res.Runs) > 0 {
		v.From = (p.page-1)*p.n + 1
		v.To = v.From + len(res.Runs) - 1
	}
	keys := varyingKeys(res.Runs)
	v.Columns = s.columns(p, keys)
	ids := make([]int64, len(res.Runs))
	for i := range res.Runs {
		ids[i] = res.Runs[i].ID
	}
	images, err := s.st.LatestImages(ctx, ids)
	if err != nil {
		return nil, storeError(err), err
	}
	now := time.Now()
	for i := range res.Runs {
		v.Rows = append(v.Rows, makeRow(&res.Runs[i], keys, images, now))
	}
	v.Pager = pager(p, res.Total)
	return v, http.StatusOK, nil
}

func makeRow(run *store.RunSummary, keys []string, images map[int64]store.Artifact, now time.Time) runRow {
	row := runRow{ID: run.ID, Name: run.Name, Experiment: run.Experiment, Status: run.Status, Started: run.Started,
		Duration: formatDuration(runDuration(run, now)), Step: max(run.LastStep, 0), Planned: planned(run),
		Total: metricText(run.Last, "total"), Content: metricText(run.Last, "content"), Style: metricText(run.Last, "style")}
	for _, k := range keys {
		val, ok := run.Param(k)
		if !ok {
			val = "–"
		}
		n := 20
		if validSHA(val) {
			n = 9 // an image's sha256: its start tells them apart
		}
		row.Params = append(row.Params, paramCell{Text: clip(val, n), Full: val})
	}
	if a, ok := images[run.ID]; ok {
		row.Thumb = thumbURL(a)
	}
	return row
}

// impliedBy names the parameter that sets another: beta follows from
// ratio, layer weights from the layers, scales from size. A column of the
// one is enough where both vary.
var impliedBy = map[string]string{"alpha": "ratio", "beta": "ratio", "style_layer_weights": "style_layers", "scales": "size"}

// varyingKeys are the parameters whose values differ across runs, less
// those another implies: ratio and style_layers first, as the CLI's table
// has them, then by name.
func varyingKeys(runs []store.RunSummary) []string {
	diffs := store.DiffParams(runs)
	differs := map[string]bool{}
	for _, d := range diffs {
		differs[d.Key] = true
	}
	var keys []string
	for _, d := range diffs {
		if by, ok := impliedBy[d.Key]; !ok || !differs[by] {
			keys = append(keys, d.Key)
		}
	}
	rank := func(k string) int {
		switch k {
		case "ratio":
			return 0
		case "style_layers":
			return 1
		}
		return 2
	}
	sort.SliceStable(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
	return keys
}

// columns are the table's headers with their sort links.
func (s *Server) columns(p runsParams, keys []string) []column {
	cols := []column{{Label: "id", Field: "id", Class: "num"}, {Label: "image", Class: "thumb"},
		{Label: "name", Field: "name"}, {Label: "experiment", Field: "experiment"}, {Label: "status", Field: "status"},
		{Label: "started", Field: "started"}, {Label: "duration", Field: "duration", Class: "num"}}
	for _, k := range keys {
		cols = append(cols, column{Label: k, Field: field("params", k), Class: "param"})
	}
	for _, m := range []string{"total", "content", "style"} {
		cols = append(cols, column{Label: m, Field: field("metrics", m), Class: "num"})
	}
	for i := range cols {
		c := &cols[i]
		if c.Field == "" {
			continue
		}
		q := p
		q.page, q.sort, q.dir = 1, c.Field, "asc"
		if c.Field == "started" || c.Field == "id" || c.Field == "duration" {
			q.dir = "desc" // newest, longest first on a first click
		}
		if p.sort == c.Field {
			c.Sorted = p.dir
			q.dir = map[string]string{"asc": "desc", "desc": "asc"}[p.dir]
		}
		c.URL = q.url()
	}
	return cols
}

// pager links the first, last and nearby pages, with gaps between.
func pager(p runsParams, total int) []pageLink {
	pages := (total + p.n - 1) / p.n
	if pages <= 1 {
		return nil
	}
	var out []pageLink
	link := func(label string, n int) pageLink {
		q := p
		q.page = n
		return pageLink{Label: label, URL: q.url()}
	}
	if p.page > 1 {
		out = append(out, link("‹ previous", p.page-1))
	}
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < p.page-2 || n > p.page+2) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, pageLink{Label: "…"})
		}
		l := link(strconv.Itoa(n), n)
		if n == p.page {
			l = pageLink{Label: strconv.Itoa(n), Current: true}
		}
		out = append(out, l)
		last = n
	}
	if p.page < pages {
		out = append(out, link("next ›", p.page+1))
	}
	return out
}

// thumbURL is the URL of an image artifact's thumbnail, versioned by content.
func thumbURL(a store.Artifact) string {
	return fmt.Sprintf("/artifacts/%d/thumb?v=%s", a.ID, version(a))
}

// imageURL is the URL of an artifact, versioned by content.
func imageURL(a store.Artifact) string {
	return fmt.Sprintf("/artifacts/%d?v=%s", a.ID, version(a))
}

// version is the part of an artifact's sha256 that its URLs carry.
func version(a store.Artifact) string {
	if len(a.SHA256) > 16 {
		return a.SHA256[:16]
	}
	return a.SHA256
}
