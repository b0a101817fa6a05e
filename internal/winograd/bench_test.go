package winograd

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// report adds GFLOP/s by wall time and per core by CPU time, which the
// other processes on a shared machine disturb less.
func report(b *testing.B, flops float64, cpu0 time.Duration) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(flops*float64(b.N)/(cpuTime()-cpu0).Seconds()/1e9, "GFLOP/cpu-s")
}

// BenchmarkVGG times both passes on VGG-19's layer shapes at a 256 px
// input, reporting direct-convolution GFLOP/s (2*9*C*K*H*W per pass).
func BenchmarkVGG(b *testing.B) {
	shapes := []struct{ cin, cout, size int }{{3, 64, 256}, {64, 64, 256}, {128, 128, 128}, {256, 256, 64}, {512, 512, 32}, {512, 512, 16}}
	rng := rand.New(rand.NewPCG(1, 2))
	const workers = 1 // one core: CPU time then measures the kernels, not the sharing
	for _, s := range shapes {
		kernel, bias := randoms(rng, s.cout*s.cin*9), randoms(rng, s.cout)
		x, dy := randoms(rng, s.cin*s.size*s.size), randoms(rng, s.cout*s.size*s.size)
		y, dx := make([]float32, len(dy)), make([]float32, len(x))
		mask := make([]byte, MaskBytes(s.cout, s.size, s.size))
		flops := 2 * 9 * float64(s.cin*s.cout*s.size*s.size)
		for _, tile := range Tiles() {
			f, _ := NewFilter(tile, s.cout, s.cin, kernel, nil)
			for _, blas := range []bool{false, true} {
				r := &Runner{ISA: Detect(), Parallel: split(workers), Workers: workers, BLAS: blas}
				products := map[bool]string{false: "kernel", true: "openblas"}[blas]
				b.Run(fmt.Sprintf("%dx%dx%d/F%d/%s/forward", s.cin, s.cout, s.size, tile, products), func(b *testing.B) {
					cpu0 := cpuTime()
					for i := 0; i < b.N; i++ {
						f.Forward(r, x, bias, y, mask, s.size, s.size)
					}
					report(b, flops, cpu0)
				})
				b.Run(fmt.Sprintf("%dx%dx%d/F%d/%s/backward", s.cin, s.cout, s.size, tile, products), func(b *testing.B) {
					cpu0 := cpuTime()
					for i := 0; i < b.N; i++ {
						f.Backward(r, dy, mask, dx, s.size, s.size)
					}
					report(b, flops, cpu0)
				})
			}
		}
	}
}

// BenchmarkNewFilter transforms a 512x512 layer's kernels (done once per weights).
func BenchmarkNewFilter(b *testing.B) {
	kernel := randoms(rand.New(rand.NewPCG(1, 2)), 512*512*9)
	for i := 0; i < b.N; i++ {
		if _, err := NewFilter(4, 512, 512, kernel, split(2)); err != nil {
			b.Fatal(err)
		}
	}
}
