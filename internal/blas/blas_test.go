package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGram checks Gram against F*F^T in float64 for several sizes and worker counts.
func TestGram(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []int{1, 2, 7, 64, 129} {
		for _, workers := range []int{1, 2, 3} {
			const m = 53
			f := make([]float32, c*m)
			for i := range f {
				f[i] = float32(rng.NormFloat64())
			}
			g := make([]float32, c*c)
			Gram(workers, c, m, 0.5, f, g)
			for i := 0; i < c; i++ {
				for j := 0; j < c; j++ {
					var want float64
					for k := 0; k < m; k++ {
						want += float64(f[i*m+k]) * float64(f[j*m+k])
					}
					if d := math.Abs(float64(g[i*c+j]) - 0.5*want); d > 1e-4*math.Max(1, math.Abs(want)) {
						t.Fatalf("c=%d, %d workers: G[%d][%d] = %g, want %g", c, workers, i, j, g[i*c+j], 0.5*want)
					}
				}
			}
		}
	}
}

// BenchmarkGram compares Gram with a full Sgemm split by rows, for
// conv1_1's and conv3_1's responses at 256 px.
func BenchmarkGram(b *testing.B) {
	SetThreads(1)
	for _, s := range []struct{ c, m int }{{64, 256 * 256}, {256, 64 * 64}} {
		f := make([]float32, s.c*s.m)
		for i := range f {
			f[i] = float32(i%7) - 3
		}
		g := make([]float32, s.c*s.c)
		b.Run(fmt.Sprintf("%dx%d/syrk", s.c, s.m), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Gram(2, s.c, s.m, 1, f, g)
			}
		})
		b.Run(fmt.Sprintf("%dx%d/gemm", s.c, s.m), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				SgemmRows(2, false, true, s.c, s.c, s.m, 1, f, s.m, f, s.m, 0, g, s.c)
			}
		})
	}
}

// TestCgemm checks Cgemm, with four and with three real products, against
// the complex products summed in complex128.
func TestCgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []complex64 {
		v := make([]complex64, n)
		for i := range v {
			v[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
		return v
	}
	for _, gauss := range []bool{false, true} {
		for _, s := range []struct{ m, n, k int }{{1, 1, 1}, {3, 5, 7}, {64, 33, 129}} {
			a, b, c := random(s.m*s.k), random(s.k*s.n), make([]complex64, s.m*s.n)
			Cgemm(gauss, s.m, s.n, s.k, a, b, c)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					var want complex128
					for l := 0; l < s.k; l++ {
						want += complex128(a[i*s.k+l]) * complex128(b[l*s.n+j])
					}
					got := complex128(c[i*s.n+j])
					if d := got - want; math.Hypot(real(d), imag(d)) > 1e-4*math.Max(1, math.Hypot(real(want), imag(want))) {
						t.Fatalf("gauss %v, %dx%dx%d: C[%d][%d] = %v, want %v", gauss, s.m, s.n, s.k, i, j, got, want)
					}
				}
			}
		}
	}
}
