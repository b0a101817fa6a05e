// Package compare owns comparisons of runs, logged or made in a notebook: a
// grid of output images laid out by one or two parameter axes, loss curves
// of several runs overlaid, a table of the parameters that differ, and a
// strip of a run's snapshots. It reads the store and draws with plots.
package compare

import (
	"context"
	"fmt"
	"image"
	"sort"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/store/query"
	"gonum.org/v1/plot"
)

// Comparison is a set of runs: read from the store, or results made in a
// notebook and not (yet) read back.
type Comparison struct {
	Runs []store.RunRecord
	// Images holds final images already in memory, by run. Where it has
	// none (a nil entry, or a shorter slice), a run's image is its final
	// artifact.
	Images []image.Image
}

// Runs loads the runs with the given ids, in that order.
func Runs(ctx context.Context, s *store.Store, ids ...int64) (*Comparison, error) {
	if s == nil {
		return nil, fmt.Errorf("compare: no store given: pass one (a lab's Store, or store.Open)")
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("compare: no runs given: pass run ids (see `stylelab runs ls`)")
	}
	c := &Comparison{}
	for _, id := range ids {
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		c.Runs = append(c.Runs, *r)
	}
	return c, nil
}

// Query loads the runs a store query selects (see package store/query for
// the language), oldest first unless the query says "order by".
func Query(ctx context.Context, s *store.Store, q string) (*Comparison, error) {
	if s == nil {
		return nil, fmt.Errorf("compare: no store given: pass one (a lab's Store, or store.Open)")
	}
	sums, err := s.Runs(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("compare: no run matches %q", q)
	}
	ids := make([]int64, len(sums))
	for i, r := range sums {
		ids[i] = r.ID
	}
	if pq, err := query.Parse(q); err == nil && !pq.Ordered() {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] }) // the order they were run
	}
	return Runs(ctx, s, ids...)
}

// param returns a run's parameter value ("" when absent); "name" is the run's name.
func param(r *store.RunRecord, key string) string {
	if key == "name" {
		return r.Name
	}
	v, _ := r.Param(key)
	return v
}

// axisValues lists the distinct values of a parameter, numbers in numeric order.
func (c *Comparison) axisValues(key string) []string {
	if key == "" {
		return []string{""}
	}
	seen := map[string]bool{}
	var vals []string
	for i := range c.Runs {
		v := param(&c.Runs[i], key)
		if !seen[v] {
			seen[v] = true
			vals = append(vals, v)
		}
	}
	sort.SliceStable(vals, func(i, j int) bool {
		a, errA := strconv.ParseFloat(vals[i], 64)
		b, errB := strconv.ParseFloat(vals[j], 64)
		if errA == nil && errB == nil {
			return a < b
		}
		return errA == nil && errB != nil
	})
	return vals
}

// Layout is where a grid puts each run: rows by the values of one
// parameter, columns by another's.
type Layout struct {
	RowKey, ColKey string
	Rows, Cols     []string  // each axis's values, numbers in numeric order; one "" for no key
	Cells          [][][]int // Cells[row][col]: indices into Runs of the runs there, in Runs' order
}

// Layout places the runs on a grid with rows by the parameter rowKey and
// columns by colKey (either may be empty for a single row or column; "name"
// is the run's name). A key no run has is an error that lists the keys.
func (c *Comparison) Layout(rowKey, colKey string) (*Layout, error) {
	keys := map[string]bool{"name": true}
	for i := range c.Runs {
		for _, p := range c.Runs[i].Params {
			keys[p.Key] = true
		}
	}
	for _, k := range []string{rowKey, colKey} {
		if k != "" && !keys[k] {
			return nil, fmt.Errorf("compare: no run has the parameter %q: use one of %s", k, strings.Join(sortedKeys(keys), ", "))
		}
	}
	l := &Layout{RowKey: rowKey, ColKey: colKey, Rows: c.axisValues(rowKey), Cols: c.axisValues(colKey)}
	l.Cells = make([][][]int, len(l.Rows))
	for i := range l.Cells {
		l.Cells[i] = make([][]int, len(l.Cols))
	}
	index := func(key string, vals []string, r *store.RunRecord) int {
		if key == "" {
			return 0
		}
		v := param(r, key)
		for i, x := range vals {
			if x == v {
				return i
			}
		}
		return 0
	}
	for i := range c.Runs {
		r := &c.Runs[i]
		ri, ci := index(rowKey, l.Rows, r), index(colKey, l.Cols, r)
		l.Cells[ri][ci] = append(l.Cells[ri][ci], i)
	}
	return l, nil
}

