package transfer

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// meanStdEps keeps the standard deviation differentiable where a channel is constant.
const meanStdEps = 1e-5

// meanStd is a custom term as a notebook cell writes it: each channel's mean
// and standard deviation over positions matched to the (single) style
// image's, as adaptive instance normalisation does.
func meanStd(in TermInput) (*G.Node, error) {
	stats := func(f *G.Node) (mu, sd *G.Node, err error) {
		s := f.Shape()
		flat, err := G.Reshape(f, tensor.Shape{s[0], s[1] * s[2]})
		if err != nil {
			return nil, nil, err
		}
		if mu, err = G.Mean(flat, 1); err != nil {
			return nil, nil, err
		}
		d, err := G.BroadcastSub(flat, mu, nil, []byte{1})
		if err != nil {
			return nil, nil, err
		}
		sq, err := G.Square(d)
		if err != nil {
			return nil, nil, err
		}
		v, err := G.Mean(sq, 1)
		if err != nil {
			return nil, nil, err
		}
		v, err = G.Add(v, G.NewConstant(float32(meanStdEps)))
		if err != nil {
			return nil, nil, err
		}
		sd, err = G.Sqrt(v)
		return mu, sd, err
	}
	mu, sd, err := stats(in.Features)
	if err != nil {
		return nil, err
	}
	muS, sdS, err := stats(in.Styles[0])
	if err != nil {
		return nil, err
	}
	a := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(mu, muS))))))
	b := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(sd, sdS))))))
	return G.Add(a, b)
}

func meanStdTerm(layer string, weight float64) Term {
	return Term{Name: "meanstd_" + layer, Layer: layer, Weight: weight, Source: "meanStd in terms_test.go", Build: meanStd}
}

// refMeanStd is meanStd in float64 on a C x M feature map against the style's.
func refMeanStd(f []float64, style []float32, c int) float64 {
	stats := func(at func(i int) float64, m int) (mu, sd []float64) {
		for ch := 0; ch < c; ch++ {
			var s float64
			for p := 0; p < m; p++ {
				s += at(ch*m + p)
			}
			mean := s / float64(m)
			var v float64
			for p := 0; p < m; p++ {
				d := at(ch*m+p) - mean
				v += d * d
			}
			mu, sd = append(mu, mean), append(sd, math.Sqrt(v/float64(m)+meanStdEps))
		}
		return mu, sd
	}
	mu, sd := stats(func(i int) float64 { return f[i] }, len(f)/c)
	muS, sdS := stats(func(i int) float64 { return float64(style[i]) }, len(style)/c)
	var sum float64
	for ch := 0; ch < c; ch++ {
		sum += (mu[ch]-muS[ch])*(mu[ch]-muS[ch]) + (sd[ch]-sdS[ch])*(sd[ch]-sdS[ch])
	}
	return sum
}

// TestTermGradientMatchesFiniteDifferences checks custom terms written as
// gorgonia expressions (mean and standard deviation matching at conv1_1 and
// conv2_1, beside the paper's content and style terms): the loss against a
// float64 reference, and the gradient gorgonia derives against central
// differences of that reference along random directions.
func TestTermGradientMatchesFiniteDifferences(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
	}{
		{"a term alone", func(c *Config) {
			c.Alpha, c.Ratio = 0, 0
			c.Terms = []Term{meanStdTerm("conv1_1", 1)}
		}},
		{"a term below the style layers", func(c *Config) {
			c.Alpha, c.Ratio, c.Beta = 0, 0, 1
			c.Terms = []Term{meanStdTerm("conv1_1", 1)}
		}},
		{"terms beside content and style", func(c *Config) {
			c.Terms = []Term{meanStdTerm("conv1_1", 0.3), meanStdTerm("conv2_1", 2)}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkTermGradient(t, tc.change) })
	}
}

