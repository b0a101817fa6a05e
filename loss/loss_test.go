package loss

import (
	"math"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/ops"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// eval builds term on a (c,h,w) input holding f, runs forward and backward,
// and returns the loss and its gradient.
func eval(t *testing.T, f []float32, c, h, w int, term func(x *G.Node) (*G.Node, error)) (float64, []float32) {
	t.Helper()
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 3, G.WithShape(c, h, w), G.WithName("x"))
	out, err := term(x)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(out, x)
	if err != nil {
		t.Fatal(err)
	}
	if err := G.Let(x, tensor.New(tensor.WithShape(c, h, w), tensor.WithBacking(append([]float32(nil), f...)))); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	v := out.Value().(*G.F32)
	return float64(*v), append([]float32(nil), grads[0].Value().Data().([]float32)...)
}

// F is a 2-channel, 1x3 feature map: rows (1, 2, 3) and (0, -1, 2).
var feature = []float32{1, 2, 3, 0, -1, 2}

func TestGramByHand(t *testing.T) {
	// G = F F^T = [[1+4+9, 0-2+6], [4, 0+1+4]] = [[14, 4], [4, 5]].
	paper, _ := ParseScaling("paper")
	johnson, _ := ParseScaling("johnson")
	tests := []struct {
		s    Scaling
		want []float32
	}{
		{paper, []float32{14, 4, 4, 5}},
		{johnson, []float32{14.0 / 6, 4.0 / 6, 4.0 / 6, 5.0 / 6}}, // / (N M) = / 6
	}
	for _, tc := range tests {
		got := Gram(tc.s, feature, 2, 3)
		for i := range got {
			if math.Abs(float64(got[i]-tc.want[i])) > 1e-6 {
				t.Errorf("%s: Gram %v, want %v", tc.s.Name, got, tc.want)
				break
			}
		}
	}
}

func TestStyleLossByHand(t *testing.T) {
	// A = [[10, 4], [4, 7]]: G - A = [[4, 0], [0, -2]], sum of squares 20.
	a := []float32{10, 4, 4, 7}
	paper, _ := ParseScaling("paper")
	johnson, _ := ParseScaling("johnson")
	tests := []struct {
		s        Scaling
		target   []float32
		loss     float64
		gradient []float32
	}{
		// Paper: E = 1/(4 N^2 M^2) * 20 = 20/144; dE/dF = 1/(N^2 M^2) (G-A) F = (1/36) [[4,8,12],[0,2,-4]].
		{paper, a, 20.0 / 144, []float32{4.0 / 36, 8.0 / 36, 12.0 / 36, 0, 2.0 / 36, -4.0 / 36}},
		// Johnson: G = FF^T/6, A' = A/6, E = 1/N^2 sum (G-A')^2 = (20/36)/4 = 5/36;
		// dE/dF = 4 * (1/4) * (1/6) * ((G-A)/6) F = (1/36) (G-A) F.
		{johnson, []float32{10.0 / 6, 4.0 / 6, 4.0 / 6, 7.0 / 6}, 5.0 / 36, []float32{4.0 / 36, 8.0 / 36, 12.0 / 36, 0, 2.0 / 36, -4.0 / 36}},
	}
	for _, tc := range tests {
		loss, grad := eval(t, feature, 2, 1, 3, func(x *G.Node) (*G.Node, error) { return Style(tc.s, "l", x, tc.target) })
		if math.Abs(loss-tc.loss) > 1e-6*tc.loss {
			t.Errorf("%s: style loss %.8g, want %.8g", tc.s.Name, loss, tc.loss)
		}
		for i := range grad {
			if math.Abs(float64(grad[i]-tc.gradient[i])) > 1e-6 {
				t.Errorf("%s: gradient %v, want %v", tc.s.Name, grad, tc.gradient)
				break
			}
		}
	}
}

func TestContentLossByHand(t *testing.T) {
	p := []float32{0, 2, 1, 1, -1, 0} // F - P = (1, 0, 2, -1, 0, 2): sum of squares 10
	paper, _ := ParseScaling("paper")
	johnson, _ := ParseScaling("johnson")
	tests := []struct {
		s    Scaling
		loss float64
		k    float32 // gradient = k (F - P)
	}{
		{paper, 5, 1},                // 1/2 * 10; gradient F - P
		{johnson, 10.0 / 6, 2.0 / 6}, // mean over N M = 6 elements
	}
	diff := []float32{1, 0, 2, -1, 0, 2}
	for _, tc := range tests {
		loss, grad := eval(t, feature, 2, 1, 3, func(x *G.Node) (*G.Node, error) { return Content(tc.s, "l", x, p) })
		if math.Abs(loss-tc.loss) > 1e-6 {
			t.Errorf("%s: content loss %g, want %g", tc.s.Name, loss, tc.loss)
		}
		for i := range grad {
			if math.Abs(float64(grad[i]-tc.k*diff[i])) > 1e-6 {
				t.Errorf("%s: gradient %v, want %v * (F-P)", tc.s.Name, grad, tc.k)
				break
			}
		}
	}
}

