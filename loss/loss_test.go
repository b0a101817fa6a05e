package loss

import (
	"math"
	"strings"
	"testing"

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
