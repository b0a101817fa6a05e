package ui

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/store"
)

// runView is a run's page.
type runView struct {
	Run           *store.RunRecord
	ExperimentURL string // the runs page filtered to its experiment
	Duration      string
	Planned       int
	Image         *imageView // the final image, else the latest snapshot; nil: none yet
	Missing       string     // why the image cannot be shown, when its file is gone
	Plot          *imageView // the loss plot the run saved
	Live          liveRun    // for the page's script (JSON)
}

// imageView is an image artifact as a page shows it.
type imageView struct {
	ID    int64  `json:"id"`
	URL   string `json:"url"`
	Thumb string `json:"thumb"`
	Step  int    `json:"step"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

// liveRun is what the run page's script gets: the curves so far, the
// snapshots for the timeline, and where to listen for more.
type liveRun struct {
	ID        int64             `json:"id"`
	Status    string            `json:"status"`
	Step      int               `json:"step"`
	Planned   int               `json:"planned"`
	Curves    []curve           `json:"curves"`
	Snapshots []imageView       `json:"snapshots"`
	Events    string            `json:"events"`
	Last      map[string]string `json:"last"`
}

// curve is one metric's history; NaN is null.
type curve struct {
	Key    string     `json:"key"`
	Steps  []int      `json:"steps"`
	Values []*float64 `json:"values"`
}

func toImageView(a store.Artifact) *imageView {
	return &imageView{ID: a.ID, URL: imageURL(a), Thumb: thumbURL(a), Step: a.Step, Kind: a.Kind, Name: a.Name}
}

// curves groups a run's metric points by key: losses first, then layers.
func curves(points []store.MetricPoint) []curve {
	idx := map[string]int{}
	var out []curve
	for _, m := range points {
		i, ok := idx[m.Key]
		if !ok {
			i = len(out)
			idx[m.Key] = i
			out = append(out, curve{Key: m.Key})
		}
		out[i].Steps = append(out[i].Steps, m.Step)
		out[i].Values = append(out[i].Values, jsonValue(m.Value))
	}
	sort.SliceStable(out, func(i, j int) bool {
		return metricRank(out[i].Key) < metricRank(out[j].Key) ||
			metricRank(out[i].Key) == metricRank(out[j].Key) && out[i].Key < out[j].Key
	})
	return out
}

// metricRank orders metrics: total, content, style, tv, then per layer, then the rest.
func metricRank(k string) int {
	switch k {
	case "total":
		return 0
	case "content":
		return 1
	case "style":
		return 2
	case "tv":
		return 3
	}
	if strings.Contains(k, "/") {
		return 4
	}
	return 5
}

func jsonValue(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	rec, err := s.st.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, storeError(err), err)
		return
	}
	v := &runView{Run: rec, ExperimentURL: "/?" + url.Values{"q": {"experiment = " + queryString(rec.Experiment)}}.Encode(),
		Duration: formatDuration(runDuration(&rec.RunSummary, time.Now())), Planned: planned(&rec.RunSummary)}
	v.Live = liveRun{ID: rec.ID, Status: rec.Status, Step: max(rec.LastStep, 0), Planned: v.Planned,
		Curves: curves(rec.Metrics), Events: fmt.Sprintf("/runs/%d/events", rec.ID), Last: lastLosses(&rec.RunSummary)}
	var latest *store.Artifact
	for i := range rec.Artifacts {
		a := rec.Artifacts[i]
		switch a.Kind {
		case store.KindSnapshot:
			v.Live.Snapshots = append(v.Live.Snapshots, *toImageView(a))
			if latest == nil || latest.Kind != store.KindFinal && a.Step >= latest.Step {
				latest = &rec.Artifacts[i]
			}
		case store.KindFinal:
			latest = &rec.Artifacts[i]
		case store.KindPlot:
			v.Plot = toImageView(a)
		}
	}
	if latest != nil {
		v.Image = toImageView(*latest)
		if latest.Kind == store.KindFinal {
			v.Live.Snapshots = append(v.Live.Snapshots, *v.Image)
		}
		if err := s.checkArtifact(latest); err != nil {
			v.Missing = fmt.Sprintf("The %s image is missing from the store's folder: %v", latest.Kind, err)
		}
	}
	s.render(w, r, http.StatusOK, "run", page{Title: fmt.Sprintf("Run %d %s", rec.ID, rec.Name), Nav: "runs", Script: "run.js", Data: v})
}

// lastLosses are a run's last total, content and style losses as text.
func lastLosses(r *store.RunSummary) map[string]string {
	return map[string]string{"total": metricText(r.Last, "total"), "content": metricText(r.Last, "content"), "style": metricText(r.Last, "style")}
}

// handleExport writes a run's whole record as JSON or CSV, as `runs export` does.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	if _, err := s.st.Summary(r.Context(), id); err != nil {
		s.fail(w, r, storeError(err), err)
		return
	}
	q := fmt.Sprintf("id = %d", id)
	var buf strings.Builder
	export, kind, ext := s.st.ExportJSON, "application/json", "json"
	if strings.HasSuffix(r.URL.Path, ".csv") {
		export, kind, ext = s.st.ExportCSV, "text/csv; charset=utf-8", "csv"
	}
	if err := export(r.Context(), &buf, q); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", kind)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="run-%d.%s"`, id, ext))
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, buf.String())
}

// handleLossPlot draws a run's total, content and style losses as SVG, as
// `runs plot` would.
func (s *Server) handleLossPlot(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, err)
		return
	}
	c, err := compare.Runs(r.Context(), s.st, id)
	if err != nil {
		s.fail(w, r, storeError(err), err)
		return
	}
	var metrics []string
	for _, k := range []string{"total", "content", "style"} {
		if _, ok := c.Runs[0].Last[k]; ok {
			metrics = append(metrics, k)
		}
	}
	if len(metrics) == 0 {
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("run %d has logged no losses yet", id))
		return
	}
	p, err := c.Curves(fmt.Sprintf("run %d %s", id, c.Runs[0].Name), metrics, true)
	if err == nil {
		var svg bytes.Buffer
		if err = plots.PlotSVGTo(&svg, p, 7, 4.5); err == nil {
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="run-%d-losses.svg"`, id))
			w.Header().Set("Cache-Control", "no-store")
			w.Write(svg.Bytes())
			return
		}
	}
	s.fail(w, r, http.StatusInternalServerError, err)
}
