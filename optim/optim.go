package optim

import (
	"errors"
	"fmt"
	"math"
)

// Func computes the loss at x and writes its gradient into grad
// (len(grad) == len(x)). It must not keep x or grad.
type Func func(x, grad []float32) (float64, error)

// Optimizer advances x by one iteration.
type Optimizer interface {
	// Step moves x (in place) by one iteration and returns a loss: the
	// accepted point's for L-BFGS, the point's before the move for Adam.
	// Between steps x must be left as Step left it. ErrNoProgress says the
	// loss cannot decrease further (x is then unchanged).
	Step(x []float32, f Func) (float64, error)
	// GradNorm is the largest absolute element of the projected gradient
	// (the gradient with the elements that push a variable out of its
	// bounds removed) at the point whose loss Step returned; +Inf before
	// the first Step.
	GradNorm() float64
	// Evaluations is how many times f has been called.
	Evaluations() int
}

// ErrNoProgress means the optimizer can no longer decrease the loss.
var ErrNoProgress = errors.New("optim: no further decrease of the loss")

// Bounds is a box Lower[i] <= x[i] <= Upper[i]. A nil slice leaves that
// side unbounded, and the zero Bounds is no constraint at all; ±Inf
// elements unbound single variables.
type Bounds struct {
	Lower, Upper []float32
}

// UniformBounds is the box lo <= x[i] <= hi for all n elements.
func UniformBounds(n int, lo, hi float32) Bounds {
	b := Bounds{Lower: make([]float32, n), Upper: make([]float32, n)}
	for i := range n {
		b.Lower[i], b.Upper[i] = lo, hi
	}
	return b
}

// IsSet reports whether b constrains anything.
func (b Bounds) IsSet() bool { return b.Lower != nil || b.Upper != nil }

// Validate checks that b fits vectors of n elements.
func (b Bounds) Validate(n int) error {
	for _, side := range []struct {
		name string
		v    []float32
	}{{"lower", b.Lower}, {"upper", b.Upper}} {
		if side.v != nil && len(side.v) != n {
			return fmt.Errorf("optim: %s bounds have %d elements for a vector of %d: give one bound per element or nil", side.name, len(side.v), n)
		}
		for i, v := range side.v {
			if v != v {
				return fmt.Errorf("optim: %s bound %d is NaN: use ±Inf for an unbounded element", side.name, i)
			}
		}
	}
	if b.Lower != nil && b.Upper != nil {
		for i, lo := range b.Lower {
			if lo > b.Upper[i] {
				return fmt.Errorf("optim: element %d has lower bound %g above its upper bound %g: swap them", i, lo, b.Upper[i])
			}
		}
	}
	return nil
}

// box is a validated Bounds with both sides filled in (nil when unbounded).
type box struct{ lo, hi []float32 }

func newBox(b Bounds, n int) (box, error) {
	if !b.IsSet() {
		return box{}, nil
	}
	if err := b.Validate(n); err != nil {
		return box{}, err
	}
	fill := func(v []float32, inf float32) []float32 {
		out := make([]float32, n)
		if v == nil {
			for i := range out {
				out[i] = inf
			}
			return out
		}
		copy(out, v)
		return out
	}
	return box{lo: fill(b.Lower, float32(math.Inf(-1))), hi: fill(b.Upper, float32(math.Inf(1)))}, nil
}

func (b box) set() bool { return b.lo != nil }

// project moves x into the box.
func (b box) project(x []float32) {
	if !b.set() {
		return
	}
	lo, hi := b.lo[:len(x)], b.hi[:len(x)]
	for i, v := range x {
		x[i] = min(max(v, lo[i]), hi[i])
	}
}

// gradNorm is the largest absolute element of g at x, leaving out the
// elements of variables at a bound that g pushes outward.
func (b box) gradNorm(x, g []float32) float64 {
	if !b.set() {
		return maxAbs(g)
	}
	var m float32
	lo, hi := b.lo[:len(g)], b.hi[:len(g)]
	for i, v := range g {
		if v > 0 && x[i] <= lo[i] || v < 0 && x[i] >= hi[i] {
			continue
		}
		m = max(m, abs32(v))
	}
	return float64(m)
}

func checkLen(x []float32, n int) error {
	if len(x) != n {
		return fmt.Errorf("optim: x has %d elements but the optimizer was made for %d: make one optimizer per vector size", len(x), n)
	}
	return nil
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// dot is a·b accumulated in float64, in index order.
func dot(a, b []float32) float64 {
	b = b[:len(a)]
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

func maxAbs(a []float32) float64 {
	var m float32
	for _, v := range a {
		m = max(m, abs32(v))
	}
	return float64(m)
}

// axpy sets dst = x + a*y.
func axpy(dst, x []float32, a float64, y []float32) {
	af := float32(a)
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + af*y[i]
	}
}
