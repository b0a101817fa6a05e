package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stylelab/stylelab/store/query"
)

// ErrNoArtifact is returned (wrapped) when an artifact id does not exist.
var ErrNoArtifact = errors.New("no such artifact")

// RunPage is one page of the runs a query selects.
type RunPage struct {
	Runs  []RunSummary // this page's runs, in order
	Total int          // runs the query selects, on all pages
}

// RunsPage lists the runs a query selects as Runs does, one page at a time:
// the first offset runs are skipped and at most limit are listed (limit <= 0:
// all). order, when not empty, takes the place of the query's own order: the
// fields of an "order by" clause, such as "metrics.total desc" or
// `params."style_layers", id`; a mistake in it is reported as one in a query.
// Only the page's runs are read in full, so a page of 10,000 runs is quick.
func (s *Store) RunsPage(ctx context.Context, q, order string, offset, limit int) (*RunPage, error) {
	if offset < 0 {
		return nil, fmt.Errorf("store: runs page: offset %d is negative; start at 0", offset)
	}
	ids, err := s.orderedIDs(ctx, q, order)
	if err != nil {
		return nil, err
	}
	page := &RunPage{Total: len(ids)}
	ids = ids[min(offset, len(ids)):]
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	if page.Runs, err = s.Summaries(ctx, ids); err != nil {
		return nil, err
	}
	return page, nil
}

// orderedIDs returns the ids of the runs a query selects, in order's order
// when one is given.
func (s *Store) orderedIDs(ctx context.Context, q, order string) ([]int64, error) {
	if strings.TrimSpace(order) == "" {
		return s.queryIDs(ctx, q)
	}
	byOrder := "order by " + order
	pq, err := query.Parse(byOrder)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if pq.Limited() {
		return nil, fmt.Errorf("store: %w", query.ErrorAt(byOrder, strings.LastIndex(strings.ToLower(byOrder), "limit"), "an order takes fields only; put the limit in the query"))
	}
	own, err := query.Parse(q)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if !own.Ordered() && !own.Limited() {
		return s.queryIDs(ctx, q+" "+byOrder) // one pass: the filter, in the order
	}
	// The query orders or limits its selection itself: order every run,
	// then keep those it selects.
	ids, err := s.queryIDs(ctx, q)
	if err != nil {
		return nil, err
	}
	all, err := s.queryIDs(ctx, byOrder)
	if err != nil {
		return nil, err
	}
	selected := make(map[int64]bool, len(ids))
	for _, id := range ids {
		selected[id] = true
	}
	ids = ids[:0]
	for _, id := range all {
		if selected[id] {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// queryIDs returns the ids of the runs a query selects, in its order.
func (s *Store) queryIDs(ctx context.Context, q string) ([]int64, error) {
	pq, err := query.Parse(q)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	stmt, args := pq.SQL(s.b.query(), "r.id")
	var ids []int64
	err = s.eachRow(ctx, stmt, args, func(sc func(...any) error) error {
		var id int64
		err := sc(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: run query %q: %w", q, err)
	}
	return ids, nil
}

// Summaries returns the runs with the given ids as Runs lists them, in the
// order of ids; ids that name no run are left out.
func (s *Store) Summaries(ctx context.Context, ids []int64) ([]RunSummary, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("store: summaries: %w", err)
	}
	byID := make(map[int64]RunSummary, len(ids))
	err = s.eachRow(ctx, "SELECT "+runColumns+" FROM runs r WHERE r.id IN ("+s.b.idList()+")", []any{string(idsJSON)},
		func(sc func(...any) error) error {
			r, err := scanRun(scanFunc(sc))
			byID[r.ID] = r
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("store: summaries: %w", err)
	}
	out := make([]RunSummary, 0, len(byID))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
			delete(byID, id) // an id given twice is listed once
		}
	}
	if err := s.fillSummaries(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// scanFunc adapts a scan function to scanRun's argument.
type scanFunc func(...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// artifactColumns are the columns scanArtifact reads.
const artifactColumns = "id, run, kind, name, step, path, sha256, size, created, file"

// scanArtifact reads an artifact's row; its Path is where the file is.
func (s *Store) scanArtifact(sc func(...any) error) (Artifact, error) {
	var a Artifact
	var created sql.NullString
	var file string
	err := sc(&a.ID, &a.Run, &a.Kind, &a.Name, &a.Step, &a.Path, &a.SHA256, &a.Size, &created, &file)
	a.Created = parseTime(created)
	a.Path = s.artifactFile(a.Path, file)
	return a, err
}

// Artifact returns the artifact with the given id. Its Path is where the
// store keeps the file, inside ArtifactDir.
func (s *Store) Artifact(ctx context.Context, id int64) (*Artifact, error) {
	var found *Artifact
	err := s.eachRow(ctx, "SELECT "+artifactColumns+" FROM artifacts WHERE id = ?", []any{id}, func(sc func(...any) error) error {
		a, err := s.scanArtifact(sc)
		found = &a
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: artifact %d: %w", id, err)
	}
	if found == nil {
		return nil, fmt.Errorf("store: artifact %d: %w", id, ErrNoArtifact)
	}
	return found, nil
}

// Artifacts lists run id's artifacts by kind, step and name (none for a
// run that does not exist).
func (s *Store) Artifacts(ctx context.Context, id int64) ([]Artifact, error) {
	var out []Artifact
	err := s.eachRow(ctx, "SELECT "+artifactColumns+" FROM artifacts WHERE run = ? ORDER BY kind, step, name", []any{id}, func(sc func(...any) error) error {
		a, err := s.scanArtifact(sc)
		out = append(out, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: artifacts of run %d: %w", id, err)
	}
	return out, nil
}

// LatestImages returns the newest image of each of the runs: its final
// image, else its snapshot with the highest step. Runs without an image
// are not in the map.
func (s *Store) LatestImages(ctx context.Context, ids []int64) (map[int64]Artifact, error) {
	out := map[int64]Artifact{}
	if len(ids) == 0 {
		return out, nil
	}
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("store: latest images: %w", err)
	}
	// Ordered so that for each run the preferred image comes last.
	err = s.eachRow(ctx, "SELECT "+artifactColumns+` FROM artifacts
		WHERE run IN (`+s.b.idList()+`) AND kind IN (?, ?)
		ORDER BY run, kind = ?, step, name`, []any{string(idsJSON), KindFinal, KindSnapshot, KindFinal},
		func(sc func(...any) error) error {
			a, err := s.scanArtifact(sc)
			out[a.Run] = a
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("store: latest images: %w", err)
	}
	return out, nil
}

// MetricsAfter returns run id's metric points at steps after step, ordered
// by step, then key: what a live view of a run has not seen yet.
func (s *Store) MetricsAfter(ctx context.Context, id int64, step int) ([]MetricPoint, error) {
	var out []MetricPoint
	err := s.eachRow(ctx, "SELECT step, wall, key, value FROM metrics WHERE run = ? AND step > ? ORDER BY step, key", []any{id, step},
		func(sc func(...any) error) error {
			var m MetricPoint
			var v sql.NullFloat64
			err := sc(&m.Step, &m.Wall, &m.Key, &v)
			m.Value = nullFloat(v)
			out = append(out, m)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("store: metrics of run %d: %w", id, err)
	}
	return out, nil
}
