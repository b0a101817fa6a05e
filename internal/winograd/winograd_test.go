package winograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// split is a Parallel over workers goroutines.
func split(workers int) Parallel {
	return func(n int, fn func(worker, lo, hi int)) {
		var wg sync.WaitGroup
		for k := 0; k < workers; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn(k, n*k/workers, n*(k+1)/workers)
			}()
		}
		wg.Wait()
	}
}

func randoms(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// isas lists the instruction sets this machine can test.
func isas(t testing.TB) []ISA {
	var out []ISA
	for _, i := range []ISA{AVX2, WideAVX2, AVX512} {
		if i.Supported() {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		t.Skip("no AVX2 with FMA: the winograd kernels cannot run here")
	}
	return out
}

// direct computes the forward pass and input gradient in float64.
func direct(kernel, bias, x, dy []float32, cin, cout, h, w int) (y, dx []float64) {
	at := func(ch, yy, xx int) float64 {
		if yy < 0 || yy >= h || xx < 0 || xx >= w {
			return 0
		}
		return float64(x[(ch*h+yy)*w+xx])
	}
	y = make([]float64, cout*h*w)
	dx = make([]float64, cin*h*w)
	for o := 0; o < cout; o++ {
		for yy := 0; yy < h; yy++ {
			for xx := 0; xx < w; xx++ {
				sum := float64(bias[o])
				for i := 0; i < cin; i++ {
					for k := 0; k < 9; k++ {
						sum += float64(kernel[(o*cin+i)*9+k]) * at(i, yy+k/3-1, xx+k%3-1)
					}
				}
				y[(o*h+yy)*w+xx] = math.Max(sum, 0)
				if sum <= 0 {
					continue
				}
				g := float64(dy[(o*h+yy)*w+xx])
				for i := 0; i < cin; i++ {
					for k := 0; k < 9; k++ {
						iy, ix := yy+k/3-1, xx+k%3-1
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							dx[(i*h+iy)*w+ix] += g * float64(kernel[(o*cin+i)*9+k])
						}
					}
				}
			}
		}
	}
	return y, dx
}

// relErr is |got-want| / |want| in the L2 norm.
func relErr(got []float32, want []float64) float64 {
	var num, den float64
	for i, v := range want {
		d := float64(got[i]) - v
		num += d * d
		den += v * v
	}
	return math.Sqrt(num / den)
}

// TestAgainstDirect checks both passes of every tile size and instruction
// set against float64 direct convolution, on shapes with partial tiles,
// partial groups, channel counts that are not multiples of 4, and images
// large enough to need several blocks.
func TestAgainstDirect(t *testing.T) {
	shapes := []struct{ cin, cout, h, w int }{
		{3, 64, 13, 29},
		{16, 6, 7, 5},
		{5, 7, 1, 1},
		{64, 24, 41, 50},
		{256, 12, 40, 40},
	}
	limits := map[int]float64{2: 1e-6, 4: 1e-5, 6: 1e-4}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		kernel, bias := randoms(rng, s.cout*s.cin*9), randoms(rng, s.cout)
		x, dy := randoms(rng, s.cin*s.h*s.w), randoms(rng, s.cout*s.h*s.w)
		wantY, wantDx := direct(kernel, bias, x, dy, s.cin, s.cout, s.h, s.w)
		for _, isa := range isas(t) {
			for _, tile := range Tiles() {
				for _, c := range []struct {
					workers int
					blas    bool
				}{{1, false}, {2, false}, {3, false}, {2, true}} {
					workers, blas := c.workers, c.blas
					t.Run(fmt.Sprintf("%dx%dx%dx%d/%v/F%d/%dworkers/blas=%v", s.cin, s.cout, s.h, s.w, isa, tile, workers, blas), func(t *testing.T) {
						f, err := NewFilter(tile, s.cout, s.cin, kernel, nil)
						if err != nil {
							t.Fatal(err)
						}
						r := &Runner{ISA: isa, Parallel: split(workers), Workers: workers, BLAS: blas}
						y := make([]float32, s.cout*s.h*s.w)
						dx := make([]float32, s.cin*s.h*s.w)
						mask := make([]byte, MaskBytes(s.cout, s.h, s.w))
						f.Forward(r, x, bias, y, mask, s.h, s.w)
						f.Backward(r, dy, mask, dx, s.h, s.w)
						if e := relErr(y, wantY); e > limits[tile] {
							t.Errorf("output: relative error %.3g", e)
						}
						if e := relErr(dx, wantDx); e > limits[tile] {
							t.Errorf("input gradient: relative error %.3g", e)
						}
						for i, v := range wantY {
							if bit := mask[i/(s.h*s.w)*s.h*((s.w+7)/8)+(i/s.w%s.h)*((s.w+7)/8)+i%s.w/8] >> (i % s.w % 8) & 1; (bit == 1) != (y[i] > 0) {
								t.Fatalf("mask bit %d is %d for output %g (float64 %g)", i, bit, y[i], v)
							}
						}
					})
				}
			}
		}
	}
}

// TestDeterministic checks that repeated calls, with any number of
// workers, give the same bits.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const cin, cout, h, w = 64, 32, 45, 61
	kernel, bias := randoms(rng, cout*cin*9), randoms(rng, cout)
	x, dy := randoms(rng, cin*h*w), randoms(rng, cout*h*w)
	f, err := NewFilter(4, cout, cin, kernel, nil)
	if err != nil {
		t.Fatal(err)
	}
	isa := isas(t)[0]
	var first []float32
	for _, workers := range []int{1, 2, 2, 3} {
		r := &Runner{ISA: isa, Parallel: split(workers), Workers: workers}
		y, dx := make([]float32, cout*h*w), make([]float32, cin*h*w)
		mask := make([]byte, MaskBytes(cout, h, w))
		f.Forward(r, x, bias, y, mask, h, w)
		f.Backward(r, dy, mask, dx, h, w)
		got := append(y, dx...)
		if first == nil {
			first = got
			continue
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
				t.Fatalf("%d workers: value %d is %g, first run %g", workers, i, got[i], first[i])
			}
		}
	}
}

// TestMatrices checks the generated F(4,3) against Lavin and Gray's, up to
// the sign of rows that the scaling may flip.
func TestMatrices(t *testing.T) {
	lavin := [][]float64{{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}}
	bt := transforms[4].bt
	for i, row := range lavin {
		sign := 1.0
		if row[1]*bt[i][1] < 0 || row[0]*bt[i][0] < 0 {
			sign = -1
		}
		for j, v := range row {
			if bt[i][j] != sign*v {
				t.Fatalf("BT row %d is %v, want ±%v", i, bt[i], row)
			}
		}
	}
}
