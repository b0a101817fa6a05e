package winograd

//go:generate go run ./gen

/*
#cgo CFLAGS: -O3 -std=gnu11 -Wall -Wno-unused-function
#cgo LDFLAGS: -lopenblas
#include "winograd.h"
*/
import "C"

import (
	"fmt"

	"golang.org/x/sys/cpu"
)

// ISA is an instruction set the kernels are compiled for.
type ISA int

const (
	// None means the CPU has neither AVX2 with FMA nor AVX-512: use another algorithm.
	None ISA = iota
	// AVX2 is AVX2 with FMA, 8 floats per vector.
	AVX2
	// AVX512 is AVX-512F, 16 floats per vector.
	AVX512
	// WideAVX2 is the AVX-512 code's 16-float logic compiled for AVX2, for tests.
	WideAVX2
)

func (i ISA) String() string {
	return [...]string{"none", "avx2", "avx512", "wide-avx2"}[i]
}

// Detect returns the widest instruction set this CPU runs.
func Detect() ISA {
	switch {
	case cpu.X86.HasAVX512F:
		return AVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return AVX2
	}
	return None
}

// Supported reports whether this CPU runs isa's kernels.
func (i ISA) Supported() bool {
	switch i {
	case AVX2, WideAVX2:
		return cpu.X86.HasAVX2 && cpu.X86.HasFMA
	case AVX512:
		return cpu.X86.HasAVX512F
	}
	return false
}

func (i ISA) width() int {
	if i == AVX2 {
		return 8
	}
	return 16
}

// Tiles lists the output tile sides the kernels implement.
func Tiles() []int { return []int{2, 4, 6} }

// matrices are F(m,3)'s transforms: BT (n x n), G (n x 3), AT (m x n), n = m+2.
type matrices struct{ bt, g, at [][]float64 }

// Filter is a layer's 3x3 kernels in the Winograd domain, U[e][k][c] =
// (G g[k][c] G^T)[e] for the n*n elements e, used by both passes.
type Filter struct {
	tile, k, c int
	u          []float32
}

// NewFilter transforms kernel ([k][c][3][3]) for output tiles of side tile,
// its output channels split by par (nil: in this goroutine).
func NewFilter(tile, k, c int, kernel []float32, par Parallel) (*Filter, error) {
	t, ok := transforms[tile]
	if !ok {
		return nil, fmt.Errorf("winograd: no F(%dx%d,3x3): use a tile of 2, 4 or 6", tile, tile)
	}
	if len(kernel) != k*c*9 {
		return nil, fmt.Errorf("winograd: kernel has %d values, want %dx%dx3x3", len(kernel), k, c)
	}
	n := tile + 2
	// Rows past the end are read (and discarded) by the four-row GEMM kernel.
	f := &Filter{tile: tile, k: k, c: c, u: make([]float32, n*n*k*c+4*max(k, c))}
	var gm [8][3]float64 // G
	for a := 0; a < n; a++ {
		copy(gm[a][:], t.g[a])
	}
	if par == nil {
		par = func(n int, fn func(worker, lo, hi int)) { fn(0, 0, n) }
	}
	par(k, func(_, lo, hi int) { f.transform(&gm, n, kernel, lo, hi) })
	return f, nil
}

// transform fills U for output channels [lo,hi).
func (f *Filter) transform(gm *[8][3]float64, n int, kernel []float32, lo, hi int) {
	k, c := f.k, f.c
	var gg [8][3]float64
	for o := lo; o < hi; o++ {
		for i := 0; i < c; i++ {
			g := (*[9]float32)(kernel[(o*c+i)*9:])
			for a := 0; a < n; a++ { // gg = G g
				ga := &gm[a]
				for b := 0; b < 3; b++ {
					gg[a][b] = ga[0]*float64(g[b]) + ga[1]*float64(g[3+b]) + ga[2]*float64(g[6+b])
				}
			}
			u := f.u[o*c+i:]
			for a := 0; a < n; a++ { // (G g) G^T
				r := &gg[a]
				for b := 0; b < n; b++ {
					gb := &gm[b]
					u[(a*n+b)*k*c] = float32(r[0]*gb[0] + r[1]*gb[1] + r[2]*gb[2])
				}
			}
		}
	}
}

// Tile is the side of the output tiles the filter was transformed for.
func (f *Filter) Tile() int { return f.tile }

// Bytes is the memory the transformed filter holds.
func (f *Filter) Bytes() int64 { return int64(len(f.u)) * 4 }

// Parallel runs fn on a split of [0,n) into one contiguous range per worker,
// the same split for the same n, and returns when all are done.
type Parallel func(n int, fn func(worker, lo, hi int))

