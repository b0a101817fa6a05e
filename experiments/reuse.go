package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"os"
	"strings"
	"time"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// Finished returns the run of cfg that already FINISHED in the store (the
// newest with the same identity: settings, the images' pixels and the
// weights, as a sweep compares them), rebuilt from what was logged, or nil
// when there is none. Rerunning a notebook can thus show long runs again
// instead of repeating them. The result's Steps carry each logged step's
// losses, evaluations and time (not its scale or size, which are not
// logged); its Planar is nil: the store keeps the 8-bit image.
func (l *Lab) Finished(ctx context.Context, cfg transfer.Config) (*transfer.Result, error) {
	p, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	m, err := l.ModelFor(p)
	if err != nil {
		return nil, err
	}
	id, ok, err := l.Store.FindIdentity(ctx, p.Experiment, p.Identity(m.Weights().SHA256))
	if err != nil || !ok {
		return nil, err
	}
	rec, err := l.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	final, ok := rec.LastArtifact(store.KindFinal)
	if !ok {
		return nil, fmt.Errorf("experiments: finished run %d has no final image in the store (stylelab runs show %d)", id, id)
	}
	data, err := os.ReadFile(final.Path)
	if err != nil {
		return nil, fmt.Errorf("experiments: finished run %d: %w", id, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != final.SHA256 {
		return nil, fmt.Errorf("experiments: finished run %d: its final image %s was changed after the run stored it (sha256 differs); run it again without Reuse", id, final.Path)
	}
	img, err := imaging.LoadBytes(final.Path, data)
	if err != nil {
		return nil, fmt.Errorf("experiments: finished run %d: %w", id, err)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(rgba, rgba.Rect, img, img.Bounds().Min, draw.Src)
	res := &transfer.Result{Plan: p, Image: rgba, RunID: id, Elapsed: rec.Duration, Steps: loggedSteps(rec.Metrics, p.Iterations*len(p.Sizes))}
	if n := len(res.Steps); n > 0 {
		res.Iterations, res.Evaluations = res.Steps[n-1].Iteration, res.Steps[n-1].Evaluations
	}
	if stops, ok := strings.CutPrefix(rec.Message, "stopped by "); ok {
		res.Stops = strings.Split(stops, ", ")
	}
	return res, nil
}

// loggedSteps rebuilds the steps of a run from its metrics (ordered by step,
// then key), as runPlan logs them.
func loggedSteps(points []store.MetricPoint, planned int) []transfer.Step {
	var steps []transfer.Step
	for _, pt := range points {
		if len(steps) == 0 || steps[len(steps)-1].Iteration != pt.Step {
			steps = append(steps, transfer.Step{Iteration: pt.Step, Planned: planned,
				Elapsed: time.Duration(pt.Wall * float64(time.Second))})
		}
		s := &steps[len(steps)-1]
		switch pt.Key {
		case "total":
			s.Total = pt.Value
		case "content":
			s.Content = pt.Value
		case "style":
			s.Style = pt.Value
		case "tv":
			s.TV = pt.Value
		case "terms":
			s.Terms = pt.Value
		case "evaluations":
			s.Evaluations = int(pt.Value)
		default:
			if s.Layers == nil {
				s.Layers = map[string]float64{}
			}
			s.Layers[pt.Key] = pt.Value
		}
	}
	return steps
}
