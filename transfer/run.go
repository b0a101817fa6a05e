package transfer

import (
	"context"
	"fmt"
	"image"
	"math"
	"time"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/loss"
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

// stage is the optimisation at one size: its targets, objective and start.
type stage struct {
	p    *Plan
	m    *vgg.Model
	w, h int
	obj  *objective
	x    []float32 // the network's input, preprocessed
	// content and styles as the network sees them (luminance-only transfer changes them)
	content image.Image
	styles  []image.Image
}

// newStage prepares scale si of plan p, starting from current (the previous
// scale's image) or from the plan's start.
func newStage(m *vgg.Model, p *Plan, si int, current *imaging.Planar) (*stage, error) {
	w, h := imaging.FitSize(p.Content.Image.Bounds(), p.Sizes[si])
	st, err := newStageAt(m, p, w, h)
	if err != nil {
		return nil, err
	}
	st.x = m.Weights().Preprocess.Preprocess(st.start(si, current).Pix)
	return st, nil
}

// newStageAt prepares the targets and objective of plan p for a w x h image.
func newStageAt(m *vgg.Model, p *Plan, w, h int) (*stage, error) {
	if err := checkMemory(p, w, h); err != nil {
		return nil, err
	}
	st := &stage{p: p, m: m, w: w, h: h, content: p.Content.Image}
	for _, s := range p.Styles {
		st.styles = append(st.styles, s.Image)
	}
	if p.Colour == LuminanceOnly {
		st.content = imaging.Luminance(p.Content.Image)
		for i, s := range st.styles {
			st.styles[i] = imaging.MatchLuminance(s, p.Content.Image)
		}
	}
	t, err := st.targets()
	if err != nil {
		return nil, err
	}
	if st.obj, err = newObjective(m, p, h, w, t); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *stage) close() { st.obj.close() }

// start is where optimisation at scale si begins, in RGB [0,1].
func (st *stage) start(si int, current *imaging.Planar) *imaging.Planar {
	w, h := st.w, st.h
	switch {
	case si > 0 && current != nil:
		return imaging.ToPlanar(imaging.Resize(current.Image(), w, h))
	case st.p.Start == FromImage:
		return imaging.ToPlanar(imaging.Resize(st.p.Init.Image, w, h))
	case st.p.Start == FromContent:
		return imaging.ToPlanar(imaging.Resize(st.content, w, h))
	case st.p.Start == FromStyle:
		return imaging.ToPlanar(imaging.Resize(st.styles[0], w, h))
	}
	return imaging.Noise(w, h, st.p.Seed)
}

// image turns the network input x back into an image, applying the colour mode.
func (st *stage) image(x []float32) (*image.RGBA, error) {
	pre := st.m.Weights().Preprocess
	img := (&imaging.Planar{W: st.w, H: st.h, Pix: pre.Deprocess(x)}).Image()
	if st.p.Colour == TransferColours {
		return img, nil
	}
	out, err := imaging.KeepColours(img, imaging.Resize(st.p.Content.Image, st.w, st.h))
	if err != nil {
		return nil, fmt.Errorf("transfer: keeping the content's colours: %w", err)
	}
	return out, nil
}

// targets computes the content features and the blended style Gram
// matrices for a w x h output.
func (st *stage) targets() (targets, error) {
	m, p, w, h := st.m, st.p, st.w, st.h
	scaling, pooling := p.Scaling, p.Pooling
	pre := m.Weights().Preprocess
	t := targets{content: map[string][]float32{}, style: map[string][]float32{}}
	content := imaging.ToPlanar(imaging.Resize(st.content, w, h))
	feats, err := m.Features(pre.Preprocess(content.Pix), h, w, p.ContentLayers, pooling)
	if err != nil {
		return t, fmt.Errorf("transfer: content features: %w", err)
	}
	for name, f := range feats {
		t.content[name] = f.Data
	}
	longest := max(16, int(math.Round(p.StyleScale*float64(max(w, h)))))
	for i, s := range st.styles {
		style := imaging.ToPlanar(imaging.FitLongest(s, longest))
		feats, err := m.Features(pre.Preprocess(style.Pix), style.H, style.W, p.StyleLayerNames(), pooling)
		if err != nil {
			return t, fmt.Errorf("transfer: style %d features: %w", i+1, err)
		}
		for name, f := range feats {
			// With GramRescale the target is rescaled from the style image's size
			// to the output's (by M_out/M_style), so that its statistics per
			// position match whatever the two sizes.
			_, lh, lw, err := vgg.LayerShape(name, h, w)
			if err != nil {
				return t, err
			}
			outM := lh * lw
			gs, _, _ := scaling.Factors(f.C, outM)
			gStyle, _, _ := scaling.Factors(f.C, f.H*f.W)
			gram := loss.Gram(scaling, f.Data, f.C, f.H*f.W)
			k := p.Blend[i] * gs / gStyle
			if p.GramRescale {
				k *= float64(outM) / float64(f.H*f.W)
			}
			acc := t.style[name]
			if acc == nil {
				acc = make([]float32, len(gram))
				t.style[name] = acc
			}
			for j, v := range gram {
				acc[j] += float32(k) * v
			}
		}
	}
	return t, nil
}
