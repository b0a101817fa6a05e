package transfer

import (
	"errors"
	"math"
)

// evalFunc computes the loss at x and writes its gradient into grad.
type evalFunc func(x, grad []float32) (float64, error)

// optimizer advances x by one iteration.
type optimizer interface {
	step(x []float32, eval evalFunc) (float64, error)
}

// errNoProgress means the optimizer can no longer decrease the loss.
var errNoProgress = errors.New("no further decrease of the loss")

// lbfgs is limited-memory BFGS (Nocedal & Wright, Alg. 7.4) with an optional
// strong Wolfe line search (Alg. 3.5 and 3.6, cubic interpolation).
type lbfgs struct {
	history int
	wolfe   bool
	// firstMove is how far (largest change of one input value) a step
	// without curvature information goes: the gradient's scale says
	// nothing about a good step length.
	firstMove float64

	s, y         [][]float32
	rho          []float64
	f            float64
	g, d         []float32
	xNew, gNew   []float32
	xBest, gBest []float32
	iter         int
}

func newLBFGS(n, history int, wolfe bool, firstMove float64) *lbfgs {
	v := func() []float32 { return make([]float32, n) }
	return &lbfgs{history: history, wolfe: wolfe, firstMove: firstMove, g: v(), d: v(), xNew: v(), gNew: v(), xBest: v(), gBest: v()}
}

func (o *lbfgs) step(x []float32, eval evalFunc) (float64, error) {
	if o.iter == 0 {
		f, err := eval(x, o.g)
		if err != nil {
			return f, err
		}
		o.f = f
	}
	o.iter++
	o.direction()
	dg := dot(o.d, o.g)
	if dg > -1e-12 { // not a descent direction: forget the curvature pairs
		o.s, o.y, o.rho = nil, nil, nil
		o.direction()
		dg = dot(o.d, o.g)
		if dg > -1e-12 {
			return o.f, errNoProgress
		}
	}
	t := 1.0
	if len(o.s) == 0 { // no curvature yet: move the largest input value by firstMove
		t = o.firstMove / maxAbs(o.d)
	}
	var f float64
	var err error
	if o.wolfe {
		f, err = o.lineSearch(x, dg, t, eval)
	} else {
		axpy(o.xNew, x, t, o.d)
		f, err = eval(o.xNew, o.gNew)
	}
	if err != nil {
		return o.f, err
	}
	o.remember(x)
	copy(x, o.xNew)
	copy(o.g, o.gNew)
	o.f = f
	return f, nil
}

// direction sets d = -H g by the two-loop recursion.
func (o *lbfgs) direction() {
	for i, v := range o.g {
		o.d[i] = -v
	}
	k := len(o.s)
	alpha := make([]float64, k)
	for i := k - 1; i >= 0; i-- {
		alpha[i] = o.rho[i] * dot(o.s[i], o.d)
		axpy(o.d, o.d, -alpha[i], o.y[i])
	}
	if k > 0 {
		gamma := dot(o.s[k-1], o.y[k-1]) / dot(o.y[k-1], o.y[k-1])
		for i := range o.d {
			o.d[i] = float32(gamma * float64(o.d[i]))
		}
	}
	for i := 0; i < k; i++ {
		beta := o.rho[i] * dot(o.y[i], o.d)
		axpy(o.d, o.d, alpha[i]-beta, o.s[i])
	}
}

// remember stores the pair s = xNew - x, y = gNew - g when its curvature is positive.
func (o *lbfgs) remember(x []float32) {
	var s, y []float32
	if len(o.s) == o.history { // reuse the oldest pair's memory
		s, y = o.s[0], o.y[0]
		o.s, o.y, o.rho = o.s[1:], o.y[1:], o.rho[1:]
	} else {
		s, y = make([]float32, len(x)), make([]float32, len(x))
	}
	for i := range x {
		s[i], y[i] = o.xNew[i]-x[i], o.gNew[i]-o.g[i]
	}
	if ys := dot(y, s); ys > 1e-10 {
		o.s, o.y, o.rho = append(o.s, s), append(o.y, y), append(o.rho, 1/ys)
	}
}

type trial struct{ t, f, dg float64 }