func TestTotalVariationByHand(t *testing.T) {
	// One channel, 2x2: [[1, 3], [4, 8]]: horizontal (2, 4), vertical (3, 5): 4+16+9+25 = 54.
	loss, grad := eval(t, []float32{1, 3, 4, 8}, 1, 2, 2, TotalVariation)
	if loss != 54 {
		t.Errorf("TV %g, want 54", loss)
	}
	// d/dx00 = -2*2 - 2*3 = -10; d/dx01 = 2*2 - 2*5 = -6; d/dx10 = -2*4 + 2*3 = -2; d/dx11 = 2*4 + 2*5 = 18.
	want := []float32{-10, -6, -2, 18}
	for i := range want {
		if grad[i] != want[i] {
			t.Fatalf("TV gradient %v, want %v", grad, want)
		}
	}
}

func TestBadTargets(t *testing.T) {
	paper, _ := ParseScaling("paper")
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 3, G.WithShape(2, 1, 3), G.WithName("x"))
	if _, err := Style(paper, "conv1_1", x, make([]float32, 3)); err == nil || !strings.Contains(err.Error(), "2x2 Gram") {
		t.Errorf("style target of the wrong size: %v", err)
	}
	if _, err := Content(paper, "conv4_2", x, make([]float32, 5)); err == nil || !strings.Contains(err.Error(), "conv4_2") {
		t.Errorf("content target of the wrong size: %v", err)
	}
	if _, err := ParseScaling("gatys2015"); err == nil || !strings.Contains(err.Error(), "paper, johnson") {
		t.Errorf("unknown scaling: %v", err)
	}
}

// scaled is a Stylelab op computing 2x, so that the losses' input is made
// by an op (as VGG's features are) and its gradient may be computed in place.
func scaled(x *G.Node) (*G.Node, error) {
	op := ops.NewOp(ops.Spec{
		Name: "scaled", In: []bool{true},
		Shape: func(s []tensor.Shape) (tensor.Shape, error) { return s[0], nil },
		Do: func(out []float32, _ tensor.Shape, in []G.Value) (float32, error) {
			v, err := ops.Floats(in[0])
			for i := range v {
				out[i] = 2 * v[i]
			}
			return 0, err
		},
		Grad: func(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
			back := ops.NewOp(ops.Spec{
				Name: "scaled_grad", In: []bool{true}, Backward: true,
				Shape: func(s []tensor.Shape) (tensor.Shape, error) { return s[0], nil },
				Do: func(dx []float32, _ tensor.Shape, in []G.Value) (float32, error) {
					g, err := ops.Floats(in[0])
					for i := range g {
						dx[i] = 2 * g[i]
					}
					return 0, err
				},
			})
			n, err := back.Apply(dy)
			return G.Nodes{n}, err
		},
	})
	return op.Apply(x)
}

// TestGradientsInPlace checks that the style and content gradients, which
// overwrite their feature map when nothing else reads it, equal the ones
// computed into memory of their own: with one loss on the map (in place)
// and with both on it (not in place), twice in a row.
func TestGradientsInPlace(t *testing.T) {
	paper, _ := ParseScaling("paper")
	const c, h, w = 3, 4, 5
	f := make([]float32, c*h*w)
	for i := range f {
		f[i] = float32(i%7) - 2.5
	}
	p := make([]float32, c*h*w)
	a := Gram(paper, p, c, h*w) // of zeros
	style := func(x *G.Node) (*G.Node, error) { return Style(paper, "s", x, a) }
	content := func(x *G.Node) (*G.Node, error) { return Content(paper, "c", x, p) }
	_, wantStyle := eval(t, f, c, h, w, func(x *G.Node) (*G.Node, error) {
		s, err := scaled(x)
		if err != nil {
			return nil, err
		}
		return style(s)
	})
	for run := 0; run < 2; run++ {
		for _, both := range []bool{false, true} {
			g := G.NewGraph()
			x := G.NewTensor(g, tensor.Float32, 3, G.WithShape(c, h, w), G.WithName("x"))
			s, err := scaled(x)
			if err != nil {
				t.Fatal(err)
			}
			cost, err := style(s)
			if err != nil {
				t.Fatal(err)
			}
			if both {
				ct, err := content(s)
				if err != nil {
					t.Fatal(err)
				}
				if cost, err = G.Add(cost, ct); err != nil {
					t.Fatal(err)
				}
			}
			grads, err := G.Grad(cost, x)
			if err != nil {
				t.Fatal(err)
			}
			if err := G.Let(x, tensor.New(tensor.WithShape(c, h, w), tensor.WithBacking(append([]float32(nil), f...)))); err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			// With one loss the map now holds its gradient; with two it is intact.
			if kept := s.Value().Data().([]float32)[1] == 2*f[1]; kept != both {
				t.Errorf("run %d, both=%v: feature map kept: %v", run, both, kept)
			}
			got := grads[0].Value().Data().([]float32)
			for i, want := range wantStyle {
				if both {
					want += 2 * 2 * 0.5 * 2 * f[i] // content: d/dx 1/2 (2x)^2 = 4x
				}
				if math.Abs(float64(got[i]-want)) > 1e-5*math.Max(1, math.Abs(float64(want))) {
					t.Fatalf("run %d, both=%v: gradient %d is %g, want %g", run, both, i, got[i], want)
				}
			}
			vm.Close()
		}
	}
}
