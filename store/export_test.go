package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// exportFixture is the query fixture plus notes, inputs and an artifact.
func exportFixture(t *testing.T, be *testBackend) *Store {
	s := be.open(t)
	loadFixture(t, s)
	ctx := context.Background()
	if err := s.Note(ctx, 1, "comma, \"quote\"\nnewline"); err != nil {
		t.Fatal(err)
	}
	r := mustStart(t, s, RunSpec{Name: "g, odd", Experiment: "ablation", Inputs: []Input{{"content", "a.png", "ff"}},
		Params: []Param{{"ratio", "1e-3"}}})
	mustLog(t, r, 0, 0.25, eightMetrics(0))
	if _, err := r.SaveArtifact(KindFinal, "out.png", 0, []byte("png")); err != nil {
		t.Fatal(err)
	}
	mustFinish(t, r, StatusFinished, "")
	return s
}

func TestExportJSONRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := exportFixture(t, be)
		ctx := context.Background()
		var buf bytes.Buffer
		if err := s.ExportJSON(ctx, &buf, ""); err != nil {
			t.Fatal(err)
		}
		got, err := ReadJSON(&buf)
		if err != nil {
			t.Fatalf("ReadJSON: %v\n%s", err, buf.String())
		}
		if len(got) != 7 {
			t.Fatalf("exported %d runs, want 7", len(got))
		}
		for i, g := range got {
			want, err := s.Get(ctx, int64(i+1)) // oldest first
			if err != nil {
				t.Fatal(err)
			}
			if !g.Started.Equal(want.Started) || !g.Ended.Equal(want.Ended) {
				t.Errorf("run %d times differ", want.ID)
			}
			for j := range g.Notes {
				if !g.Notes[j].Created.Equal(want.Notes[j].Created) {
					t.Errorf("run %d note time differs", want.ID)
				}
				g.Notes[j].Created = want.Notes[j].Created
			}
			for j := range g.Artifacts {
				g.Artifacts[j].Created = want.Artifacts[j].Created
			}
			g.Started, g.Ended = want.Started, want.Ended
			if !pointsEqual(g.Metrics, want.Metrics) {
				t.Errorf("run %d metrics differ:\n%v\n%v", want.ID, g.Metrics, want.Metrics)
			}
			g.Metrics, want.Metrics = nil, nil
			if !summariesEqual(g.RunSummary, want.RunSummary) {
				t.Errorf("run %d summary differs:\n%+v\n%+v", want.ID, g.RunSummary, want.RunSummary)
			}
			g.RunSummary, want.RunSummary = RunSummary{}, RunSummary{}
			if !reflect.DeepEqual(g, *want) {
				t.Errorf("run %d differs:\n%+v\n%+v", i+1, g, *want)
			}
		}
		buf.Reset()
		if err := s.ExportJSON(ctx, &buf, `tag = "nothing"`); err != nil || strings.TrimSpace(buf.String()) != "[\n]" {
			t.Errorf("empty export = %q, %v", buf.String(), err)
		}
	})
}

// summariesEqual compares summaries with NaN equal to NaN and nil slices
// equal to empty ones.
func summariesEqual(a, b RunSummary) bool {
	eqMap := func(x, y map[string]float64) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !(v == w || v != v && w != w) {
				return false
			}
		}
		return true
	}
	if !eqMap(a.Last, b.Last) || !eqMap(a.Min, b.Min) || len(a.Tags) != len(b.Tags) || len(a.Params) != len(b.Params) {
		return false
	}
	a.Last, a.Min, b.Last, b.Min = nil, nil, nil, nil
	if len(a.Tags) == 0 {
		a.Tags, b.Tags = nil, nil
	}
	if len(a.Params) == 0 {
		a.Params, b.Params = nil, nil
	}
	a.Duration = a.Duration.Round(1e3)
	b.Duration = b.Duration.Round(1e3)
	return reflect.DeepEqual(a, b)
}

func TestExportCSVRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := exportFixture(t, be)
		ctx := context.Background()
		var buf bytes.Buffer
		if err := s.ExportCSV(ctx, &buf, `experiment = "ablation"`); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("exported CSV does not parse: %v", err)
		}
		header := strings.Join(rows[0], ",")
		if want := "run_id,run_name,experiment,status,step,wall_seconds,key,value,params.a.b,params.my key,params.ratio,params.style_layers"; header != want {
			t.Errorf("header = %s\nwant     %s", header, want)
		}
		points := map[int64][]MetricPoint{}
		params := map[int64]map[string]string{}
		for _, row := range rows[1:] {
			id, err := strconv.ParseInt(row[0], 10, 64)
			if err != nil {
				t.Fatalf("run id %q: %v", row[0], err)
			}
			params[id] = map[string]string{}
			for i, col := range rows[0][8:] {
				if row[8+i] != "" {
					params[id][strings.TrimPrefix(col, "params.")] = row[8+i]
				}
			}
			if row[4] == "" {
				points[id] = points[id][:0]
				continue
			}
			step, err := strconv.Atoi(row[4])
			if err != nil {
				t.Fatalf("step %q: %v", row[4], err)
			}
			wall, err := strconv.ParseFloat(row[5], 64)
			if err != nil {
				t.Fatalf("wall %q: %v", row[5], err)
			}
			v, err := strconv.ParseFloat(row[7], 64)
			if err != nil {
				t.Fatalf("value %q: %v", row[7], err)
			}
			points[id] = append(points[id], MetricPoint{Step: step, Wall: wall, Key: row[6], Value: v})
		}
		if len(points) != 4 { // d, e (no metrics), f, g
			t.Fatalf("CSV holds runs %v, want 4, 5, 6, 7", points)
		}
		for id, got := range points {
			want := mustGet(t, s, id)
			if !pointsEqual(got, want.Metrics) {
				t.Errorf("run %d: CSV history differs:\n%v\n%v", id, got, want.Metrics)
			}
			for _, p := range want.Params {
				if params[id][p.Key] != p.Value {
					t.Errorf("run %d param %s = %q, want %q", id, p.Key, params[id][p.Key], p.Value)
				}
			}
		}
		if err := s.ExportCSV(ctx, &buf, "bogus ="); err == nil || !strings.Contains(err.Error(), `unknown field "bogus"`) {
			t.Errorf("bad query: %v", err)
		}
	})
}

// TestExportCSVNeutralisesFormulas: names and parameter values that a
// spreadsheet would run as formulas are exported as text; numbers stay numbers.
func TestExportCSVNeutralisesFormulas(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		ctx := context.Background()
		r := mustStart(t, s, RunSpec{Name: `=HYPERLINK("http://x","click")`, Experiment: "+cmd|' /C calc'!A0",
			Params: []Param{{"note", "@SUM(1+1)"}, {"ratio", "-1e-3"}, {"tab", "\tx"}}})
		mustLog(t, r, 1, 0.5, map[string]float64{"total": -2})
		mustFinish(t, r, StatusFinished, "")
		var buf bytes.Buffer
		if err := s.ExportCSV(ctx, &buf, ""); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("%d rows, want a header and one step", len(rows))
		}
		byCol := map[string]string{}
		for i, h := range rows[0] {
			byCol[h] = rows[1][i]
		}
		for col, want := range map[string]string{
			"run_name": `'=HYPERLINK("http://x","click")`, "experiment": "'+cmd|' /C calc'!A0",
			"params.note": "'@SUM(1+1)", "params.tab": "'\tx", "params.ratio": "-1e-3", "value": "-2",
		} {
			if byCol[col] != want {
				t.Errorf("%s = %q, want %q", col, byCol[col], want)
			}
		}
	})
}
