package ops

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/stylelab/stylelab/internal/blas"
	"github.com/stylelab/stylelab/internal/winograd"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Algorithm is how 3x3 convolutions are computed. Both give the same
// results up to float32 rounding; runs record which one they used.
type Algorithm int

const (
	// Winograd is Winograd's minimal filtering F(4x4,3x3) (Lavin and Gray
	// 2016) with vectorised kernels for AVX2/FMA or AVX-512: 4 times fewer
	// multiplications than direct convolution, features within 1e-5
	// (relative, L2) of it on VGG-19.
	Winograd Algorithm = iota
	// GEMM is im2col followed by OpenBLAS sgemm: direct convolution.
	GEMM
	// Winograd2 is F(2x2,3x3): more precise, 2.25 times fewer multiplications.
	Winograd2
	// Winograd6 is F(6x6,3x3): 5 times fewer multiplications, less precise.
	Winograd6
)

var algorithmNames = []string{"winograd", "gemm", "winograd-f2", "winograd-f6"}

func (a Algorithm) String() string {
	if a < 0 || int(a) >= len(algorithmNames) {
		return fmt.Sprintf("Algorithm(%d)", int(a))
	}
	return algorithmNames[a]
}

// ParseAlgorithm reads an algorithm's name: "winograd", "gemm",
// "winograd-f2" or "winograd-f6".
func ParseAlgorithm(s string) (Algorithm, error) {
	for i, n := range algorithmNames {
		if s == n {
			return Algorithm(i), nil
		}
	}
	return 0, fmt.Errorf("ops: unknown convolution algorithm %q: use one of %s", s, strings.Join(algorithmNames, ", "))
}

// Preferred is the fastest algorithm this CPU supports: Winograd where it
// has AVX2 and FMA or AVX-512, GEMM elsewhere.
func Preferred() Algorithm {
	if winograd.Detect() == winograd.None {
		return GEMM
	}
	return Winograd
}

// Supported says why this CPU cannot run a, or nil when it can.
func Supported(a Algorithm) error {
	if a < 0 || int(a) >= len(algorithmNames) {
		return fmt.Errorf("ops: unknown convolution algorithm %d", int(a))
	}
	if a != GEMM && winograd.Detect() == winograd.None {
		return fmt.Errorf("ops: %v convolution needs a CPU with AVX2 and FMA or AVX-512: use %v", a, GEMM)
	}
	return nil
}

// tile is the Winograd output tile side (0 for GEMM).
func (a Algorithm) tile() int {
	return map[Algorithm]int{Winograd: 4, Winograd2: 2, Winograd6: 6}[a]
}

// Workspace holds the scratch memory shared by a network's ops and runs
// their kernels on all cores. Ops run one at a time, so one workspace serves
// them all; its buffers grow to the largest request and are then reused.
// It also keeps each convolution's filters in the Winograd domain,
// transformed on first use: a kernel must not change once used.
//
// Kernels split their work across goroutines themselves and call OpenBLAS
// single-threaded: OpenBLAS's own threads would spin between calls and take
// the cores the Go parts of the kernels need. Each kernel splits its work the
// same way every time, so results do not depend on timing.
type Workspace struct {
	workers int
	cols    [][]float32 // one im2col buffer per worker
	algo    Algorithm
	isa     winograd.ISA
	filters map[filterKey]*winograd.Filter
	runner  winograd.Runner
	slots   [2][]float32        // outputs that live only until the next op has read them
	pool    map[int][][]float32 // released outputs by length, for later graphs
}

// filterKey identifies a kernel's transformed filters: its memory and tile size.
type filterKey struct {
	kernel *float32
	n      int
	tile   int
}

// NewWorkspace returns a workspace whose kernels use every core Go may use,
// with the Preferred convolution algorithm; SetAlgorithm chooses another.
func NewWorkspace() *Workspace {
	blas.SetThreads(1)
	n := runtime.GOMAXPROCS(0)
	ws := &Workspace{workers: n, cols: make([][]float32, n), isa: winograd.Detect(), filters: map[filterKey]*winograd.Filter{}, pool: map[int][][]float32{}}
	ws.runner = winograd.Runner{ISA: ws.isa, Parallel: ws.parallel, Workers: n}
	ws.algo = Preferred()
	return ws
}

