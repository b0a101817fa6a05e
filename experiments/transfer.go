package experiments

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"time"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/loss"
	"github.com/stylelab/stylelab/ops"
	"github.com/stylelab/stylelab/vgg"
)

// Step is the progress report of one iteration.
type Step struct {
	Iteration   int // 1-based, counted across scales
	Planned     int // iterations planned in all
	Scale       int // index into Config.Sizes()
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
}

// Hooks are called as a run progresses; any may be nil. They run on the
// run's goroutine: keep them quick.
type Hooks struct {
	Step     func(Step)
	Snapshot func(Snapshot)
}

// Result is what a run produced. A cancelled or failed run still returns
// the Result so far, with the error.
type Result struct {
	Config      Config // resolved
	Image       *image.RGBA
	Steps       []Step
	Iterations  int
	Evaluations int
	Elapsed     time.Duration
	RunID       int64 // the run's id in the store, when run by a Lab
}

// Last returns the last step, or a zero Step when none ran.
func (r *Result) Last() Step {
	if r == nil || len(r.Steps) == 0 {
		return Step{}
	}
	return r.Steps[len(r.Steps)-1]
}

// Transfer runs the style transfer cfg on model m. It stops at the next
// iteration when ctx is cancelled, returning the result so far and an error
// wrapping ctx.Err().
func Transfer(ctx context.Context, m *vgg.Model, cfg Config, hooks Hooks) (*Result, error) {
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	in, err := loadInputs(cfg)
	if err != nil {
		return nil, err
	}
	return transfer(ctx, m, cfg, in, hooks)
}

// inputs are a run's decoded images.
type inputs struct {
	content, original image.Image // original: before luminance conversion
	styles            []image.Image
	init              image.Image
}

func loadInputs(cfg Config) (*inputs, error) {
	get := func(what, path string, img image.Image) (image.Image, error) {
		if img != nil {
			return img, nil
		}
		im, err := imaging.Load(path)
		if err != nil {
			return nil, fmt.Errorf("experiments: %s image: %w", what, err)
		}
		return im, nil
	}
	in := &inputs{}
	var err error
	if in.content, err = get("content", cfg.ContentPath, cfg.ContentImage); err != nil {
		return nil, err
	}
	in.original = in.content
	for i, s := range cfg.Styles {
		img, err := get(fmt.Sprintf("style %d", i+1), s.Path, s.Image)
		if err != nil {
			return nil, err
		}
		in.styles = append(in.styles, img)
	}
	switch {
	case cfg.InitImage != nil:
		in.init = cfg.InitImage
	case cfg.Init == "noise" || cfg.Init == "content" || cfg.Init == "style":
	default:
		if in.init, err = get("init", cfg.Init, nil); err != nil {
			return nil, err
		}
	}
	if cfg.Colour == "luminance" {
		in.content = imaging.Luminance(in.original)
		for i, s := range in.styles {
			in.styles[i] = imaging.MatchLuminance(s, in.original)
		}
	}
	return in, nil
}

func transfer(ctx context.Context, m *vgg.Model, cfg Config, in *inputs, hooks Hooks) (*Result, error) {
	start := time.Now()
	res := &Result{Config: cfg}
	sizes := cfg.Sizes()
	planned := cfg.Iterations * len(sizes)
	pre := m.Weights().Preprocess
	var current *imaging.Planar // the image so far, in RGB [0,1]
	for si, size := range sizes {
		w, h := imaging.FitSize(in.content.Bounds(), size)
		if err := checkMemory(cfg, w, h); err != nil {
			return res, err
		}
		t, err := makeTargets(m, cfg, in, w, h)
		if err != nil {
			return res, err
		}
		obj, err := newObjective(m, cfg, h, w, t)
		if err != nil {
			return res, err
		}
		x := pre.Preprocess(startImage(cfg, in, current, si, w, h).Pix)
		// The first L-BFGS step moves the image by at most 10 pixel values (of 255).
		var opt optimizer = newLBFGS(len(x), cfg.History, cfg.LineSearch == "wolfe", 10*float64(pre.PixelScale()))
		if cfg.Optimizer == "adam" {
			opt = newAdam(len(x), cfg.LearningRate*float64(pre.PixelScale()))
		}
		evalsBefore := res.Evaluations
		var runErr error
		for it := 0; it < cfg.Iterations; it++ {
			if err := ctx.Err(); err != nil {
				runErr = fmt.Errorf("experiments: run stopped at iteration %d: %w", res.Iterations, err)
				break
			}
			f, err := opt.step(x, obj.eval)
			if err != nil {
				if !errors.Is(err, errNoProgress) {
					runErr = err
				}
				break
			}
			res.Iterations++
			res.Evaluations = evalsBefore + obj.evals
			step := Step{Iteration: res.Iterations, Planned: planned, Scale: si, Width: w, Height: h,
				Evaluations: res.Evaluations, Elapsed: time.Since(start), Losses: obj.at(f)}
			res.Steps = append(res.Steps, step)
			if hooks.Step != nil && (res.Iterations%cfg.ReportEvery == 0 || it == cfg.Iterations-1) {
				hooks.Step(step)
			}
			if hooks.Snapshot != nil && cfg.SnapshotEvery > 0 && res.Iterations%cfg.SnapshotEvery == 0 {
				img, err := finish(cfg, in, pre, x, w, h)
				if err != nil {
					runErr = err
					break
				}
				hooks.Snapshot(Snapshot{Iteration: res.Iterations, Image: img})
			}
		}
		obj.close()
		current = &imaging.Planar{W: w, H: h, Pix: pre.Deprocess(x)}
		img, err := finish(cfg, in, pre, x, w, h)
		if err != nil {
			return res, err
		}
		res.Image, res.Elapsed = img, time.Since(start)
		if runErr != nil {
			return res, runErr
		}
	}
	return res, nil
}

