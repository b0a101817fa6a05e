package winograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stylelab/stylelab/internal/blas"
)

// BenchmarkFFTProducts weighs FFT convolution (Zlateski et al., ICS 2019)
// against Winograd on BenchmarkVGG's shapes by the stage that dominates it
// at VGG's channel counts: the products in the frequency domain. With
// overlap-save tiles of n x n (n-2 outputs a side) and real FFTs, each of
// the n*(n/2+1) frequencies multiplies a cout x cin complex kernel matrix
// by a cin x tiles complex input matrix (cgemm, or cgemm3m with Gauss's
// three real products). It reports GFLOP/s of the direct convolution
// (2*9*C*K*H*W) as if the convolution took only these products: an upper
// bound on FFT convolution's speed, to set beside BenchmarkVGG's
// F4/kernel/forward, which includes Winograd's transforms.
//
//	go test ./internal/winograd -run '^$' -bench 'FFTProducts|VGG/.*/F4/kernel/forward'
func BenchmarkFFTProducts(b *testing.B) {
	shapes := []struct{ cin, cout, size int }{{3, 64, 256}, {64, 64, 256}, {128, 128, 128}, {256, 256, 64}, {512, 512, 32}, {512, 512, 16}}
	rng := rand.New(rand.NewPCG(1, 2))
	threads := blas.Threads()
	blas.SetThreads(1) // one core, as BenchmarkVGG
	defer blas.SetThreads(threads)
	random := func(n int) []complex64 {
		v := make([]complex64, n)
		for i := range v {
			v[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
		return v
	}
	for _, s := range shapes {
		flops := 2 * 9 * float64(s.cin*s.cout*s.size*s.size)
		for _, n := range []int{8, 16, 32} {
			side := (s.size + n - 3) / (n - 2) // tiles along a side
			tiles, freqs := side*side, n*(n/2+1)
			for _, gauss := range []bool{false, true} {
				name := map[bool]string{false: "cgemm", true: "cgemm3m"}[gauss]
				b.Run(fmt.Sprintf("%dx%dx%d/tile%d/%s", s.cin, s.cout, s.size, n, name), func(b *testing.B) {
					// The kernels in the frequency domain alone take this much memory.
					if bytes := 8 * freqs * s.cout * s.cin; bytes > 1<<30 {
						b.Skipf("kernels in the frequency domain need %d MiB", bytes>>20)
					}
					w, x := random(freqs*s.cout*s.cin), random(freqs*s.cin*tiles)
					y := make([]complex64, freqs*s.cout*tiles)
					b.ResetTimer()
					cpu0 := cpuTime()
					for range b.N {
						for f := range freqs {
							blas.Cgemm(gauss, s.cout, tiles, s.cin, w[f*s.cout*s.cin:], x[f*s.cin*tiles:], y[f*s.cout*tiles:])
						}
					}
					report(b, flops, cpu0)
				})
			}
		}
	}
}
