package transfer

import (
	"fmt"
	"testing"
)

// BenchmarkIteration times one evaluation of the paper's objective (forward
// to conv5_1, losses, backward to the image) with each convolution
// algorithm; `go test -bench Iteration -cpuprofile cpu.out ./transfer`
// shows where an iteration's time goes.
func BenchmarkIteration(b *testing.B) {
	m := sharedModel(b)
	for _, size := range []int{256, 512} {
		for _, conv := range []string{"auto", "gemm"} {
			b.Run(fmt.Sprintf("%dpx/%s", size, conv), func(b *testing.B) {
				cfg := Defaults()
				cfg.ContentImage, cfg.Styles = gradient(size), []Style{{Image: gradient(size)}}
				cfg.Size, cfg.Convolution = size, conv
				p, err := cfg.Resolve()
				if err != nil {
					b.Fatal(err)
				}
				st, err := newStage(m, p, 0, nil)
				if err != nil {
					b.Fatal(err)
				}
				defer st.close()
				grad := make([]float32, len(st.x))
				if _, err := st.obj.eval(st.x, grad); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := st.obj.eval(st.x, grad); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
