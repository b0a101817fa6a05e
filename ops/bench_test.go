package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// vggLayers are VGG-19's convolution shapes up to conv5_1 for a 256 px
// input: input channels, output channels, side.
var vggLayers = []struct {
	name            string
	cin, cout, side int
}{
	{"conv1_1", 3, 64, 256}, {"conv1_2", 64, 64, 256},
	{"conv2_1", 64, 128, 128}, {"conv2_2", 128, 128, 128},
	{"conv3_1", 128, 256, 64}, {"conv3_2", 256, 256, 64},
	{"conv4_1", 256, 512, 32}, {"conv4_2", 512, 512, 32},
	{"conv5_1", 512, 512, 16},
}

// BenchmarkConv times each VGG-19 layer's forward pass (with bias, ReLU and
// mask) and input gradient with each algorithm, reporting direct-convolution
// GFLOP/s (2*9*Cin*Cout*H*W per pass).
func BenchmarkConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range vggLayers {
		c := Conv{Name: l.name, Cin: l.cin, Cout: l.cout, Kernel: randoms(rng, l.cout*l.cin*9), Bias: randoms(rng, l.cout)}
		h, w := l.side, l.side
		x, dy := randoms(rng, l.cin*h*w), randoms(rng, l.cout*h*w)
		y, dx := make([]float32, len(dy)), make([]float32, len(x))
		mask := make([]byte, l.cout*h*((w+7)/8))
		flops := 2 * 9 * float64(l.cin*l.cout*h*w)
		for _, algo := range []Algorithm{Winograd, GEMM} {
			ws := NewWorkspace()
			if err := ws.SetAlgorithm(algo); err != nil {
				b.Skip(err)
			}
			b.Run(fmt.Sprintf("%s/%v/forward", l.name, algo), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if err := ws.convForward(c, x, y, mask, h, w); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			b.Run(fmt.Sprintf("%s/%v/backward", l.name, algo), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if err := ws.convBackward(c, dy, mask, dx, h, w); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkPool times 2x2 pooling of conv1_2's response at 256 px and its gradient.
func BenchmarkPool(b *testing.B) {
	const c, h, w = 64, 256, 256
	rng := rand.New(rand.NewPCG(3, 4))
	x, dy := randoms(rng, c*h*w), randoms(rng, c*h*w/4)
	out, dx := make([]float32, c*h*w/4), make([]float32, c*h*w)
	argmax := make([]int32, len(out))
	ws := NewWorkspace()
	for _, kind := range []Pooling{MaxPool, AvgPool} {
		b.Run(kind.String()+"/forward", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ws.parallel(c, func(_, lo, hi int) { pool(kind, x, out, argmax, lo, hi, h, w, h/2, w/2) })
			}
			b.SetBytes(int64(4 * (len(x) + len(out))))
		})
		b.Run(kind.String()+"/backward", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ws.parallel(c, func(_, lo, hi int) { unpool(kind, dy, dx, argmax, lo, hi, h, w, h/2, w/2) })
			}
			b.SetBytes(int64(4 * (len(dx) + len(dy))))
		})
	}
}
