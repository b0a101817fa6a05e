package transfer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/loss"
	"github.com/stylelab/stylelab/vgg"
)

// TestGradientMatchesFiniteDifferences checks the engine's loss and its
// gradient (VGG-19 with the real weights; content, style and TV terms)
// against an independent float64 implementation written plainly below:
// direct convolution, and central differences of its loss along random directions.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	tests := []struct {
		name, pooling, scaling string
		tv                     float64
	}{
		{"paper avg", "avg", "paper", 0},
		{"paper max tv", "max", "paper", 1e-3},
		{"johnson avg tv", "avg", "johnson", 1},
	}
	m := sharedModel(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := paperConfig(t, 24, 1)
			cfg.ContentLayers = []string{"conv2_2"}
			cfg.StyleLayers = []LayerWeight{{"conv1_1", 0.5}, {"conv2_1", 0.3}, {"conv3_1", 0.2}}
			cfg.Pooling, cfg.Scaling, cfg.TVWeight = tc.pooling, tc.scaling, tc.tv
			p, err := cfg.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			const w, h = 24, 18
			st, err := newStageAt(m, p, w, h)
			if err != nil {
				t.Fatal(err)
			}
			defer st.close()
			obj := st.obj
			tg, err := st.targets()
			if err != nil {
				t.Fatal(err)
			}
			cfg = p.Config()
			cfg.Beta = p.Beta // the reference reads the plain settings
			x := m.Weights().Preprocess.Preprocess(imaging.Noise(w, h, 3).Pix)
			grad := make([]float32, len(x))
			got, err := obj.eval(x, grad)
			if err != nil {
				t.Fatal(err)
			}
			ref := reference{w: m.Weights(), cfg: cfg, t: tg, h: h, wd: w}
			x64 := make([]float64, len(x))
			for i, v := range x {
				x64[i] = float64(v)
			}
			if want := ref.loss(x64); math.Abs(got-want) > 1e-4*math.Abs(want) {
				t.Errorf("loss %.8g, float64 reference %.8g", got, want)
			}
			checkDirections(t, grad, x64, ref.loss, 1)
		})
	}
}

// checkDirections compares the gradient grad at x64 with central finite
// differences of loss along three random directions (seeded by seed): the
// relative error must stay under 2e-3.
func checkDirections(t *testing.T, grad []float32, x64 []float64, loss func([]float64) float64, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for k := 0; k < 3; k++ {
		v := make([]float64, len(grad))
		var analytic float64
		for i := range v {
			v[i] = rng.NormFloat64()
			analytic += float64(grad[i]) * v[i]
		}
		const eps = 1e-4
		shifted := func(s float64) []float64 {
			xs := make([]float64, len(x64))
			for i := range xs {
				xs[i] = x64[i] + s*eps*v[i]
			}
			return xs
		}
		numeric := (loss(shifted(1)) - loss(shifted(-1))) / (2 * eps)
		if rel := math.Abs(numeric-analytic) / math.Abs(numeric); rel > 2e-3 {
			t.Errorf("direction %d: finite difference %.8g, gradient %.8g (relative error %.3g)", k, numeric, analytic, rel)
		}
	}
}

// reference is a plain float64 implementation of the objective, for tests only.
type reference struct {
	w     *vgg.Weights
	cfg   Config
	t     targets
	h, wd int
}

func (r reference) loss(x []float64) float64 {
	scaling, _ := loss.ParseScaling(r.cfg.Scaling)
	feats, shapes := r.features(x)
	var total float64
	for _, l := range r.cfg.ContentLayers {
		if r.cfg.Alpha == 0 {
			break // the objective leaves out terms of weight 0
		}
		s := shapes[l]
		_, _, k := scaling.Factors(s[0], s[1]*s[2])
		var sum float64
		for i, v := range feats[l] {
			d := v - float64(r.t.content[l][i])
			sum += d * d
		}
		total += r.cfg.Alpha * k * sum
	}
	for _, l := range r.cfg.StyleLayers {
		if r.cfg.Beta == 0 {
			break
		}
		s := shapes[l.Layer]
		n, mm := s[0], s[1]*s[2]
		g, st, _ := scaling.Factors(n, mm)
		f := feats[l.Layer]
		var sum float64
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var gij float64
				for p := 0; p < mm; p++ {
					gij += f[i*mm+p] * f[j*mm+p]
				}
				d := g*gij - float64(r.t.style[l.Layer][i*n+j])
				sum += d * d
			}
		}
		total += r.cfg.Beta * l.Weight * st * sum
	}
	if r.cfg.TVWeight > 0 {
		var tv float64
		for ch := 0; ch < 3; ch++ {
			for y := 0; y < r.h; y++ {
				for xx := 0; xx < r.wd; xx++ {
					i := (ch*r.h+y)*r.wd + xx
					if xx+1 < r.wd {
						tv += (x[i+1] - x[i]) * (x[i+1] - x[i])
					}
					if y+1 < r.h {
						tv += (x[i+r.wd] - x[i]) * (x[i+r.wd] - x[i])
					}
				}
			}
		}
		total += r.cfg.TVWeight * tv
	}
	return total
}

func refConv(x []float64, p vgg.ConvParams, h, w int) []float64 {
	out := make([]float64, p.Cout*h*w)
	for o := 0; o < p.Cout; o++ {
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				sum := float64(p.Bias[o])
				for i := 0; i < p.Cin; i++ {
					for kh := 0; kh < 3; kh++ {
						for kw := 0; kw < 3; kw++ {
							iy, ix := y+kh-1, xx+kw-1
							if iy >= 0 && iy < h && ix >= 0 && ix < w {
								sum += float64(p.Kernel[((o*p.Cin+i)*3+kh)*3+kw]) * x[(i*h+iy)*w+ix]
							}
						}
					}
				}
				out[(o*h+y)*w+xx] = math.Max(sum, 0)
			}
		}
	}
	return out
}

func refPool(x []float64, c, h, w int, isMax bool) ([]float64, int, int) {
	oh, ow := h/2, w/2
	out := make([]float64, c*oh*ow)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				a := x[(ch*h+2*y)*w+2*xx]
				b := x[(ch*h+2*y)*w+2*xx+1]
				d := x[(ch*h+2*y+1)*w+2*xx]
				e := x[(ch*h+2*y+1)*w+2*xx+1]
				v := (a + b + d + e) / 4
				if isMax {
					v = math.Max(math.Max(a, b), math.Max(d, e))
				}
				out[(ch*oh+y)*ow+xx] = v
			}
		}
	}
	return out, oh, ow
}