// Algorithm returns the convolution algorithm in use.
func (ws *Workspace) Algorithm() Algorithm { return ws.algo }

// SetAlgorithm chooses the convolution algorithm for the ops that run next.
// Winograd needs a CPU with AVX2 and FMA, or AVX-512.
func (ws *Workspace) SetAlgorithm(a Algorithm) error {
	if err := Supported(a); err != nil {
		return err
	}
	ws.algo = a
	return nil
}

// ISA names the instruction set of the Winograd kernels ("avx2", "avx512",
// or "none" where the CPU has neither).
func (ws *Workspace) ISA() string { return ws.isa.String() }

// FilterBytes is the memory the transformed filters hold.
func (ws *Workspace) FilterBytes() int64 {
	var n int64
	for _, f := range ws.filters {
		n += f.Bytes()
	}
	return n
}

// filter returns c's kernels transformed for tile, transforming them on first use.
func (ws *Workspace) filter(c Conv, tile int) (*winograd.Filter, error) {
	key := filterKey{&c.Kernel[0], len(c.Kernel), tile}
	if f, ok := ws.filters[key]; ok {
		return f, nil
	}
	f, err := winograd.NewFilter(tile, c.Cout, c.Cin, c.Kernel, ws.parallel)
	if err != nil {
		return nil, err
	}
	ws.filters[key] = f
	return f, nil
}

// Transient marks n, the output of a conv or pooling op, as read by nothing
// but the next layer's forward pass: its memory is then shared with other
// transient outputs and gradients, and its value is overwritten once that
// layer has run. Graph builders mark every layer whose response no loss or
// caller reads.
func (ws *Workspace) Transient(n *G.Node) error {
	op, ok := n.Op().(*Op)
	if !ok {
		return fmt.Errorf("ops: %v is not the output of a Stylelab op", n)
	}
	op.release()
	op.transient = true
	return nil
}

// Release gives the memory of the outputs of nodes, made by Stylelab ops on
// this workspace, back to the workspace for the ops of later graphs, in
// place of what an earlier Release gave and no op took. Their values must
// not be read afterwards, nor their graph run again: graph builders call it
// when they discard a graph whose outputs they have copied.
func (ws *Workspace) Release(nodes ...*G.Node) {
	clear(ws.pool)
	for _, n := range nodes {
		if op, ok := n.Op().(*Op); ok && op.ws == ws {
			op.release()
		}
	}
}

// take returns n floats from the pool, or new memory.
func (ws *Workspace) take(n int) []float32 {
	if free := ws.pool[n]; len(free) > 0 {
		b := free[len(free)-1]
		ws.pool[n] = free[:len(free)-1]
		return b
	}
	return make([]float32, n)
}

// give puts b in the pool.
func (ws *Workspace) give(b []float32) { ws.pool[len(b)] = append(ws.pool[len(b)], b) }

// slot gives n floats of the two buffers that transient outputs and the
// backward pass's gradients share: the one that does not hold in, the
// input being read. A value in a slot lives until the op after its reader
// runs: forward layers and the backward chain each run one after the other.
func (ws *Workspace) slot(n int, in []G.Value) []float32 {
	i := 0
	for _, v := range in {
		if d, ok := v.(*tensor.Dense); ok && d.Size() > 0 && len(ws.slots[0]) > 0 && &d.Data().([]float32)[0] == &ws.slots[0][0] {
			i = 1
		}
	}
	if cap(ws.slots[i]) < n {
		ws.slots[i] = make([]float32, n)
	}
	ws.slots[i] = ws.slots[i][:cap(ws.slots[i])]
	return ws.slots[i][:n]
}

// SlotBytes is the memory the shared slots hold.
func (ws *Workspace) SlotBytes() int64 { return 4 * int64(cap(ws.slots[0])+cap(ws.slots[1])) }

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
