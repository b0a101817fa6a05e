package ops

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// run builds f(x) for a (c,h,w) input, backpropagates the sum of
// dyWeights*output, and returns the output and dx.
func run(t *testing.T, x []float32, c, h, w int, dyWeights []float32, f func(x *G.Node) (*G.Node, error)) (out, dx []float32) {
	t.Helper()
	g := G.NewGraph()
	xn := G.NewTensor(g, tensor.Float32, 3, G.WithShape(c, h, w), G.WithName("x"))
	y, err := f(xn)
	if err != nil {
		t.Fatal(err)
	}
	// cost = sum(dyWeights * y), as a custom scalar op whose gradient is dyWeights.
	cost := NewOp(Spec{Name: "dot", In: []bool{true}, Scalar: true,
		Do: func(_ []float32, _ tensor.Shape, in []G.Value) (float32, error) {
			v, _ := Floats(in[0])
			var s float64
			for i := range v {
				s += float64(v[i] * dyWeights[i])
			}
			return float32(s), nil
		},
		Grad: func(in G.Nodes, _, _ *G.Node) (G.Nodes, error) {
			back := NewOp(Spec{Name: "dot_grad", In: []bool{true}, Shape: func(s []tensor.Shape) (tensor.Shape, error) { return s[0], nil },
				Do: func(dy []float32, _ tensor.Shape, _ []G.Value) (float32, error) { copy(dy, dyWeights); return 0, nil }})
			n, err := back.Apply(in[0])
			return G.Nodes{n}, err
		}})
	c2, err := cost.Apply(y)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(c2, xn)
	if err != nil {
		t.Fatal(err)
	}
	G.Let(xn, tensor.New(tensor.WithShape(c, h, w), tensor.WithBacking(append([]float32(nil), x...))))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	yv, _ := Floats(y.Value())
	dv, _ := Floats(grads[0].Value())
	return append([]float32(nil), yv...), append([]float32(nil), dv...)
}

func randoms(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// TestConvAgainstDirect checks ConvReLU and its input gradient with every
// algorithm against a direct float64 convolution, on an image large enough
// to be split into several im2col tiles and Winograd blocks and across workers.
func TestConvAgainstDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const cin, cout, h, w = 64, 24, 41, 200 // tileRows = 9 rows: five tiles
	c := Conv{Name: "c", Cin: cin, Cout: cout, Kernel: randoms(rng, cout*cin*9), Bias: randoms(rng, cout)}
	x, dyw := randoms(rng, cin*h*w), randoms(rng, cout*h*w)
	at := func(v []float32, ch, y, xx int) float64 {
		if y < 0 || y >= h || xx < 0 || xx >= w {
			return 0
		}
		return float64(v[(ch*h+y)*w+xx])
	}
	want := make([]float64, cout*h*w)
	wantDx := make([]float64, len(x))
	for o := 0; o < cout; o++ {
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				sum := float64(c.Bias[o])
				for i := 0; i < cin; i++ {
					for k := 0; k < 9; k++ {
						sum += float64(c.Kernel[(o*cin+i)*9+k]) * at(x, i, y+k/3-1, xx+k%3-1)
					}
				}
				want[(o*h+y)*w+xx] = math.Max(sum, 0)
				if sum <= 0 {
					continue
				}
				g := float64(dyw[(o*h+y)*w+xx])
				for i := 0; i < cin; i++ {
					for k := 0; k < 9; k++ {
						iy, ix := y+k/3-1, xx+k%3-1
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							wantDx[(i*h+iy)*w+ix] += g * float64(c.Kernel[(o*cin+i)*9+k])
						}
					}
				}
			}
		}
	}
	for _, algo := range []Algorithm{GEMM, Winograd, Winograd2, Winograd6} {
		t.Run(algo.String(), func(t *testing.T) {
			ws := NewWorkspace()
			if err := ws.SetAlgorithm(algo); err != nil {
				t.Skip(err)
			}
			out, dx := run(t, x, cin, h, w, dyw, func(n *G.Node) (*G.Node, error) { return ConvReLU(ws, c, n) })
			var worst, worstDx float64
			for i := range want {
				worst = math.Max(worst, math.Abs(want[i]-float64(out[i])))
			}
			for i := range wantDx {
				worstDx = math.Max(worstDx, math.Abs(wantDx[i]-float64(dx[i])))
			}
			if worst > 1e-3 || worstDx > 1e-3 {
				t.Errorf("largest error: output %g, input gradient %g", worst, worstDx)
			}
		})
	}
}

// TestAlgorithmNames checks that every algorithm's name parses back to it.
func TestAlgorithmNames(t *testing.T) {
	for _, a := range []Algorithm{Winograd, GEMM, Winograd2, Winograd6} {
		got, err := ParseAlgorithm(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", a.String(), got, err)
		}
	}
	if _, err := ParseAlgorithm("fft"); err == nil || !strings.Contains(err.Error(), "winograd") {
		t.Errorf("unknown algorithm: error %v does not list the choices", err)
	}
}