// Grid lays the runs' final images out as Layout places them. Where several
// runs share a cell the latest with an image is shown.
func (c *Comparison) Grid(title, rowKey, colKey string, cellSize int) (*image.RGBA, error) {
	l, err := c.Layout(rowKey, colKey)
	if err != nil {
		return nil, err
	}
	cells := make([][]plots.Cell, len(l.Rows))
	for ri := range cells {
		cells[ri] = make([]plots.Cell, len(l.Cols))
		for ci, runs := range l.Cells[ri] {
			for _, i := range runs {
				img, err := c.Image(i)
				label := c.short(i)
				if err != nil {
					label += ": no image"
				}
				if prev := cells[ri][ci]; prev.Image == nil || img != nil {
					cells[ri][ci] = plots.Cell{Image: img, Label: label}
				}
			}
		}
	}
	return plots.Grid(title, header(rowKey, l.Rows), header(colKey, l.Cols), cells, cellSize)
}

func header(key string, vals []string) []string {
	if key == "" {
		return nil
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = key + " = " + v
	}
	return out
}

// FinalImage reads a run's final image: its last final artifact.
func FinalImage(r *store.RunRecord) (image.Image, error) {
	a, ok := r.LastArtifact(store.KindFinal)
	if !ok {
		return nil, fmt.Errorf("compare: run %d has no final image", r.ID)
	}
	img, err := imaging.Load(a.Path)
	if err != nil {
		return nil, fmt.Errorf("compare: run %d: %w", r.ID, err)
	}
	return img, nil
}

// Image returns run i's final image: the one in Images, else its final
// artifact.
func (c *Comparison) Image(i int) (image.Image, error) {
	switch {
	case i < len(c.Images) && c.Images[i] != nil:
		return c.Images[i], nil
	case c.Runs[i].ID == 0: // not in a store: no artifacts either
		return nil, fmt.Errorf("compare: %s has no image", c.Name(i))
	}
	return FinalImage(&c.Runs[i])
}

// Name names run i for a caption: "run 3 low", or its name alone when it
// is not in a store, or "result 2" when it has neither.
func (c *Comparison) Name(i int) string {
	r := &c.Runs[i]
	switch {
	case r.ID != 0:
		return strings.TrimSpace(fmt.Sprintf("run %d %s", r.ID, r.Name))
	case strings.TrimSpace(r.Name) != "":
		return r.Name
	}
	return fmt.Sprintf("result %d", i+1)
}

// short is run i's id ("run 3"), or its Name when it has none.
func (c *Comparison) short(i int) string {
	if id := c.Runs[i].ID; id != 0 {
		return fmt.Sprintf("run %d", id)
	}
	return c.Name(i)
}

// Diff lists the parameters whose values differ between the runs.
func (c *Comparison) Diff() []store.ParamDiff { return store.DiffRecordParams(c.Runs) }

