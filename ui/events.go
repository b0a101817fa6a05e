package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/stylelab/stylelab/store"
)

// keepAlive is how often an idle stream sends a comment, so that proxies
// and the browser keep the connection.
const keepAlive = 15 * time.Second

// event is one server-sent event: a name and a JSON payload.
type event struct {
	name string
	data any
}

// stream sends server-sent events: poll is called every Options.Poll (and
// once at once) and its events written; it ends the stream by returning
// done, the client by leaving, the server by closing.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, poll func(ctx context.Context) (evs []event, done bool, err error)) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(s.opt.Poll)
	defer tick.Stop()
	quiet := time.Now()
	for {
		evs, done, err := poll(r.Context())
		if err != nil {
			if r.Context().Err() == nil {
				s.opt.Log.Printf("%s: %v", r.URL, err)
				evs = append(evs, event{"problem", map[string]string{"error": err.Error()}})
			}
		}
		if done {
			evs = append(evs, event{"end", map[string]bool{"end": true}})
		}
		for _, e := range evs {
			data, err := json.Marshal(e.data)
			if err != nil {
				s.opt.Log.Printf("%s: event %s: %v", r.URL, e.name, err)
				return
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.name, data); err != nil {
				return
			}
		}
		wrote := len(evs) > 0
		if !wrote && time.Since(quiet) >= keepAlive {
			if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil {
				return
			}
			wrote = true
		}
		if wrote {
			quiet = time.Now()
			if err := rc.Flush(); err != nil {
				return
			}
		}
		if done {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-tick.C:
		}
	}
}

// runUpdate is a run's row as live views update it.
type runUpdate struct {
	ID       int64             `json:"id"`
	Status   string            `json:"status"`
	Message  string            `json:"message"`
	Step     int               `json:"step"`
	Planned  int               `json:"planned"`
	Duration string            `json:"duration"`
	Losses   map[string]string `json:"losses"`
	Image    *imageView        `json:"image,omitempty"`
}

func makeUpdate(r *store.RunSummary, img *store.Artifact, now time.Time) runUpdate {
	u := runUpdate{ID: r.ID, Status: r.Status, Message: r.Message, Step: max(r.LastStep, 0), Planned: planned(r),
		Duration: formatDuration(runDuration(r, now)), Losses: lastLosses(r)}
	if img != nil {
		u.Image = toImageView(*img)
	}
	return u
}

// handleRunsEvents streams updates of the runs a table shows running
// (?id=...), and the number of runs newer than ?after.
func (s *Server) handleRunsEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	watch := map[int64]runUpdate{} // last sent, by run
	var ids []int64
	for _, v := range q["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, fmt.Sprintf("id %q is not a run id", v), http.StatusBadRequest)
			return
		}
		if _, ok := watch[id]; !ok && len(ids) < maxPageSize {
			watch[id] = runUpdate{}
			ids = append(ids, id)
		}
	}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	newer := -1
	s.stream(w, r, func(ctx context.Context) ([]event, bool, error) {
		var evs []event
		if len(ids) > 0 {
			ups, err := s.updates(ctx, ids)
			if err != nil {
				return nil, false, err
			}
			keep := ids[:0]
			for _, u := range ups {
				if !sameUpdate(u, watch[u.ID]) {
					evs = append(evs, event{"run", u})
					watch[u.ID] = u
				}
				if u.Status == store.StatusRunning {
					keep = append(keep, u.ID)
				}
			}
			ids = keep
		}
		if after > 0 {
			p, err := s.st.RunsPage(ctx, fmt.Sprintf("id > %d", after), "", 0, 1)
			if err != nil {
				return nil, false, err
			}
			if p.Total != newer {
				newer = p.Total
				evs = append(evs, event{"newer", map[string]int{"count": p.Total}})
			}
		}
		return evs, len(ids) == 0 && after <= 0, nil
	})
}

// sameUpdate reports whether two updates show the same; the duration of
// a running run always moves, and alone is no news.
func sameUpdate(a, b runUpdate) bool {
	a.Duration, b.Duration = "", ""
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// updates reads the current state of runs, with their latest images.
func (s *Server) updates(ctx context.Context, ids []int64) ([]runUpdate, error) {
	runs, err := s.st.Summaries(ctx, ids)
	if err != nil {
		return nil, err
	}
	images, err := s.st.LatestImages(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]runUpdate, len(runs))
	for i := range runs {
		var img *store.Artifact
		if a, ok := images[runs[i].ID]; ok {
			img = &a
		}
		out[i] = makeUpdate(&runs[i], img, now)
	}
	return out, nil
}

// handleRunEvents streams a run's new metric points (after ?step), its
// images (all at first, then each new one) and its state, until it is no
// longer RUNNING.
func (s *Server) handleRunEvents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	step := -1
	if v := r.URL.Query().Get("step"); v != "" {
		if step, err = strconv.Atoi(v); err != nil {
			http.Error(w, fmt.Sprintf("step %q is not a number", v), http.StatusBadRequest)
			return
		}
	}
	seen := map[int64]string{} // image artifacts sent: their sha256
	var last runUpdate
	s.stream(w, r, func(ctx context.Context) ([]event, bool, error) {
		var evs []event
		ups, err := s.updates(ctx, []int64{id})
		if err != nil {
			return nil, false, err
		}
		if len(ups) == 0 {
			return []event{{"problem", map[string]string{"error": fmt.Sprintf("run %d is gone from the store", id)}}}, true, nil
		}
		points, err := s.st.MetricsAfter(ctx, id, step)
		if err != nil {
			return nil, false, err
		}
		if len(points) > 0 {
			step = points[len(points)-1].Step
			evs = append(evs, event{"metrics", curves(points)})
		}
		arts, err := s.st.Artifacts(ctx, id)
		if err != nil {
			return nil, false, err
		}
		for _, a := range arts {
			if (a.Kind == store.KindSnapshot || a.Kind == store.KindFinal) && seen[a.ID] != a.SHA256 {
				seen[a.ID] = a.SHA256
				evs = append(evs, event{"image", toImageView(a)})
			}
		}
		u := ups[0]
		if !sameUpdate(u, last) {
			evs = append(evs, event{"run", u})
			last = u
		}
		return evs, u.Status != store.StatusRunning, nil
	})
}