// TestPoolingAgainstDirect checks both poolings and their gradients on odd sizes.
func TestPoolingAgainstDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const c, h, w = 3, 7, 9
	x, dyw := randoms(rng, c*h*w), randoms(rng, c*(h/2)*(w/2))
	for _, kind := range []Pooling{MaxPool, AvgPool} {
		t.Run(kind.String(), func(t *testing.T) {
			out, dx := run(t, x, c, h, w, dyw, func(n *G.Node) (*G.Node, error) { return Pool2x2(NewWorkspace(), "p", kind, n) })
			wantDx := make([]float32, len(x))
			for ch := 0; ch < c; ch++ {
				for y := 0; y < h/2; y++ {
					for xx := 0; xx < w/2; xx++ {
						idx := []int{(ch*h+2*y)*w + 2*xx, (ch*h+2*y)*w + 2*xx + 1, (ch*h+2*y+1)*w + 2*xx, (ch*h+2*y+1)*w + 2*xx + 1}
						o := (ch*(h/2)+y)*(w/2) + xx
						var want float32
						if kind == MaxPool {
							best := idx[0]
							for _, i := range idx {
								if x[i] > x[best] {
									best = i
								}
							}
							want = x[best]
							wantDx[best] += dyw[o]
						} else {
							for _, i := range idx {
								want += x[i] / 4
								wantDx[i] += dyw[o] / 4
							}
						}
						if math.Abs(float64(want-out[o])) > 1e-6 {
							t.Fatalf("output %d = %g, want %g", o, out[o], want)
						}
					}
				}
			}
			for i := range wantDx {
				if math.Abs(float64(wantDx[i]-dx[i])) > 1e-6 {
					t.Fatalf("gradient %d = %g, want %g (the odd last row and column get none)", i, dx[i], wantDx[i])
				}
			}
		})
	}
	if _, err := ParsePooling("median"); err == nil {
		t.Error("unknown pooling accepted")
	}
}

// chain builds conv, conv, avg pool, conv on a (3,h,w) input, marking the
// middle outputs transient when asked, and returns the last output and the
// input gradient of sum(dyWeights * output) after running it twice.
func chain(t *testing.T, ws *Workspace, transient bool, x, dyw []float32, h, w int) (out, dx []float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	convs := []Conv{
		{Name: "a", Cin: 3, Cout: 16, Kernel: randoms(rng, 16*3*9), Bias: randoms(rng, 16)},
		{Name: "b", Cin: 16, Cout: 16, Kernel: randoms(rng, 16*16*9), Bias: randoms(rng, 16)},
		{Name: "c", Cin: 16, Cout: 8, Kernel: randoms(rng, 8*16*9), Bias: randoms(rng, 8)},
	}
	return run(t, x, 3, h, w, dyw, func(n *G.Node) (*G.Node, error) {
		a, err := ConvReLU(ws, convs[0], n)
		if err != nil {
			return nil, err
		}
		b, err := ConvReLU(ws, convs[1], a)
		if err != nil {
			return nil, err
		}
		p, err := Pool2x2(ws, "p", AvgPool, b)
		if err != nil {
			return nil, err
		}
		if transient {
			for _, m := range []*G.Node{a, b, p} {
				if err := ws.Transient(m); err != nil {
					return nil, err
				}
			}
		}
		return ConvReLU(ws, convs[2], p)
	})
}

// TestTransientOutputs checks that sharing the memory of intermediate
// outputs and gradients between ops changes no result, bit for bit.
func TestTransientOutputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const h, w = 37, 50
	x, dyw := randoms(rng, 3*h*w), randoms(rng, 8*(h/2)*(w/2))
	for _, algo := range []Algorithm{GEMM, Winograd} {
		t.Run(algo.String(), func(t *testing.T) {
			results := map[bool][2][]float32{}
			for _, transient := range []bool{false, true} {
				ws := NewWorkspace()
				if err := ws.SetAlgorithm(algo); err != nil {
					t.Skip(err)
				}
				out, dx := chain(t, ws, transient, x, dyw, h, w)
				if transient && ws.SlotBytes() == 0 {
					t.Error("transient outputs did not use the shared slots")
				}
				results[transient] = [2][]float32{out, dx}
			}
			for i, name := range []string{"output", "input gradient"} {
				a, b := results[false][i], results[true][i]
				for j := range a {
					if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
						t.Fatalf("%s %d: %g with own memory, %g with shared slots", name, j, a[j], b[j])
					}
				}
			}
		})
	}
}

// TestRelease checks that a released output's memory serves the next graph.
func TestRelease(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	c := Conv{Name: "c", Cin: 3, Cout: 4, Kernel: randoms(rng, 4*3*9), Bias: randoms(rng, 4)}
	ws := NewWorkspace()
	build := func() (*G.Node, G.VM) {
		g := G.NewGraph()
		x := G.NewTensor(g, tensor.Float32, 3, G.WithShape(3, 5, 6), G.WithName("x"))
		y, err := ConvReLU(ws, c, x)
		if err != nil {
			t.Fatal(err)
		}
		if err := G.Let(x, tensor.New(tensor.WithShape(3, 5, 6), tensor.WithBacking(randoms(rng, 90)))); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return y, vm
	}
	y1, vm1 := build()
	first := &y1.Value().Data().([]float32)[0]
	vm1.Close()
	ws.Release(y1)
	y2, vm2 := build()
	defer vm2.Close()
	if &y2.Value().Data().([]float32)[0] != first {
		t.Error("the second graph's output did not reuse the released memory")
	}
}
