package ops

import (
	"runtime"
	"sync"
)

// Workspace holds the scratch memory shared by a network's ops. Ops run one
// at a time, so one workspace serves them all; it grows to the largest
// request and is then reused.
type Workspace struct {
	col     []float32
	workers int
}

// NewWorkspace returns a workspace whose kernels use all available cores.
func NewWorkspace() *Workspace { return &Workspace{workers: runtime.GOMAXPROCS(0)} }

// colBudget bounds the im2col buffer (in floats): convolutions are tiled by
// image rows so that a tile's columns fit in it.
const colBudget = 1 << 22

func (ws *Workspace) cols(n int) []float32 {
	if cap(ws.col) < n {
		ws.col = make([]float32, n)
	}
	return ws.col[:n]
}

// parallel runs f(i) for i in [0,n) on the workspace's workers.
func (ws *Workspace) parallel(n int, f func(lo, hi int)) {
	w := ws.workers
	if w > n {
		w = n
	}
	if w <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := n*k/w, n*(k+1)/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
