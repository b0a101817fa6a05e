package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/stylelab/stylelab/store/query"
)

// Runs lists the runs matching query, newest first unless the query says
// "order by". The language (see package store/query):
//
//	params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1"
//	    and metrics.style < 1e4 order by metrics.style limit 10
//	status = "FAILED" or (tag = "fig3" and not name like "%draft%")
//	metrics.style/conv1_1.min < 0.5 order by started desc
//
// Fields: run fields (id name experiment status started ended duration
// host commit version seed pid message weights hash uuid), params.KEY,
// metrics.KEY (last value), metrics.KEY.min, metrics.KEY.max, tag.
// Quote keys with dots or spaces: params."a b". An empty query lists all.
// A mistake in the query is a *query.Error, with a caret under it.
func (s *Store) Runs(ctx context.Context, q string) ([]RunSummary, error) {
	pq, err := query.Parse(q)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return s.runs(ctx, pq)
}

// runs lists the runs of a parsed query.
func (s *Store) runs(ctx context.Context, q *query.Query) ([]RunSummary, error) {
	stmt, args := q.SQL(s.b.query(), runColumns)
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("store: run query %q: %w", q, err)
	}
	defer rows.Close()
	var out []RunSummary
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read runs: %w", err)
	}
	if err := s.fillSummaries(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// fillSummaries loads params, tags and metric summaries for runs in three
// queries, whatever the number of runs.
func (s *Store) fillSummaries(ctx context.Context, runs []RunSummary) error {
	if len(runs) == 0 {
		return nil
	}
	idx := make(map[int64]*RunSummary, len(runs))
	ids := make([]int64, len(runs))
	for i := range runs {
		idx[runs[i].ID], ids[i] = &runs[i], runs[i].ID
	}
	idsJSON, _ := json.Marshal(ids)
	in := " IN (" + s.b.idList() + ")"
	err := s.eachRow(ctx, "SELECT run, key, text FROM params WHERE run"+in+" ORDER BY run, key", []any{string(idsJSON)}, func(sc func(...any) error) error {
		var id int64
		var p Param
		if err := sc(&id, &p.Key, &p.Value); err != nil {
			return err
		}
		idx[id].Params = append(idx[id].Params, p)
		return nil
	})
	if err == nil {
		err = s.eachRow(ctx, "SELECT run, tag FROM tags WHERE run"+in+" ORDER BY run, tag", []any{string(idsJSON)}, func(sc func(...any) error) error {
			var id int64
			var t string
			if err := sc(&id, &t); err != nil {
				return err
			}
			idx[id].Tags = append(idx[id].Tags, t)
			return nil
		})
	}
	if err == nil {
		err = s.eachRow(ctx, "SELECT run, key, last, last_step, min FROM metric_summary WHERE run"+in, []any{string(idsJSON)}, func(sc func(...any) error) error {
			var id int64
			var k string
			var last, min sql.NullFloat64
			var step int
			if err := sc(&id, &k, &last, &step, &min); err != nil {
				return err
			}
			r := idx[id]
			r.Last[k], r.Min[k] = nullFloat(last), nullFloat(min)
			r.LastStep = max(r.LastStep, step)
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("store: read run details: %w", err)
	}
	return nil
}

// eachRow runs a query and calls fn with a scanner for every row.
func (s *Store) eachRow(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Summary returns one run as Runs lists it.
func (s *Store) Summary(ctx context.Context, id int64) (*RunSummary, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT "+runColumns+" FROM runs r WHERE r.id = ?"), id)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: run %d: %w (list runs with `stylelab runs ls`)", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %w", id, err)
	}
	runs := []RunSummary{r}
	if err := s.fillSummaries(ctx, runs); err != nil {
		return nil, err
	}
	return &runs[0], nil
}

// Get returns everything about run id, with its whole metric history.
func (s *Store) Get(ctx context.Context, id int64) (*RunRecord, error) {
	sum, err := s.Summary(ctx, id)
	if err != nil {
		return nil, err
	}
	rec := &RunRecord{RunSummary: *sum}
	if err := s.fillRecord(ctx, rec); err != nil {
		return nil, fmt.Errorf("store: run %d: %w", id, err)
	}
	return rec, nil
}

func (s *Store) fillRecord(ctx context.Context, rec *RunRecord) error {
	id := []any{rec.ID}
	err := s.eachRow(ctx, "SELECT role, path, sha256 FROM inputs WHERE run = ? ORDER BY role, path", id, func(sc func(...any) error) error {
		var in Input
		err := sc(&in.Role, &in.Path, &in.SHA256)
		rec.Inputs = append(rec.Inputs, in)
		return err
	})
	if err != nil {
		return err
	}
	err = s.eachRow(ctx, "SELECT id, created, text FROM notes WHERE run = ? ORDER BY id", id, func(sc func(...any) error) error {
		var n Note
		var created sql.NullString
		err := sc(&n.ID, &created, &n.Text)
		n.Created = parseTime(created)
		rec.Notes = append(rec.Notes, n)
		return err
	})
	if err != nil {
		return err
	}
	err = s.eachRow(ctx, "SELECT "+artifactColumns+" FROM artifacts WHERE run = ? ORDER BY kind, step, name", id, func(sc func(...any) error) error {
		a, err := s.scanArtifact(sc)
		rec.Artifacts = append(rec.Artifacts, a)
		return err
	})
	if err != nil {
		return err
	}
	err = s.eachRow(ctx, "SELECT step, wall, key, value FROM metrics WHERE run = ?", id, func(sc func(...any) error) error {
		var m MetricPoint
		var v sql.NullFloat64
		err := sc(&m.Step, &m.Wall, &m.Key, &v)
		m.Value = nullFloat(v)
		rec.Metrics = append(rec.Metrics, m)
		return err
	})
	sort.Slice(rec.Metrics, func(i, j int) bool {
		a, b := rec.Metrics[i], rec.Metrics[j]
		return a.Step < b.Step || a.Step == b.Step && a.Key < b.Key
	})
	return err
}
