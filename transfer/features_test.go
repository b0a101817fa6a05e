package transfer

import (
	"bytes"
	"context"
	"errors"
	"image"
	"math"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/testenv"
)

// TestSameSeedSameBytes: equal settings and seed give byte-identical output;
// another seed gives another image.
func TestSameSeedSameBytes(t *testing.T) {
	m := sharedModel(t)
	run := func(seed int64) []byte {
		cfg := paperConfig(t, 64, 5)
		cfg.Seed = seed
		res, err := Transfer(context.Background(), m, cfg, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		png, err := imaging.EncodePNG(res.Image, nil)
		if err != nil {
			t.Fatal(err)
		}
		return png
	}
	a, b, c := run(7), run(7), run(8)
	if !bytes.Equal(a, b) {
		t.Error("two runs with seed 7 differ")
	}
	if bytes.Equal(a, c) {
		t.Error("seeds 7 and 8 gave the same image")
	}
}

// TestCancelStopsAtNextIteration cancels from the step hook and expects the
// run to stop there, returning what it has.
func TestCancelStopsAtNextIteration(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := paperConfig(t, 64, 50)
	res, err := Transfer(ctx, sharedModel(t), cfg, Hooks{Step: func(s Step) {
		if s.Iteration == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one wrapping context.Canceled", err)
	}
	if res == nil || res.Iterations != 3 || res.Image == nil {
		t.Fatalf("result %+v, want 3 iterations and the image so far", res)
	}
}

// TestOptions runs each user-facing option briefly and checks its visible effect.
func TestOptions(t *testing.T) {
	m := sharedModel(t)
	shipwreck := testenv.Path(t, "images", "shipwreck.jpg")
	tests := []struct {
		name   string
		change func(c *Config)
		check  func(t *testing.T, res *Result, steps []Step, snaps []Snapshot)
	}{
		{"adam", func(c *Config) { c.Optimizer, c.Iterations = "adam", 20 }, styleFalls(2)},
		{"lbfgs without line search", func(c *Config) { c.LineSearch = "none"; c.Iterations = 10 }, func(t *testing.T, res *Result, _ []Step, _ []Snapshot) {
			if res.Evaluations != res.Iterations+1 {
				t.Errorf("%d evaluations for %d iterations, want one each plus the first", res.Evaluations, res.Iterations)
			}
		}},
		{"johnson scaling", func(c *Config) { c.Scaling = "johnson"; c.Alpha, c.Beta, c.Ratio = 5, 100, 0 }, styleFalls(2)},
		{"max pooling and tv", func(c *Config) { c.Pooling = "max"; c.TVWeight = 1e-2 }, func(t *testing.T, res *Result, _ []Step, _ []Snapshot) {
			if res.Last().TV <= 0 {
				t.Error("total variation was not reported")
			}
		}},
		{"multi-scale", func(c *Config) { c.Scales = []int{48, 96}; c.Iterations = 4 }, func(t *testing.T, res *Result, steps []Step, _ []Snapshot) {
			if res.Iterations != 8 || steps[0].Width != 48 || res.Last().Width != 96 || res.Image.Bounds().Dx() != 96 {
				t.Errorf("iterations %d, first width %d, last width %d, image %v", res.Iterations, steps[0].Width, res.Last().Width, res.Image.Bounds())
			}
		}},
		{"snapshots and reports", func(c *Config) { c.Iterations, c.SnapshotEvery, c.ReportEvery = 6, 2, 3 }, func(t *testing.T, _ *Result, steps []Step, snaps []Snapshot) {
			if len(snaps) != 3 || snaps[2].Iteration != 6 {
				t.Errorf("%d snapshots, want 3 (iterations 2, 4, 6)", len(snaps))
			}
			if len(steps) != 2 || steps[0].Iteration != 3 {
				t.Errorf("step reports at %v, want iterations 3 and 6", steps)
			}
		}},
		{"two styles blended", func(c *Config) {
			c.Styles = append(c.Styles, Style{Path: shipwreck, Weight: 3})
		}, styleFalls(2)},
		{"style scale", func(c *Config) { c.StyleScale = 0.5 }, styleFalls(2)},
		{"init from content", func(c *Config) { c.Init = "content" }, styleFalls(2)},
		{"init from an image path", func(c *Config) { c.Init = shipwreck }, styleFalls(2)},
		{"keep colours", func(c *Config) { c.Colour = "keep" }, chromaOfContent},
		{"luminance only", func(c *Config) { c.Colour = "luminance" }, chromaOfContent},
		{"per-layer losses", func(c *Config) {}, func(t *testing.T, res *Result, _ []Step, _ []Snapshot) {
			l := res.Last()
			var sum float64
			for _, lw := range res.Plan.StyleLayers {
				v, ok := l.Layers["style/"+lw.Layer]
				if !ok {
					t.Fatalf("no loss for %s in %v", lw.Layer, l.Layers)
				}
				sum += lw.Weight * v
			}
			if math.Abs(sum-l.Style) > 1e-9*l.Style || l.Layers["content/conv4_2"] != l.Content {
				t.Errorf("per-layer losses %v do not add up to style %g / content %g", l.Layers, l.Style, l.Content)
			}
			if want := res.Plan.Alpha*l.Content + res.Plan.Beta*l.Style; math.Abs(want-l.Total) > 1e-9*want {
				t.Errorf("total %g, want alpha*content + beta*style = %g", l.Total, want)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := paperConfig(t, 64, 8)
			tc.change(&cfg)
			var steps []Step
			var snaps []Snapshot
			res, err := Transfer(context.Background(), m, cfg, Hooks{
				Step:     func(s Step) { steps = append(steps, s) },
				Snapshot: func(s Snapshot) { snaps = append(snaps, s) },
			})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res, steps, snaps)
		})
	}
}

func styleFalls(factor float64) func(t *testing.T, res *Result, _ []Step, _ []Snapshot) {
	return func(t *testing.T, res *Result, _ []Step, _ []Snapshot) {
		first, last := res.Steps[0].Style, res.Last().Style
		if !(last*factor < first) {
			t.Errorf("style loss %g -> %g, want a fall of %gx", first, last, factor)
		}
	}
}

// chromaOfContent checks the output carries the content photo's colours.
func chromaOfContent(t *testing.T, res *Result, _ []Step, _ []Snapshot) {
	content, err := imaging.Load(res.Plan.Content.Path)
	if err != nil {
		t.Fatal(err)
	}
	b := res.Image.Bounds()
	ref := imaging.Resize(content, b.Dx(), b.Dy())
	if d := meanChromaDiff(res.Image, ref); d > 3 {
		t.Errorf("mean chroma differs from the content's by %.2f (of 255)", d)
	}
}

func meanChromaDiff(a, b *image.RGBA) float64 {
	var sum float64
	n := 0
	for i := 0; i+3 < len(a.Pix); i += 4 {
		cbA, crA := chroma(a.Pix[i], a.Pix[i+1], a.Pix[i+2])
		cbB, crB := chroma(b.Pix[i], b.Pix[i+1], b.Pix[i+2])
		sum += math.Abs(cbA-cbB) + math.Abs(crA-crB)
		n += 2
	}
	return sum / float64(n)
}

func chroma(r, g, b uint8) (cb, cr float64) {
	R, G, B := float64(r), float64(g), float64(b)
	return -0.168736*R - 0.331264*G + 0.5*B, 0.5*R - 0.418688*G - 0.081312*B
}

// TestReportedLossesAreAcceptedPoints: with the line search every accepted
// point lowers the loss, so the reported totals never rise, even when a
// step's last trial was rejected.
func TestReportedLossesAreAcceptedPoints(t *testing.T) {
	res, err := Transfer(context.Background(), sharedModel(t), paperConfig(t, 64, 15), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(res.Steps); i++ {
		if res.Steps[i].Total > res.Steps[i-1].Total {
			t.Errorf("iteration %d reports %g after %g", res.Steps[i].Iteration, res.Steps[i].Total, res.Steps[i-1].Total)
		}
	}
}
