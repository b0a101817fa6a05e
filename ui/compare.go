package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/store"
)

const (
	maxCompare = 12  // runs side by side
	maxGrid    = 400 // runs on a grid
)

// compareView is the comparison page.
type compareView struct {
	Runs   []compareRun
	Params []paramRow
	Losses []paramRow
	Differ int // how many parameters differ
	Two    bool
	Live   compareData
	IDs    string // "1,2,3", for links
}

type compareRun struct {
	ID      int64
	Name    string
	Status  string
	Image   *imageView
	Missing string
	Colour  int // index of its colour in the charts
}

// paramRow is one parameter (or loss) across the compared runs.
type paramRow struct {
	Key     string
	Values  []string
	Differs bool
}

// compareData is what the comparison page's script gets.
type compareData struct {
	Runs   []compareSeriesRun `json:"runs"`
	Charts []compareChart     `json:"charts"`
}

type compareSeriesRun struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
}

// compareChart is one metric overlaid across runs: Curves[i] is run i's.
type compareChart struct {
	Key    string  `json:"key"`
	Curves []curve `json:"curves"`
}

// compareIDs reads the run ids of ?id=1&id=2 or ?ids=1,2.
func compareIDs(v url.Values) ([]int64, error) {
	var raw []string
	raw = append(raw, v["id"]...)
	for _, s := range v["ids"] {
		raw = append(raw, strings.Split(s, ",")...)
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, s := range raw {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%q is not a run id", s)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) < 2 {
		return nil, errors.New("pick two or more runs to compare: tick them in the runs table, or give ?ids=1,2")
	}
	if len(ids) > maxCompare {
		return nil, fmt.Errorf("%d runs picked; a comparison shows at most %d (a grid shows more)", len(ids), maxCompare)
	}
	return ids, nil
}

func (s *Server) handleCompare(w http.ResponseWriter, r *http.Request) {
	ids, err := compareIDs(r.URL.Query())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	c, err := compare.Runs(r.Context(), s.st, ids...)
	if err != nil {
		s.fail(w, r, storeError(err), err)
		return
	}
	v := &compareView{Two: len(c.Runs) == 2}
	var idText []string
	for i := range c.Runs {
		rec := &c.Runs[i]
		idText = append(idText, strconv.FormatInt(rec.ID, 10))
		cr := compareRun{ID: rec.ID, Name: rec.Name, Status: rec.Status, Colour: i}
		if a, ok := finalArtifact(rec); ok {
			cr.Image = toImageView(a)
			if err := s.checkArtifact(&a); err != nil {
				cr.Missing = "image missing: " + err.Error()
			}
		} else {
			cr.Missing = "no image yet"
		}
		v.Runs = append(v.Runs, cr)
		v.Live.Runs = append(v.Live.Runs, compareSeriesRun{ID: rec.ID, Label: fmt.Sprintf("run %d %s", rec.ID, clip(rec.Name, 24))})
	}
	v.IDs = strings.Join(idText, ",")
	v.Params, v.Differ = paramRows(c.Runs)
	for _, k := range []string{"total", "content", "style"} {
		row := paramRow{Key: k}
		for i := range c.Runs {
			row.Values = append(row.Values, metricText(c.Runs[i].Last, k))
		}
		v.Losses = append(v.Losses, row)
	}
	v.Live.Charts = compareCharts(c.Runs)
	s.render(w, r, http.StatusOK, "compare", page{Title: "Compare runs " + v.IDs, Nav: "compare", Script: "compare.js", Data: v})
}

// finalArtifact is a run's final image, else its latest snapshot.
func finalArtifact(rec *store.RunRecord) (store.Artifact, bool) {
	var found store.Artifact
	ok := false
	for _, a := range rec.Artifacts {
		switch {
		case a.Kind == store.KindFinal:
			return a, true
		case a.Kind == store.KindSnapshot && (!ok || a.Step >= found.Step):
			found, ok = a, true
		}
	}
	return found, ok
}

// paramRows lists every parameter of the runs, marking those that differ
// (as store.DiffParams judges: numbers by value, absent keys differ).
func paramRows(runs []store.RunRecord) ([]paramRow, int) {
	differs := map[string]bool{}
	for _, d := range store.DiffRecordParams(runs) {
		differs[d.Key] = true
	}
	keys := map[string]bool{}
	for i := range runs {
		for _, p := range runs[i].Params {
			keys[p.Key] = true
		}
	}
	var rows []paramRow
	for k := range keys {
		row := paramRow{Key: k, Differs: differs[k]}
		for i := range runs {
			v, ok := runs[i].Param(k)
			if !ok {
				v = "–"
			}
			row.Values = append(row.Values, v)
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Differs != rows[j].Differs {
			return rows[i].Differs
		}
		return rows[i].Key < rows[j].Key
	})
	return rows, len(differs)
}

// compareCharts overlays each metric the runs logged, one chart per metric.
func compareCharts(runs []store.RunRecord) []compareChart {
	byKey := map[string]*compareChart{}
	var keys []string
	for i := range runs {
		for _, c := range curves(runs[i].Metrics) {
			ch, ok := byKey[c.Key]
			if !ok {
				ch = &compareChart{Key: c.Key, Curves: make([]curve, len(runs))}
				byKey[c.Key] = ch
				keys = append(keys, c.Key)
			}
			ch.Curves[i] = c
		}
	}
	sort.SliceStable(keys, func(i, j int) bool {
		ri, rj := metricRank(keys[i]), metricRank(keys[j])
		return ri < rj || ri == rj && keys[i] < keys[j]
	})
	out := make([]compareChart, 0, len(keys))
	for _, k := range keys {
		if k == "evaluations" {
			continue // a count, not a loss
		}
		out = append(out, *byKey[k])
	}
	return out
}
