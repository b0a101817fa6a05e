package transfer

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/optim"
	"github.com/stylelab/stylelab/vgg"
)

// Step is the progress report of one iteration.
type Step struct {
	Iteration   int // 1-based, counted across scales
	Planned     int // iterations planned in all
	Scale       int // index into Plan.Sizes
	Width       int
	Height      int
	Evaluations int // loss and gradient evaluations so far
	Elapsed     time.Duration
	Losses
}

// Snapshot is the image at some iteration.
type Snapshot struct {
	Iteration int
	Image     *image.RGBA
	Preview   bool // asked for by Hooks.PreviewDue: for display only, not kept
}

// Hooks are called as a run progresses; any may be nil. They run on the
// run's goroutine: keep them quick.
type Hooks struct {
	Step     func(Step)
	Snapshot func(Snapshot)
	// PreviewDue, when set, is asked after every iteration whether to send
	// a preview Snapshot now (by time, say), besides those every
	// SnapshotEvery iterations.
	PreviewDue func(iteration int) bool
}

// Result is what a run produced. A cancelled or failed run still returns
// the Result so far, with the error.
type Result struct {
	Plan        *Plan
	Image       *image.RGBA
	Steps       []Step
	Iterations  int
	Evaluations int
	Elapsed     time.Duration
	Planar      *imaging.Planar // the optimised image, RGB in 0..1 before rounding to 8 bits (and before KeepColours)
	RunID       int64           // the run's id in the store, when run by a Lab
	Stops       []string        // why each scale stopped: iterations, loss-tolerance, gradient-tolerance or no-progress
}

// Last returns the last step, or a zero Step when none ran.
func (r *Result) Last() Step {
	if r == nil || len(r.Steps) == 0 {
		return Step{}
	}
	return r.Steps[len(r.Steps)-1]
}

// Transfer resolves cfg and runs it on model m (see Run).
func Transfer(ctx context.Context, m *vgg.Model, cfg Config, hooks Hooks) (*Result, error) {
	p, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	return Run(ctx, m, p, hooks)
}

// Evaluate scores img under plan p: the total, content, style, per-layer
// and TV losses that a run optimising it would report, at img's own size.
func Evaluate(m *vgg.Model, p *Plan, img image.Image) (Losses, error) {
	b := img.Bounds()
	st, err := newStageAt(m, p, b.Dx(), b.Dy())
	if err != nil {
		return Losses{}, err
	}
	defer st.close()
	x := m.Weights().Preprocess.Preprocess(imaging.ToPlanar(img).Pix)
	grad := make([]float32, len(x))
	if _, err := st.obj.eval(x, grad); err != nil {
		return Losses{}, err
	}
	return st.obj.last, nil
}

// Run runs the plan on model m. It stops at the next iteration when ctx is
// cancelled, returning the result so far and an error wrapping ctx.Err().
func Run(ctx context.Context, m *vgg.Model, p *Plan, hooks Hooks) (*Result, error) {
	start := time.Now()
	res := &Result{Plan: p}
	planned := p.Iterations * len(p.Sizes)
	pre := m.Weights().Preprocess
	var current *imaging.Planar // the image so far, in RGB [0,1]
	for si := range p.Sizes {
		st, err := newStage(m, p, si, current)
		if err != nil {
			return res, err
		}
		w, h, x := st.w, st.h, st.x
		opt, stop, err := newOptimizer(p, pre, len(x))
		if err != nil {
			st.close()
			return res, err
		}
		evalsBefore := res.Evaluations
		var runErr error
		reason := optim.Continue
		for reason == optim.Continue {
			if err := ctx.Err(); err != nil {
				runErr = fmt.Errorf("transfer: run stopped at iteration %d: %w", res.Iterations, err)
				break
			}
			f, err := opt.Step(x, st.obj.eval)
			if err != nil {
				if reason = stop.Fail(err); reason == optim.Failed {
					runErr = err
				}
				break
			}
			reason = stop.Observe(f, opt.GradNorm()*float64(pre.PixelScale()))
			res.Iterations++
			res.Evaluations = evalsBefore + st.obj.evals
			step := Step{Iteration: res.Iterations, Planned: planned, Scale: si, Width: w, Height: h,
				Evaluations: res.Evaluations, Elapsed: time.Since(start), Losses: st.obj.at(f)}
			res.Steps = append(res.Steps, step)
			if hooks.Step != nil && (res.Iterations%p.ReportEvery == 0 || reason != optim.Continue) {
				hooks.Step(step)
			}
			snapshot := p.SnapshotEvery > 0 && res.Iterations%p.SnapshotEvery == 0
			preview := !snapshot && hooks.PreviewDue != nil && hooks.PreviewDue(res.Iterations)
			if hooks.Snapshot != nil && (snapshot || preview) {
				img, err := st.image(x)
				if err != nil {
					runErr = err
					break
				}
				hooks.Snapshot(Snapshot{Iteration: res.Iterations, Image: img, Preview: preview})
			}
		}
		if runErr == nil {
			res.Stops = append(res.Stops, reason.String())
		}
		st.close()
		current = &imaging.Planar{W: w, H: h, Pix: pre.Deprocess(x)}
		img, err := st.image(x)
		if err != nil {
			return res, err
		}
		res.Image, res.Planar, res.Elapsed = img, current, time.Since(start)
		if runErr != nil {
			return res, runErr
		}
	}
	return res, nil
}

// newOptimizer makes the plan's optimizer for n network inputs, with the
// pixel range as bounds when the plan keeps pixels in range, and its
// stopping test.
func newOptimizer(p *Plan, pre vgg.Preprocessing, n int) (optim.Optimizer, *optim.Stop, error) {
	var bounds optim.Bounds
	if p.Bounded {
		lo, hi := make([]float32, n), make([]float32, n)
		for i := range hi {
			hi[i] = 1
		}
		lo, hi = pre.Preprocess(lo), pre.Preprocess(hi)
		for i := range lo {
			if lo[i] > hi[i] {
				lo[i], hi[i] = hi[i], lo[i]
			}
		}
		bounds = optim.Bounds{Lower: lo, Upper: hi}
	}
	stop, err := optim.NewStop(p.Stop)
	if err != nil {
		return nil, nil, fmt.Errorf("transfer: %w", err)
	}
	scale := float64(pre.PixelScale())
	var opt optim.Optimizer
	if p.Optimizer == Adam {
		opt, err = optim.NewAdam(n, optim.AdamSettings{LearningRate: p.LearningRate * scale, Bounds: bounds})
	} else {
		search := optim.StrongWolfe
		if !p.Wolfe {
			search = optim.NoLineSearch
		}
		// The first step moves the image by at most 10 pixel values (of 255).
		opt, err = optim.NewLBFGS(n, optim.LBFGSSettings{History: p.LBFGSHistory, LineSearch: search, FirstMove: 10 * scale, Bounds: bounds})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("transfer: %w", err)
	}
	return opt, stop, nil
}