// lineSearch finds a step satisfying the strong Wolfe conditions along d;
// it leaves the accepted point in xNew and gNew.
func (o *lbfgs) lineSearch(x []float32, dg0, t float64, eval evalFunc) (float64, error) {
	const c1, c2, maxEvals = 1e-4, 0.9, 25
	f0 := o.f
	best := trial{f: math.Inf(1)}
	evals := 0
	at := func(t float64) (trial, error) {
		evals++
		axpy(o.xNew, x, t, o.d)
		f, err := eval(o.xNew, o.gNew)
		tr := trial{t: t, f: f, dg: dot(o.gNew, o.d)}
		if err == nil && f < best.f {
			best = tr
			copy(o.xBest, o.xNew)
			copy(o.gBest, o.gNew)
		}
		return tr, err
	}
	accept := func(tr trial) (float64, error) {
		if tr != best {
			copy(o.xNew, o.xBest)
			copy(o.gNew, o.gBest)
		}
		if best.f >= f0 {
			return f0, errNoProgress
		}
		return best.f, nil
	}
	armijo := func(tr trial) bool { return tr.f <= f0+c1*tr.t*dg0 }
	prev := trial{t: 0, f: f0, dg: dg0}
	var lo, hi trial
	for {
		cur, err := at(t)
		if err != nil {
			return f0, err
		}
		if !armijo(cur) || (evals > 1 && cur.f >= prev.f) {
			lo, hi = prev, cur
			break
		}
		if math.Abs(cur.dg) <= -c2*dg0 {
			return accept(cur)
		}
		if cur.dg >= 0 {
			lo, hi = cur, prev
			break
		}
		if evals >= maxEvals {
			return accept(cur)
		}
		prev, t = cur, math.Min(cubic(prev, cur, 1.1*cur.t, 10*cur.t), 10*cur.t)
	}
	for evals < maxEvals { // zoom
		a, b := math.Min(lo.t, hi.t), math.Max(lo.t, hi.t)
		t := cubic(lo, hi, a+0.1*(b-a), b-0.1*(b-a))
		cur, err := at(t)
		if err != nil {
			return f0, err
		}
		if !armijo(cur) || cur.f >= lo.f {
			hi = cur
		} else {
			if math.Abs(cur.dg) <= -c2*dg0 {
				return accept(cur)
			}
			if cur.dg*(hi.t-lo.t) >= 0 {
				hi = lo
			}
			lo = cur
		}
		if b-a < 1e-9*math.Max(1, b) {
			break
		}
	}
	return accept(trial{t: -1})
}

// cubic is the minimiser of the cubic through two trials, clamped to [lo, hi]
// (the midpoint when the cubic has no minimum there).
func cubic(p, q trial, lo, hi float64) float64 {
	d1 := p.dg + q.dg - 3*(p.f-q.f)/(p.t-q.t)
	disc := d1*d1 - p.dg*q.dg
	if disc >= 0 && p.t != q.t {
		d2 := math.Copysign(math.Sqrt(disc), q.t-p.t)
		t := q.t - (q.t-p.t)*(q.dg+d2-d1)/(q.dg-p.dg+2*d2)
		if !math.IsNaN(t) && t >= lo && t <= hi {
			return t
		}
	}
	return (lo + hi) / 2
}

func dot(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

func maxAbs(a []float32) float64 {
	var m float64
	for _, v := range a {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// axpy sets dst = x + a*y.
func axpy(dst, x []float32, a float64, y []float32) {
	af := float32(a)
	for i := range dst {
		dst[i] = x[i] + af*y[i]
	}
}

// adam is Kingma & Ba's optimizer with a step size in input units.
type adam struct {
	lr, b1, b2, eps float64
	m, v, g         []float32
	t               int
}

func newAdam(n int, lr float64) *adam {
	return &adam{lr: lr, b1: 0.9, b2: 0.999, eps: 1e-8, m: make([]float32, n), v: make([]float32, n), g: make([]float32, n)}
}

func (o *adam) step(x []float32, eval evalFunc) (float64, error) {
	f, err := eval(x, o.g)
	if err != nil {
		return f, err
	}
	o.t++
	c1 := 1 - math.Pow(o.b1, float64(o.t))
	c2 := 1 - math.Pow(o.b2, float64(o.t))
	for i, g := range o.g {
		m := o.b1*float64(o.m[i]) + (1-o.b1)*float64(g)
		v := o.b2*float64(o.v[i]) + (1-o.b2)*float64(g)*float64(g)
		o.m[i], o.v[i] = float32(m), float32(v)
		x[i] -= float32(o.lr * (m / c1) / (math.Sqrt(v/c2) + o.eps))
	}
	return f, nil
}