// Curves overlays the given metrics (e.g. "total", "style", "style/conv1_1")
// of every run, one series per run and metric, labelled by run id and the
// parameters that differ between the runs.
func (c *Comparison) Curves(title string, metrics []string, logY bool) (*plot.Plot, error) {
	if len(metrics) == 0 {
		metrics = []string{"total"}
	}
	labels := c.labels()
	var series []plots.Series
	for i := range c.Runs {
		r := &c.Runs[i]
		for _, m := range metrics {
			s := plots.Series{Label: labels[i]}
			if len(metrics) > 1 {
				s.Label += " " + m
			}
			for _, p := range r.Metrics {
				if p.Key == m {
					s.Steps = append(s.Steps, p.Step)
					s.Values = append(s.Values, p.Value)
				}
			}
			if len(s.Steps) == 0 {
				return nil, fmt.Errorf("compare: run %d has no metric %q: it has %s", r.ID, m, strings.Join(metricKeys(r), ", "))
			}
			series = append(series, s)
		}
	}
	yLabel := "loss"
	if len(metrics) == 1 {
		yLabel = metrics[0]
	}
	return plots.LossCurves(title, yLabel, series, logY)
}

// labels names each run by its id and the parameters that differ.
func (c *Comparison) labels() []string {
	diffs := c.Diff()
	differs := map[string]bool{}
	for _, d := range diffs {
		differs[d.Key] = true
	}
	// Parameters implied by another that differs add nothing to a label.
	implied := map[string]string{"alpha": "ratio", "beta": "ratio", "style_layer_weights": "style_layers", "scales": "size"}
	out := make([]string, len(c.Runs))
	for i := range c.Runs {
		parts := []string{c.short(i)}
		for _, d := range diffs {
			if by, ok := implied[d.Key]; (ok && differs[by]) || d.Key == "content" || d.Key == "styles" {
				continue
			}
			if len(parts) < 4 {
				parts = append(parts, d.Key+"="+d.Values[i])
			}
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

// Table lists each run with the parameters that differ and its last losses.
func (c *Comparison) Table() (header []string, rows [][]string) {
	diffs := c.Diff()
	header = []string{"run", "name", "status"}
	for _, d := range diffs {
		header = append(header, d.Key)
	}
	header = append(header, "total", "content", "style", "steps")
	for i := range c.Runs {
		r := &c.Runs[i]
		id := ""
		if r.ID != 0 {
			id = strconv.FormatInt(r.ID, 10)
		}
		row := []string{id, r.Name, string(r.Status)}
		for _, d := range diffs {
			row = append(row, d.Values[i])
		}
		for _, m := range []string{"total", "content", "style"} {
			v, ok := r.Last[m]
			cell := ""
			if ok {
				cell = strconv.FormatFloat(v, 'g', 4, 64)
			}
			row = append(row, cell)
		}
		rows = append(rows, append(row, strconv.Itoa(r.LastStep)))
	}
	return header, rows
}

// Text renders the table as aligned text.
func (c *Comparison) Text() string { return plots.Table(c.Table()) }

// HTML renders the table as an HTML table.
func (c *Comparison) HTML() string { return plots.TableHTML(c.Table()) }

// Strip lays out a run's snapshots in step order, labelled by step.
func Strip(r *store.RunRecord, height int) (*image.RGBA, error) {
	var imgs []image.Image
	var labels []string
	snaps := append([]store.Artifact(nil), r.Artifacts...)
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Step < snaps[j].Step })
	for _, a := range snaps {
		if a.Kind != store.KindSnapshot && a.Kind != store.KindFinal {
			continue
		}
		img, err := imaging.Load(a.Path)
		if err != nil {
			return nil, fmt.Errorf("compare: run %d: %w", r.ID, err)
		}
		imgs = append(imgs, img)
		label := fmt.Sprintf("step %d", a.Step)
		if a.Kind == store.KindFinal {
			label += " (final)"
		}
		labels = append(labels, label)
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("compare: run %d has no snapshots: run it with SnapshotEvery (-snapshot-every) set", r.ID)
	}
	return plots.Strip(imgs, labels, height)
}

func metricKeys(r *store.RunRecord) []string {
	keys := map[string]bool{}
	for _, p := range r.Metrics {
		keys[p.Key] = true
	}
	return sortedKeys(keys)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
