package experiments

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// Axis is one swept setting (by its key, as the store and transfer.Settings
// name it, e.g. "ratio" or "style_layers") and the values it takes.
type Axis struct {
	Param  string
	Values []string
}

// Point is one combination of a sweep: the axes' values and the checked
// plan they give.
type Point struct {
	Settings []store.Param
	Plan     *transfer.Plan
}

// Name is the point's label, e.g. "ratio=1e-3 style_layers=conv1_1".
func (p Point) Name() string {
	parts := make([]string, len(p.Settings))
	for i, s := range p.Settings {
		parts[i] = s.Key + "=" + s.Value
	}
	return strings.Join(parts, " ")
}

// SweepPoint is what became of one point of a sweep.
type SweepPoint struct {
	Point
	RunID     int64
	Skipped   bool // already FINISHED in the store: not run again
	Elsewhere bool // running in another process (a sweep or task beside this one): RunID is that run
}

// conflicts are settings that give the same quantity two ways.
var conflicts = [][2]string{{"beta", "ratio"}, {"size", "scales"}}

// Points lists every combination of the axes (the first axis varies
// slowest) applied to base, each resolved into a plan once, before
// anything runs. Axes that repeat or contradict each other are refused.
func Points(base transfer.Config, axes []Axis) ([]Point, error) {
	seen := map[string]bool{}
	for _, a := range axes {
		s, err := transfer.LookupSetting(a.Param)
		if err != nil {
			return nil, fmt.Errorf("experiments: cannot sweep: %w", err)
		}
		if seen[s.Key] {
			return nil, fmt.Errorf("experiments: axis %q is given twice: give each setting once, with all its values", s.Key)
		}
		seen[s.Key] = true
		if len(a.Values) == 0 {
			return nil, fmt.Errorf("experiments: axis %q has no values", a.Param)
		}
		values := map[string]bool{}
		for _, v := range a.Values {
			if values[strings.TrimSpace(v)] {
				return nil, fmt.Errorf("experiments: axis %q lists %q twice", a.Param, v)
			}
			values[strings.TrimSpace(v)] = true
		}
	}
	for _, c := range conflicts {
		if seen[c[0]] && seen[c[1]] {
			return nil, fmt.Errorf("experiments: axes %q and %q set the same thing: sweep one of them", c[0], c[1])
		}
	}
	type partial struct {
		cfg      transfer.Config
		settings []store.Param
	}
	points := []partial{{cfg: base}}
	for _, a := range axes {
		var next []partial
		for _, p := range points {
			for _, v := range a.Values {
				c := p.cfg
				if err := c.Set(a.Param, v); err != nil {
					return nil, fmt.Errorf("experiments: %w", err)
				}
				next = append(next, partial{c, append(append([]store.Param(nil), p.settings...), store.Param{Key: a.Param, Value: strings.TrimSpace(v)})})
			}
		}
		points = next
	}
	out := make([]Point, 0, len(points))
	var errs []error
	for _, p := range points {
		pt := Point{Settings: p.settings}
		if p.cfg.Name == "" {
			p.cfg.Name = pt.Name()
		}
		plan, err := p.cfg.Resolve()
		if err != nil {
			errs = append(errs, fmt.Errorf("experiments: at %s: %w", pt.Name(), err))
			continue
		}
		pt.Plan = plan
		out = append(out, pt)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Sweep runs every combination of the axes as runs of base.Experiment.
// Points already FINISHED in the store with the same identity (settings,
// images' pixels and weights) are skipped, so a sweep that was interrupted
// resumes where it stopped. progress, if not nil, is called after each point.
func (l *Lab) Sweep(ctx context.Context, base transfer.Config, axes []Axis, hooks transfer.Hooks, progress func(done, total int, p SweepPoint)) ([]SweepPoint, error) {
	points, err := Points(base, axes)
	if err != nil {
		return nil, err
	}
	return l.SweepPoints(ctx, points, hooks, progress)
}

// SweepPoints runs points (of Points, or some of them: one task's share of
// a sweep on a cluster) one after another. Each point is claimed in the
// store before it runs, so sweeps and tasks sharing a store never run a
// point twice at once: a point FINISHED is Skipped, one that another live
// process is running is left to it (Elsewhere). A point that fails stops
// the sweep with its error.
func (l *Lab) SweepPoints(ctx context.Context, points []Point, hooks transfer.Hooks, progress func(done, total int, p SweepPoint)) ([]SweepPoint, error) {
	var out []SweepPoint
	for i, pt := range points {
		p := SweepPoint{Point: pt}
		m, err := l.ModelFor(pt.Plan)
		if err != nil {
			return out, fmt.Errorf("experiments: sweep point %d of %d (%s): %w", i+1, len(points), pt.Name(), err)
		}
		id, done, err := l.Store.FindIdentity(ctx, pt.Plan.Experiment, pt.Plan.Identity(m.Weights().SHA256))
		if err != nil {
			return out, err
		}
		if done {
			p.RunID, p.Skipped = id, true
		} else {
			res, err := l.runPlan(ctx, pt.Plan, hooks, true)
			var held *store.ClaimError
			switch {
			case errors.As(err, &held):
				p.RunID, p.Skipped, p.Elsewhere = held.RunID, held.Status == store.StatusFinished, held.Status != store.StatusFinished
			case err != nil:
				if res != nil {
					p.RunID = res.RunID
				}
				return append(out, p), fmt.Errorf("experiments: sweep point %d of %d (%s): %w", i+1, len(points), pt.Name(), err)
			default:
				p.RunID = res.RunID
			}
		}
		out = append(out, p)
		if progress != nil {
			progress(i+1, len(points), p)
		}
	}
	return out, nil
}
