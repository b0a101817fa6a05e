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
