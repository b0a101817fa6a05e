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
				_, st, grad, err := benchStage(m, size, conv)
				if err != nil {
					b.Fatal(err)
				}
				defer st.close()
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
