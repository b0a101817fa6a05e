package optim

import (
	"fmt"
	"math"
)

// AdamSettings configure NewAdam.
type AdamSettings struct {
	// LearningRate is the step size, in units of x: each element moves by
	// about this much per step at first.
	LearningRate float64
	// Bounds, when set, are enforced by projecting x after every step.
	Bounds Bounds
}

// Adam is Kingma & Ba's optimizer (β1 = 0.9, β2 = 0.999, ε = 1e-8).
type Adam struct {
	lr, b1, b2, eps float64
	box             box
	m, v, g         []float32
	t, evals        int
	gradNormValue   float64
}

// NewAdam makes an Adam for vectors of n elements.
func NewAdam(n int, s AdamSettings) (*Adam, error) {
	if n < 1 {
		return nil, fmt.Errorf("optim: Adam needs at least 1 variable, got %d", n)
	}
	if !(s.LearningRate > 0) || math.IsInf(s.LearningRate, 1) {
		return nil, fmt.Errorf("optim: Adam learning rate %g: give a positive finite step size", s.LearningRate)
	}
	b, err := newBox(s.Bounds, n)
	if err != nil {
		return nil, err
	}
	return &Adam{lr: s.LearningRate, b1: 0.9, b2: 0.999, eps: 1e-8, box: b,
		m: make([]float32, n), v: make([]float32, n), g: make([]float32, n), gradNormValue: math.Inf(1)}, nil
}

// GradNorm is the projected gradient's largest absolute element at the
// point the last Step evaluated (before it moved).
func (o *Adam) GradNorm() float64 { return o.gradNormValue }

// Evaluations is how many times Step has called f: once per step.
func (o *Adam) Evaluations() int { return o.evals }

// Step evaluates f at x (projected into the bounds first), moves x and
// returns the loss before the move.
func (o *Adam) Step(x []float32, f Func) (float64, error) {
	if err := checkLen(x, len(o.g)); err != nil {
		return math.NaN(), err
	}
	o.box.project(x)
	o.evals++
	fx, err := f(x, o.g)
	if err != nil {
		return fx, err
	}
	o.gradNormValue = o.box.gradNorm(x, o.g)
	o.t++
	c1 := 1 - math.Pow(o.b1, float64(o.t))
	c2 := 1 - math.Pow(o.b2, float64(o.t))
	for i, g := range o.g {
		m := o.b1*float64(o.m[i]) + (1-o.b1)*float64(g)
		v := o.b2*float64(o.v[i]) + (1-o.b2)*float64(g)*float64(g)
		o.m[i], o.v[i] = float32(m), float32(v)
		x[i] -= float32(o.lr * (m / c1) / (math.Sqrt(v/c2) + o.eps))
	}
	o.box.project(x)
	return fx, nil
}
