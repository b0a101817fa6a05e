package optim

import "math"

const (
	armijoC1       = 1e-4 // sufficient decrease
	wolfeC2        = 0.9  // curvature
	maxSearchEvals = 25
)

// point is one trial of a line search: step t, loss f, slope dg along d.
type point struct{ t, f, dg float64 }

// wolfeSearch finds a step along d satisfying the strong Wolfe conditions
// (Nocedal & Wright, Alg. 3.5 and 3.6). It leaves the accepted point in
// xNew and gNew; when no trial satisfies the conditions it takes the
// lowest one, and ErrNoProgress when none is below f0.
func (o *LBFGS) wolfeSearch(x []float32, dg0, t float64, f Func) (float64, error) {
	f0 := o.f
	best := point{f: math.Inf(1)}
	evals := 0
	at := func(t float64) (point, error) {
		evals++
		axpy(o.xNew, x, t, o.d)
		fx, err := o.eval(f, o.xNew, o.gNew)
		p := point{t: t, f: fx, dg: dot(o.gNew, o.d)}
		if err == nil && fx < best.f {
			best = p
			copy(o.xBest, o.xNew)
			copy(o.gBest, o.gNew)
		}
		return p, err
	}
	accept := func(p point) (float64, error) {
		if p != best {
			copy(o.xNew, o.xBest)
			copy(o.gNew, o.gBest)
		}
		if best.f >= f0 {
			return f0, ErrNoProgress
		}
		return best.f, nil
	}
	armijo := func(p point) bool { return p.f <= f0+armijoC1*p.t*dg0 }
	curvature := func(p point) bool { return math.Abs(p.dg) <= -wolfeC2*dg0 }
	prev := point{t: 0, f: f0, dg: dg0}
	var lo, hi point
	for {
		cur, err := at(t)
		if err != nil {
			return f0, err
		}
		if !armijo(cur) || (evals > 1 && cur.f >= prev.f) {
			lo, hi = prev, cur
			break
		}
		if curvature(cur) {
			return accept(cur)
		}
		if cur.dg >= 0 {
			lo, hi = cur, prev
			break
		}
		if evals >= maxSearchEvals {
			return accept(cur)
		}
		prev, t = cur, math.Min(cubic(prev, cur, 1.1*cur.t, 10*cur.t), 10*cur.t)
	}
	for evals < maxSearchEvals { // zoom
		a, b := math.Min(lo.t, hi.t), math.Max(lo.t, hi.t)
		cur, err := at(cubic(lo, hi, a+0.1*(b-a), b-0.1*(b-a)))
		if err != nil {
			return f0, err
		}
		if !armijo(cur) || cur.f >= lo.f {
			hi = cur
		} else {
			if curvature(cur) {
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
	return accept(point{t: -1})
}

// cubic is the minimiser of the cubic through two trials, clamped to
// [lo, hi] (the midpoint when the cubic has no minimum there).
func cubic(p, q point, lo, hi float64) float64 {
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

// projectedSearch backtracks along the projected path P(x + t d) from t
// until the Armijo condition f(x_t) <= f0 + c1 g·(x_t - x) holds, each new
// t the minimiser of the quadratic through f0, the slope dg0 and the last
// trial, kept within [0.1 t, 0.5 t]. It leaves the accepted point in xNew
// and gNew; after maxSearchEvals trials it takes the lowest, and
// ErrNoProgress when none is below f0 or the step no longer moves x.
func (o *LBFGS) projectedSearch(x []float32, dg0, t float64, f Func) (float64, error) {
	f0 := o.f
	bestF := math.Inf(1)
	for evals := 1; ; evals++ {
		o.trial(x, t)
		var decrease float64 // g·(x_t - x)
		for i, v := range o.xNew {
			if v != x[i] {
				decrease += float64(o.g[i]) * (float64(v) - float64(x[i]))
			}
		}
		if decrease == 0 { // the step rounds away: x cannot move along d
			break
		}
		fx, err := o.eval(f, o.xNew, o.gNew)
		if err != nil {
			return f0, err
		}
		if decrease < 0 && fx <= f0+armijoC1*decrease {
			return fx, nil
		}
		if fx < bestF {
			bestF = fx
			copy(o.xBest, o.xNew)
			copy(o.gBest, o.gNew)
		}
		if evals == maxSearchEvals {
			break
		}
		next := 0.5 * t
		if q := -dg0 * t * t / (2 * (fx - f0 - dg0*t)); q > 0 { // false for NaN
			next = min(max(q, 0.1*t), 0.5*t)
		}
		t = next
	}
	if bestF >= f0 {
		return f0, ErrNoProgress
	}
	copy(o.xNew, o.xBest)
	copy(o.gNew, o.gBest)
	return bestF, nil
}