// startImage is where optimisation at scale si begins, in RGB [0,1].
func startImage(cfg Config, in *inputs, current *imaging.Planar, si, w, h int) *imaging.Planar {
	switch {
	case si > 0:
		return imaging.ToPlanar(imaging.Resize(current.Image(), w, h))
	case in.init != nil:
		return imaging.ToPlanar(imaging.Resize(in.init, w, h))
	case cfg.Init == "content":
		return imaging.ToPlanar(imaging.Resize(in.content, w, h))
	case cfg.Init == "style":
		return imaging.ToPlanar(imaging.Resize(in.styles[0], w, h))
	}
	return imaging.Noise(w, h, cfg.Seed)
}

// finish turns the network input x back into an image, applying the colour mode.
func finish(cfg Config, in *inputs, pre vgg.Preprocessing, x []float32, w, h int) (*image.RGBA, error) {
	img := (&imaging.Planar{W: w, H: h, Pix: pre.Deprocess(x)}).Image()
	if cfg.Colour == "" {
		return img, nil
	}
	out, err := imaging.KeepColours(img, imaging.Resize(in.original, w, h))
	if err != nil {
		return nil, fmt.Errorf("experiments: keeping the content's colours: %w", err)
	}
	return out, nil
}

// makeTargets computes the content features and the blended style Gram
// matrices for a w x h output.
func makeTargets(m *vgg.Model, cfg Config, in *inputs, w, h int) (targets, error) {
	scaling, err := loss.ParseScaling(cfg.Scaling)
	if err != nil {
		return targets{}, err
	}
	pooling, err := ops.ParsePooling(cfg.Pooling)
	if err != nil {
		return targets{}, err
	}
	pre := m.Weights().Preprocess
	t := targets{content: map[string][]float32{}, style: map[string][]float32{}}
	content := imaging.ToPlanar(imaging.Resize(in.content, w, h))
	feats, err := m.Features(pre.Preprocess(content.Pix), h, w, cfg.ContentLayers, pooling)
	if err != nil {
		return t, fmt.Errorf("experiments: content features: %w", err)
	}
	for name, f := range feats {
		t.content[name] = f.Data
	}
	var total float64
	for _, s := range cfg.Styles {
		total += s.Weight
	}
	if total == 0 {
		return t, fmt.Errorf("experiments: every style weight is 0: give at least one style a positive weight")
	}
	longest := max(16, int(math.Round(cfg.StyleScale*float64(max(w, h)))))
	for i, s := range in.styles {
		style := imaging.ToPlanar(imaging.FitLongest(s, longest))
		feats, err := m.Features(pre.Preprocess(style.Pix), style.H, style.W, cfg.StyleLayerNames(), pooling)
		if err != nil {
			return t, fmt.Errorf("experiments: style %d features: %w", i+1, err)
		}
		for name, f := range feats {
			// The Gram target is rescaled from the style image's size to the output's,
			// so that its statistics per position match whatever the two sizes.
			_, lh, lw, err := vgg.LayerShape(name, h, w)
			if err != nil {
				return t, err
			}
			outM := lh * lw
			gs, _, _ := scaling.Factors(f.C, outM)
			gStyle, _, _ := scaling.Factors(f.C, f.H*f.W)
			gram := loss.Gram(scaling, f.Data, f.C, f.H*f.W)
			k := float32(cfg.Styles[i].Weight / total * gs * float64(outM) / (gStyle * float64(f.H*f.W)))
			acc := t.style[name]
			if acc == nil {
				acc = make([]float32, len(gram))
				t.style[name] = acc
			}
			for j, v := range gram {
				acc[j] += k * v
			}
		}
	}
	return t, nil
}
