package optim

import (
	"fmt"
	"math"
)

// LineSearch chooses how L-BFGS picks a step length along its direction.
type LineSearch int

const (
	// StrongWolfe searches for a step meeting the strong Wolfe conditions
	// (Nocedal & Wright, Alg. 3.5 and 3.6, cubic interpolation). With
	// bounds it becomes a backtracking Armijo search along the projected
	// path, starting at the full step.
	StrongWolfe LineSearch = iota
	// NoLineSearch takes the full step (the first one scaled by FirstMove)
	// whatever the loss does.
	NoLineSearch
)

// String is the name ParseLineSearch reads: "wolfe" or "none".
func (l LineSearch) String() string {
	switch l {
	case StrongWolfe:
		return "wolfe"
	case NoLineSearch:
		return "none"
	}
	return fmt.Sprintf("LineSearch(%d)", int(l))
}

// ParseLineSearch reads "wolfe" or "none".
func ParseLineSearch(s string) (LineSearch, error) {
	switch s {
	case "wolfe":
		return StrongWolfe, nil
	case "none":
		return NoLineSearch, nil
	}
	return 0, fmt.Errorf("optim: unknown line search %q: use \"wolfe\" or \"none\"", s)
}

// LBFGSSettings configure NewLBFGS.
type LBFGSSettings struct {
	// History is how many curvature pairs are kept (at least 1).
	History int
	// LineSearch is StrongWolfe (the zero value) or NoLineSearch.
	LineSearch LineSearch
	// FirstMove is the largest change of one element made by a step
	// without curvature information (the first one, or after a reset):
	// the gradient's scale says nothing about a good step length.
	FirstMove float64
	// Bounds, when set, keep every iterate inside a box.
	Bounds Bounds
}

// LBFGS is limited-memory BFGS (Nocedal & Wright, Alg. 7.4). With bounds it
// is a projected L-BFGS: variables at a bound that the gradient pushes
// outward are held fixed while the two-loop recursion computes the
// direction over the others, and the line search follows the projection
// of the step onto the box.
type LBFGS struct {
	n         int
	search    LineSearch
	firstMove float64
	box       box

	pairs  []*pair // curvature pairs, oldest first; cap history
	unused []*pair // buffers not in pairs
	alpha  []float64
	rho    []float64 // 1/(s·y) over the free variables; 0 skips the pair
	active []int32   // variables held at a bound this iteration

	f             float64
	g, d          []float32
	xNew, gNew    []float32
	xBest, gBest  []float32
	started       bool
	evals         int
	gradNormValue float64
}

// pair is one curvature pair s = x_{k+1} - x_k, y = g_{k+1} - g_k.
type pair struct {
	s, y   []float32
	sy, yy float64
}

// NewLBFGS makes an L-BFGS for vectors of n elements; it allocates all the
// memory its steps use.
func NewLBFGS(n int, s LBFGSSettings) (*LBFGS, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("optim: L-BFGS needs at least 1 variable, got %d", n)
	case s.History < 1:
		return nil, fmt.Errorf("optim: L-BFGS history %d: keep at least 1 curvature pair", s.History)
	case !(s.FirstMove > 0) || math.IsInf(s.FirstMove, 1):
		return nil, fmt.Errorf("optim: L-BFGS first move %g: give the largest change of one element made by the first step, a positive finite number", s.FirstMove)
	case s.LineSearch != StrongWolfe && s.LineSearch != NoLineSearch:
		return nil, fmt.Errorf("optim: unknown line search %v: use StrongWolfe or NoLineSearch", s.LineSearch)
	}
	b, err := newBox(s.Bounds, n)
	if err != nil {
		return nil, err
	}
	v := func() []float32 { return make([]float32, n) }
	o := &LBFGS{n: n, search: s.LineSearch, firstMove: s.FirstMove, box: b,
		pairs: make([]*pair, 0, s.History), alpha: make([]float64, s.History), rho: make([]float64, s.History),
		g: v(), d: v(), xNew: v(), gNew: v(), xBest: v(), gBest: v(), gradNormValue: math.Inf(1)}
	for range s.History + 1 { // one spare: a new pair is built before the oldest is dropped
		o.unused = append(o.unused, &pair{s: v(), y: v()})
	}
	if b.set() {
		o.active = make([]int32, 0, n)
	}
	return o, nil
}

// GradNorm is the projected gradient's largest absolute element at the
// current point.
func (o *LBFGS) GradNorm() float64 { return o.gradNormValue }

// Evaluations is how many times Step has called f.
func (o *LBFGS) Evaluations() int { return o.evals }