func checkTermGradient(t *testing.T, change func(c *Config)) {
	m := sharedModel(t)
	cfg := paperConfig(t, 24, 1)
	cfg.ContentLayers = []string{"conv2_2"}
	cfg.StyleLayers = []LayerWeight{{"conv1_1", 0.5}, {"conv3_1", 0.5}}
	change(&cfg)
	p, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 24, 16 // even down to conv3_1: central differences across ReLU kinks stay rare
	st, err := newStageAt(m, p, w, h)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	tg, err := st.targets()
	if err != nil {
		t.Fatal(err)
	}
	cfg = p.Config()
	cfg.Beta = p.Beta
	ref := reference{w: m.Weights(), cfg: cfg, t: tg, h: h, wd: w}
	refLoss := func(x []float64) float64 {
		total := ref.loss(x)
		feats, shapes := ref.features(x)
		for _, term := range p.Terms {
			total += term.Weight * refMeanStd(feats[term.Layer], tg.termStyles[term.Layer][0].Data, shapes[term.Layer][0])
		}
		return total
	}
	x := m.Weights().Preprocess.Preprocess(imaging.Noise(w, h, 5).Pix)
	grad := make([]float32, len(x))
	got, err := st.obj.eval(x, grad)
	if err != nil {
		t.Fatal(err)
	}
	x64 := make([]float64, len(x))
	for i, v := range x {
		x64[i] = float64(v)
	}
	if want := refLoss(x64); math.Abs(got-want) > 1e-4*math.Abs(want) {
		t.Errorf("loss %.8g, float64 reference %.8g", got, want)
	}
	feats, shapes := ref.features(x64)
	for _, term := range p.Terms {
		want := refMeanStd(feats[term.Layer], tg.termStyles[term.Layer][0].Data, shapes[term.Layer][0])
		if v := st.obj.last.Layers["term/"+term.Name]; math.Abs(v-want) > 1e-4*want {
			t.Errorf("term/%s = %.8g, reference %.8g", term.Name, v, want)
		}
	}
	checkDirections(t, grad, x64, refLoss, 3)
}

// TestBuiltinTermsMatchThePaper: the paper's objective written as Terms
// (ContentTerm and GramTerm, with alpha and beta 0) gives the same losses
// and gradient as the same settings in Config.
func TestBuiltinTermsMatchThePaper(t *testing.T) {
	m := sharedModel(t)
	paper := paperConfig(t, 32, 1)
	paper.StyleLayers = []LayerWeight{{"conv1_1", 0.7}, {"conv2_1", 0.2}, {"conv4_1", 0.1}}
	paper.Styles = append(paper.Styles, Style{Path: paper.ContentPath, Weight: 0.5})
	pp, err := paper.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	terms := paper
	terms.Alpha, terms.Beta, terms.Ratio = 0, 0, 0
	terms.Terms = []Term{ContentTerm("conv4_2", pp.Alpha)}
	for _, l := range pp.StyleLayers {
		terms.Terms = append(terms.Terms, GramTerm(l.Layer, pp.Beta*l.Weight))
	}
	tp, err := terms.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	eval := func(p *Plan) (Losses, []float32) {
		st, err := newStageAt(m, p, 32, 24)
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		x := m.Weights().Preprocess.Preprocess(imaging.Noise(32, 24, 1).Pix)
		grad := make([]float32, len(x))
		if _, err := st.obj.eval(x, grad); err != nil {
			t.Fatal(err)
		}
		return st.obj.last, grad
	}
	lp, gp := eval(pp)
	lt, gt := eval(tp)
	if math.Abs(lp.Total-lt.Total) > 1e-6*lp.Total || lt.Content != 0 || lt.Style != 0 {
		t.Errorf("totals: paper %.8g, terms %.8g (terms' content %g and style %g should be 0)", lp.Total, lt.Total, lt.Content, lt.Style)
	}
	for _, l := range pp.StyleLayers {
		a, b := lp.Layers["style/"+l.Layer], lt.Layers["term/gram_"+l.Layer]
		if math.Abs(a-b) > 1e-6*a {
			t.Errorf("%s: style %.8g, gram term %.8g", l.Layer, a, b)
		}
	}
	var diff, norm float64
	for i := range gp {
		d := float64(gp[i] - gt[i])
		diff += d * d
		norm += float64(gp[i]) * float64(gp[i])
	}
	if math.Sqrt(diff) > 1e-5*math.Sqrt(norm) {
		t.Errorf("gradients differ: |paper - terms| = %.3g of |paper| = %.3g", math.Sqrt(diff), math.Sqrt(norm))
	}
}