// Runner runs convolutions: on which instruction set and workers, and in
// which scratch memory, reused between calls. A Runner must not run two
// convolutions at the same time.
type Runner struct {
	ISA      ISA
	Parallel Parallel
	Workers  int // the most workers Parallel uses
	// BLAS computes the products with OpenBLAS sgemm calls, one per
	// transform element and block of tiles, instead of the micro-kernel.
	BLAS bool

	v   []float32   // the block's transformed input (blocked strategy)
	m   []float32   // the block's products (blocked strategy)
	own [][]float32 // each worker's own memory
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// Cache budgets in bytes. The panel strategy keeps a panel's transformed
// input (n*n*cin*NR floats) within panelBudget, a core's L2 cache, and its
// products within chunkBudget. The blocked strategy sizes blocks so that
// one transform element's slice of the input stays within sliceBudget while
// every output channel is computed from it, and the block's products within
// blockBudget.
const (
	panelBudget = 512 << 10
	chunkBudget = 96 << 10
	sliceBudget = 256 << 10
	blockBudget = 12 << 20
)

// MaskBytes is the size of the ReLU mask of a (c,h,w) output: a bit per
// value, a byte per 8 columns of each row.
func MaskBytes(c, h, w int) int { return c * h * ((w + 7) / 8) }

// Forward computes y = relu(conv(x, kernel) + bias) for x (C,H,W) and y
// (K,H,W), and sets mask's bit of each positive output (mask may be nil).
func (f *Filter) Forward(r *Runner, x, bias, y []float32, mask []byte, h, w int) {
	f.run(r, false, x, bias, y, mask, h, w)
}

// Backward computes dx, the gradient of the input of Forward, from dy, the
// gradient of its output, which it first zeroes where mask's bit is clear.
func (f *Filter) Backward(r *Runner, dy []float32, mask []byte, dx []float32, h, w int) {
	f.run(r, true, dy, nil, dx, mask, h, w)
}

// ptr is a slice's first element as a C pointer (nil for an empty slice).
func ptr(b []float32) *C.float {
	if len(b) == 0 {
		return nil
	}
	return (*C.float)(&b[0])
}

func (f *Filter) run(s *Runner, backward bool, in, bias, out []float32, mask []byte, h, w int) {
	isa, par, workers := s.ISA, s.Parallel, s.Workers
	cin, cout := f.c, f.k
	if backward {
		cin, cout = f.k, f.c
	}
	if !isa.Supported() {
		panic(fmt.Sprintf("winograd: this CPU lacks %v", isa))
	}
	if len(in) != cin*h*w || len(out) != cout*h*w || (len(mask) != MaskBytes(f.k, h, w) && (backward || mask != nil)) || (!backward && len(bias) != cout) {
		panic(fmt.Sprintf("winograd: buffers %d, %d, mask %d for %d->%d channels of %dx%d", len(in), len(out), len(mask), cin, cout, h, w))
	}
	m, vw := f.tile, isa.width()
	n, nr, pw := m+2, 3*vw, vw+1
	gw := ((w+m-1)/m + vw - 1) / vw
	ng := (h + m - 1) / m * gw
	panels := (ng + 2) / 3
	L := C.wg_layer{m: C.int(m), vw: C.int(vw), cin: C.int(cin), cout: C.int(cout), h: C.int(h), w: C.int(w), gw: C.int(gw)}
	if s.BLAS {
		L.blas = 1
	}
	if backward {
		L.backward = 1
	}
	var outMask *C.uint8_t
	if backward {
		stride := (w + 7) / 8
		par(cin, func(_, lo, hi int) {
			if lo < hi {
				C.wg_apply_mask(ptr(in[lo*h*w:]), (*C.uint8_t)(&mask[lo*h*stride]), C.long((hi-lo)*h), C.int(w))
			}
		})
	} else if len(mask) > 0 {
		outMask = (*C.uint8_t)(&mask[0])
	}
	tmp := n*m*pw + pw*m
	pin, pout, pu, pbias := ptr(in), ptr(out), ptr(f.u), ptr(bias)
	if len(s.own) < workers {
		s.own = append(s.own, make([][]float32, workers-len(s.own))...)
	}
	if !s.BLAS && n*n*cin*nr*4 <= panelBudget && panels >= 2*workers {
		kc := max(4, chunkBudget/(n*n*nr*4)/4*4)
		L.kc = C.int(kc)
		for k := range workers {
			s.own[k] = grow(s.own[k], n*n*(cin+kc)*nr+tmp)
		}
		panelFuncs[isa](&L, pin, pu, pbias, pout, outMask, par, s)
		return
	}
	// Blocked: panels per block.
	bp := max(1, min(sliceBudget/(cin*nr*4), blockBudget/(n*n*cout*nr*4), panels))
	bg, nbt := 3*bp, bp*nr
	s.v = grow(s.v, n*n*cin*nbt)
	s.m = grow(s.m, n*n*cout*nbt)
	for k := range workers {
		s.own[k] = grow(s.own[k], tmp)
	}
	input, output := inputFuncs[isa], outputFuncs[isa]
	pv, pm := ptr(s.v), ptr(s.m)
	for g0 := 0; g0 < ng; g0 += bg {
		g1 := min(ng, g0+bg)
		par(cin, func(k, lo, hi int) {
			input(&L, pin, C.int(g0), C.int(g1), C.int(lo), C.int(hi), pv, ptr(s.own[k]))
		})
		par((cout+3)/4, func(k, lo, hi int) {
			output(&L, pu, pv, pbias, pout, outMask, C.int(g0), C.int(g1), C.int(4*lo), C.int(min(cout, 4*hi)), pm)
		})
	}
}

type inputFunc func(L *C.wg_layer, in *C.float, g0, g1, c0, c1 C.int, v, tmp *C.float)
type outputFunc func(L *C.wg_layer, u, v, bias, out *C.float, mask *C.uint8_t, g0, g1, k0, k1 C.int, m *C.float)

// panelFunc runs the panel strategy, the workers splitting the panels.
type panelFunc func(L *C.wg_layer, in, u, bias, out *C.float, mask *C.uint8_t, par Parallel, s *Runner)

var inputFuncs = map[ISA]inputFunc{
	AVX2: func(L *C.wg_layer, in *C.float, g0, g1, c0, c1 C.int, v, tmp *C.float) {
		C.wg_input_avx2(L, in, g0, g1, c0, c1, v, tmp)
	},
	AVX512: func(L *C.wg_layer, in *C.float, g0, g1, c0, c1 C.int, v, tmp *C.float) {
		C.wg_input_avx512(L, in, g0, g1, c0, c1, v, tmp)
	},
	WideAVX2: func(L *C.wg_layer, in *C.float, g0, g1, c0, c1 C.int, v, tmp *C.float) {
		C.wg_input_wide_avx2(L, in, g0, g1, c0, c1, v, tmp)
	},
}

var outputFuncs = map[ISA]outputFunc{
	AVX2: func(L *C.wg_layer, u, v, bias, out *C.float, mask *C.uint8_t, g0, g1, k0, k1 C.int, m *C.float) {
		C.wg_output_avx2(L, u, v, bias, out, mask, g0, g1, k0, k1, m)
	},
	AVX512: func(L *C.wg_layer, u, v, bias, out *C.float, mask *C.uint8_t, g0, g1, k0, k1 C.int, m *C.float) {
		C.wg_output_avx512(L, u, v, bias, out, mask, g0, g1, k0, k1, m)
	},
	WideAVX2: func(L *C.wg_layer, u, v, bias, out *C.float, mask *C.uint8_t, g0, g1, k0, k1 C.int, m *C.float) {
		C.wg_output_wide_avx2(L, u, v, bias, out, mask, g0, g1, k0, k1, m)
	},
}

var panelFuncs = map[ISA]panelFunc{
	AVX2: func(L *C.wg_layer, in, u, bias, out *C.float, mask *C.uint8_t, par Parallel, s *Runner) {
		ng := int(L.h+L.m-1) / int(L.m) * int(L.gw)
		par((ng+2)/3, func(k, lo, hi int) {
			C.wg_panels_avx2(L, in, u, bias, out, mask, C.int(3*lo), C.int(min(ng, 3*hi)), ptr(s.own[k]))
		})
	},
	AVX512: func(L *C.wg_layer, in, u, bias, out *C.float, mask *C.uint8_t, par Parallel, s *Runner) {
		ng := int(L.h+L.m-1) / int(L.m) * int(L.gw)
		par((ng+2)/3, func(k, lo, hi int) {
			C.wg_panels_avx512(L, in, u, bias, out, mask, C.int(3*lo), C.int(min(ng, 3*hi)), ptr(s.own[k]))
		})
	},
	WideAVX2: func(L *C.wg_layer, in, u, bias, out *C.float, mask *C.uint8_t, par Parallel, s *Runner) {
		ng := int(L.h+L.m-1) / int(L.m) * int(L.gw)
		par((ng+2)/3, func(k, lo, hi int) {
			C.wg_panels_wide_avx2(L, in, u, bias, out, mask, C.int(3*lo), C.int(min(ng, 3*hi)), ptr(s.own[k]))
		})
	},
}