// Step moves x to the next iterate and returns its loss. The first call
// projects x into the bounds and evaluates it.
func (o *LBFGS) Step(x []float32, f Func) (float64, error) {
	if err := checkLen(x, o.n); err != nil {
		return math.NaN(), err
	}
	if !o.started {
		o.box.project(x)
		fx, err := o.eval(f, x, o.g)
		if err != nil {
			return fx, err
		}
		o.f, o.started = fx, true
		o.gradNormValue = o.box.gradNorm(x, o.g)
	}
	used := o.direction(x)
	dg := dot(o.d, o.g)
	if dg > -1e-12 { // not a descent direction: forget the curvature pairs
		o.forget()
		used = o.direction(x)
		dg = dot(o.d, o.g)
		if dg > -1e-12 {
			return o.f, ErrNoProgress
		}
	}
	t := 1.0
	if used == 0 { // no curvature: move the largest element by firstMove
		t = o.firstMove / maxAbs(o.d)
	}
	var fx float64
	var err error
	switch {
	case o.search == NoLineSearch:
		o.trial(x, t)
		fx, err = o.eval(f, o.xNew, o.gNew)
	case o.box.set():
		fx, err = o.projectedSearch(x, dg, t, f)
	default:
		fx, err = o.wolfeSearch(x, dg, t, f)
	}
	if err != nil {
		return o.f, err
	}
	o.remember(x)
	copy(x, o.xNew)
	copy(o.g, o.gNew)
	o.f = fx
	o.gradNormValue = o.box.gradNorm(x, o.g)
	return fx, nil
}

func (o *LBFGS) eval(f Func, x, g []float32) (float64, error) {
	o.evals++
	return f(x, g)
}

// trial sets xNew to the projection of x + t d.
func (o *LBFGS) trial(x []float32, t float64) {
	axpy(o.xNew, x, t, o.d)
	o.box.project(o.xNew)
}

// forget drops every curvature pair.
func (o *LBFGS) forget() {
	o.unused = append(o.unused, o.pairs...)
	o.pairs = o.pairs[:0]
}

// direction sets d = -H g by the two-loop recursion over the free variables
// and returns how many curvature pairs it used.
func (o *LBFGS) direction(x []float32) int {
	d := o.d
	for i, v := range o.g {
		d[i] = -v
	}
	k := len(o.pairs)
	rho := o.rho[:k]
	var sy, yy float64 // of the newest usable pair, for the initial scaling
	used := 0
	if !o.box.set() {
		for i, p := range o.pairs {
			rho[i] = 1 / p.sy
		}
		used = k
		if k > 0 {
			sy, yy = o.pairs[k-1].sy, o.pairs[k-1].yy
		}
	} else {
		o.findActive(x)
		o.zeroActive()
		for i, p := range o.pairs { // s·y and y·y over the free variables
			psy, pyy := p.sy, p.yy
			for _, j := range o.active {
				psy -= float64(p.s[j]) * float64(p.y[j])
				pyy -= float64(p.y[j]) * float64(p.y[j])
			}
			rho[i] = 0
			if psy > 1e-10 && pyy > 0 {
				rho[i] = 1 / psy
				sy, yy = psy, pyy
				used++
			}
		}
	}
	alpha := o.alpha[:k]
	for i := k - 1; i >= 0; i-- {
		if rho[i] == 0 {
			continue
		}
		alpha[i] = rho[i] * dot(o.pairs[i].s, d)
		axpy(d, d, -alpha[i], o.pairs[i].y)
		o.zeroActive()
	}
	if used > 0 {
		gamma := sy / yy
		for i := range d {
			d[i] = float32(gamma * float64(d[i]))
		}
	}
	for i := 0; i < k; i++ {
		if rho[i] == 0 {
			continue
		}
		beta := rho[i] * dot(o.pairs[i].y, d)
		axpy(d, d, alpha[i]-beta, o.pairs[i].s)
		o.zeroActive()
	}
	if o.box.set() { // a free variable at a bound must not move outward
		lo, hi := o.box.lo[:len(d)], o.box.hi[:len(d)]
		for i, v := range d {
			if v < 0 && x[i] <= lo[i] || v > 0 && x[i] >= hi[i] {
				d[i] = 0
			}
		}
	}
	return used
}

// findActive lists the variables at a bound that the gradient pushes outward.
func (o *LBFGS) findActive(x []float32) {
	o.active = o.active[:0]
	lo, hi := o.box.lo[:len(x)], o.box.hi[:len(x)]
	for i, g := range o.g[:len(x)] {
		if g > 0 && x[i] <= lo[i] || g < 0 && x[i] >= hi[i] {
			o.active = append(o.active, int32(i))
		}
	}
}

func (o *LBFGS) zeroActive() {
	for _, j := range o.active {
		o.d[j] = 0
	}
}

// remember stores the pair s = xNew - x, y = gNew - g when its curvature
// s·y is positive, dropping the oldest pair when the history is full.
func (o *LBFGS) remember(x []float32) {
	p := o.unused[len(o.unused)-1]
	o.unused = o.unused[:len(o.unused)-1]
	s, y := p.s[:len(x)], p.y[:len(x)]
	xNew, gNew, g := o.xNew[:len(x)], o.gNew[:len(x)], o.g[:len(x)]
	var sy, yy float64 // summed in index order, as dot does
	for i := range x {
		s[i], y[i] = xNew[i]-x[i], gNew[i]-g[i]
		sy += float64(y[i]) * float64(s[i])
		yy += float64(y[i]) * float64(y[i])
	}
	p.sy, p.yy = sy, yy
	// A full history drops its oldest pair even when the new one is
	// refused, as the optimizer this package replaces did: the iterates
	// stay those of earlier runs.
	if len(o.pairs) == cap(o.pairs) {
		oldest := o.pairs[0]
		copy(o.pairs, o.pairs[1:])
		o.pairs = o.pairs[:len(o.pairs)-1]
		o.unused = append(o.unused, oldest)
	}
	if p.sy <= 1e-10 {
		o.unused = append(o.unused, p)
		return
	}
	o.pairs = append(o.pairs, p)
}