// TestTermsRecordedAndChecked: terms are part of a run's parameters and
// identity (by their source's hash), and bad terms are refused with the fix.
func TestTermsRecordedAndChecked(t *testing.T) {
	base := paperConfig(t, 32, 1)
	base.Terms = []Term{meanStdTerm("conv3_1", 10)}
	p, err := base.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	var recorded string
	for _, q := range p.Params() {
		if q.Key == "terms" {
			recorded = q.Value
		}
	}
	if want := "meanstd_conv3_1:conv3_1:10:" + base.Terms[0].SourceSHA256()[:16]; recorded != want {
		t.Errorf("terms param %q, want %q", recorded, want)
	}
	other := base
	other.Terms = []Term{meanStdTerm("conv3_1", 10)}
	other.Terms[0].Source += " (edited)"
	q, err := other.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if p.Identity("w") == q.Identity("w") {
		t.Error("editing a term's source kept the run's identity")
	}
	plain := paperConfig(t, 32, 1)
	pl, err := plain.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range pl.Params() {
		if q.Key == "terms" {
			t.Error("a run without terms records a terms param")
		}
	}

	notScalar := meanStdTerm("conv1_1", 1)
	notScalar.Build = func(in TermInput) (*G.Node, error) { return G.Square(in.Features) }
	failing := meanStdTerm("conv1_1", 1)
	failing.Build = func(TermInput) (*G.Node, error) { return nil, errors.New("no idea") }
	tests := []struct {
		name  string
		terms []Term
		want  string // in the error
	}{
		{"no name", []Term{{Layer: "conv1_1", Weight: 1, Source: "x", Build: meanStd}}, "has no Name"},
		{"bad name", []Term{{Name: "a/b", Layer: "conv1_1", Weight: 1, Source: "x", Build: meanStd}}, "letters, digits"},
		{"twice", []Term{meanStdTerm("conv1_1", 1), meanStdTerm("conv1_1", 2)}, "listed twice"},
		{"bad layer", []Term{meanStdTerm("conv9_1", 1)}, `unknown layer "conv9_1"`},
		{"negative weight", []Term{meanStdTerm("conv1_1", -1)}, "finite and >= 0"},
		{"no source", []Term{{Name: "m", Layer: "conv1_1", Weight: 1, Build: meanStd}}, "has no Source"},
		{"no build", []Term{{Name: "m", Layer: "conv1_1", Weight: 1, Source: "x"}}, "has no Build"},
	}
	for _, tc := range tests {
		cfg := paperConfig(t, 32, 1)
		cfg.Terms = tc.terms
		if _, err := cfg.Resolve(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		term Term
		want string
	}{{notScalar, "return a float32 scalar"}, {failing, "no idea"}} {
		cfg := paperConfig(t, 32, 1)
		cfg.Terms = []Term{tc.term}
		_, err := Transfer(context.Background(), sharedModel(t), cfg, Hooks{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build %s: error %v, want one containing %q", tc.term.Name, err, tc.want)
		}
	}
}

// TestTermsOnlyTransfer: a transfer with mean/std terms in place of the
// Gram loss (beta 0) lowers them, and reports them.
func TestTermsOnlyTransfer(t *testing.T) {
	cfg := paperConfig(t, 48, 30)
	cfg.Ratio, cfg.Beta = 0, 0
	for _, l := range []string{"conv1_1", "conv2_1", "conv3_1"} {
		cfg.Terms = append(cfg.Terms, meanStdTerm(l, 1))
	}
	res, err := Transfer(context.Background(), sharedModel(t), cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.Steps[0], res.Last()
	if !(last.Terms*2 < first.Terms) || last.Style != 0 {
		t.Errorf("terms %g -> %g (want a fall of 2x), style %g (want 0)", first.Terms, last.Terms, last.Style)
	}
	if want := res.Plan.Alpha*last.Content + last.Terms; math.Abs(last.Total-want) > 1e-9*want {
		t.Errorf("total %g, want content + terms = %g", last.Total, want)
	}
	if _, ok := last.Layers["term/meanstd_conv2_1"]; !ok {
		t.Errorf("no term/meanstd_conv2_1 in %v", last.Layers)
	}
}

// TestLayerGradientsAddUp: the per-layer gradients of LayerGradients sum
// to the objective's gradient of the style loss, their losses are the
// objective's E_l, and each layer acts on the whole image.
func TestLayerGradientsAddUp(t *testing.T) {
	m := sharedModel(t)
	cfg := paperConfig(t, 40, 1)
	cfg.Alpha, cfg.Ratio, cfg.Beta = 0, 0, 1e3 // style only: the objective is beta * sum_l w_l E_l
	cfg.StyleLayers = []LayerWeight{{"conv1_1", 0.1}, {"relu2_1", 0.2}, {"conv3_1", 0.3}, {"conv4_1", 0.2}, {"conv5_1", 0.2}}
	p, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	img := imaging.Noise(40, 30, 9).Image()
	maps, raw, err := layerGradients(m, p, img)
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStageAt(m, p, 40, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	x := m.Weights().Preprocess.Preprocess(imaging.ToPlanar(img).Pix)
	want := make([]float32, len(x))
	if _, err := st.obj.eval(x, want); err != nil {
		t.Fatal(err)
	}
	var diff, norm float64
	for i := range want {
		var sum float64
		for _, r := range raw {
			sum += float64(r[i])
		}
		diff += (sum - float64(want[i])) * (sum - float64(want[i]))
		norm += float64(want[i]) * float64(want[i])
	}
	if math.Sqrt(diff) > 1e-5*math.Sqrt(norm) {
		t.Errorf("the layers' gradients add up to within %.3g of the objective's (norm %.3g)", math.Sqrt(diff), math.Sqrt(norm))
	}
	for _, lm := range maps {
		if e := st.obj.last.Layers["style/"+lm.Layer]; math.Abs(lm.Loss-e) > 1e-6*e {
			t.Errorf("%s: loss %g, objective's %g", lm.Layer, lm.Loss, e)
		}
		if len(lm.Values) != 40*30 || lm.W != 40 || lm.H != 30 || !(lm.Norm > 0) {
			t.Errorf("%s: %dx%d map of %d values, norm %g", lm.Layer, lm.W, lm.H, len(lm.Values), lm.Norm)
		}
		var sq float64
		zero := 0
		for _, v := range lm.Values {
			sq += float64(v) * float64(v)
			if v == 0 {
				zero++
			}
		}
		if math.Abs(math.Sqrt(sq)-lm.Norm) > 1e-4*lm.Norm || zero > len(lm.Values)/10 {
			t.Errorf("%s: map norm %g vs Norm %g; %d pixels untouched", lm.Layer, math.Sqrt(sq), lm.Norm, zero)
		}
	}
	cfg.Beta = 0
	cfg.Alpha = 1
	if p0, err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	} else if _, err := LayerGradients(m, p0, img); err == nil || !strings.Contains(err.Error(), "beta is 0") {
		t.Errorf("beta 0: error %v", err)
	}
}

// features runs the float64 reference network and returns every stage's response and shape.
func (r reference) features(x []float64) (map[string][]float64, map[string][3]int) {
	feats := map[string][]float64{}
	shapes := map[string][3]int{}
	act, c, h, w := x, 3, r.h, r.wd
	conv := 0
	for _, stage := range []string{"conv1_1", "conv1_2", "pool1", "conv2_1", "conv2_2", "pool2", "conv3_1"} {
		if stage[0] == 'p' {
			act, h, w = refPool(act, c, h, w, r.cfg.Pooling == "max")
		} else {
			p := r.w.Conv[conv]
			conv++
			act, c = refConv(act, p, h, w), p.Cout
		}
		feats[stage], shapes[stage] = act, [3]int{c, h, w}
	}
	return feats, shapes
}
