package ops

import (
	"runtime"
	"sync"

	"github.com/stylelab/stylelab/internal/blas"
)

// Workspace holds the scratch memory shared by a network's ops and runs
// their kernels on all cores. Ops run one at a time, so one workspace serves
// them all; its buffers grow to the largest request and are then reused.
//
// Kernels split their work across goroutines themselves and call OpenBLAS
// single-threaded: OpenBLAS's own threads would spin between calls and take
// the cores the Go parts of the kernels need.
type Workspace struct {
	workers int
	cols    [][]float32 // one im2col buffer per worker
}

// NewWorkspace returns a workspace whose kernels use every core Go may use.
func NewWorkspace() *Workspace {
	blas.SetThreads(1)
	n := runtime.GOMAXPROCS(0)
	return &Workspace{workers: n, cols: make([][]float32, n)}
}

// colBudget bounds each worker's im2col buffer (in floats): convolutions are
// tiled by image rows so that a tile's columns fit in it.
const colBudget = 1 << 19

// col returns worker k's column buffer with room for n floats.
func (ws *Workspace) col(k, n int) []float32 {
	if cap(ws.cols[k]) < n {
		ws.cols[k] = make([]float32, n)
	}
	return ws.cols[k][:n]
}

// parallel splits [0,n) into one contiguous range per worker and runs
// f(worker, lo, hi) on each.
func (ws *Workspace) parallel(n int, f func(k, lo, hi int)) {
	w := min(ws.workers, n)
	if w <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := n*k/w, n*(k+1)/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(k, lo, hi)
		}()
	}
	wg.Wait()
}
