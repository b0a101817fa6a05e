package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/store/query"
)

// ExportCSV writes the whole metric history of the runs matching query as
// CSV, one row per (run, step, metric), oldest run first, with one
// params.KEY column per parameter key. Runs without metrics get one row
// with empty step, key and value. Non-finite values are NaN, +Inf, -Inf.
func (s *Store) ExportCSV(ctx context.Context, w io.Writer, query string) error {
	runs, err := s.exportRuns(ctx, query)
	if err != nil {
		return err
	}
	keySet := map[string]bool{}
	for _, r := range runs {
		for _, p := range r.Params {
			keySet[p.Key] = true
		}
	}
	keys := make([]string, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cw := csv.NewWriter(w)
	header := []string{"run_id", "run_name", "experiment", "status", "step", "wall_seconds", "key", "value"}
	for _, k := range keys {
		header = append(header, cell("params."+k))
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("store: export csv: %w", err)
	}
	for _, sum := range runs {
		rec := &RunRecord{RunSummary: sum}
		if err := s.fillRecord(ctx, rec); err != nil {
			return fmt.Errorf("store: export csv: run %d: %w", sum.ID, err)
		}
		fixed := []string{strconv.FormatInt(rec.ID, 10), cell(rec.Name), cell(rec.Experiment), string(rec.Status)}
		var params []string
		for _, k := range keys {
			v, _ := rec.Param(k)
			params = append(params, cell(v))
		}
		rows := [][]string{}
		for _, m := range rec.Metrics {
			rows = append(rows, []string{strconv.Itoa(m.Step), formatFloat(m.Wall), cell(m.Key), formatFloat(m.Value)})
		}
		if len(rows) == 0 {
			rows = append(rows, []string{"", "", "", ""})
		}
		for _, row := range rows {
			line := append(append(append([]string{}, fixed...), row...), params...)
			if err := cw.Write(line); err != nil {
				return fmt.Errorf("store: export csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("store: export csv: %w", err)
	}
	return nil
}

// exportRuns lists the runs of query oldest first (unless ordered).
func (s *Store) exportRuns(ctx context.Context, q string) ([]RunSummary, error) {
	pq, err := query.Parse(q)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	runs, err := s.runs(ctx, pq)
	if err != nil {
		return nil, err
	}
	if !pq.Ordered() {
		sort.Slice(runs, func(i, j int) bool { return runs[i].ID < runs[j].ID })
	}
	return runs, nil
}

// formatFloat writes the shortest text that parses back to v exactly.
func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ExportJSON writes the runs matching query as a JSON array, each with its
// params, inputs, tags, notes, artifacts and whole metric history (one
// entry per step). Non-finite values are the strings "NaN", "+Inf", "-Inf".
// ReadJSON reads it back.
func (s *Store) ExportJSON(ctx context.Context, w io.Writer, query string) error {
	runs, err := s.exportRuns(ctx, query)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("[")
	for i, sum := range runs {
		rec := &RunRecord{RunSummary: sum}
		if err := s.fillRecord(ctx, rec); err != nil {
			return fmt.Errorf("store: export json: run %d: %w", sum.ID, err)
		}
		b, err := json.MarshalIndent(toJSON(rec), "  ", "  ")
		if err != nil {
			return fmt.Errorf("store: export json: run %d: %w", sum.ID, err)
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  ")
		bw.Write(b)
	}
	bw.WriteString("\n]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("store: export json: %w", err)
	}
	return nil
}

// ReadJSON reads what ExportJSON wrote back into records.
func ReadJSON(r io.Reader) ([]RunRecord, error) {
	var runs []jsonRun
	if err := json.NewDecoder(r).Decode(&runs); err != nil {
		return nil, fmt.Errorf("store: read json export: %w", err)
	}
	out := make([]RunRecord, len(runs))
	for i := range runs {
		out[i] = fromJSON(&runs[i])
	}
	return out, nil
}

// cell keeps a text value from being read as a formula by a spreadsheet
// (OWASP's CSV injection advice): text starting with = + - @, a tab or a
// carriage return gets a leading apostrophe. Numbers stay numbers.
func cell(v string) string {
	if v == "" || strings.IndexByte("=+-@\t\r", v[0]) < 0 {
		return v
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	return "'" + v
}
