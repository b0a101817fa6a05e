package optim

import (
	"math"
	"testing"
)

// quadratic is f = ½ Σ a_i (x_i - c_i)², minimum at c.
func quadratic(a, c []float64) Func {
	return func(x, g []float32) (float64, error) {
		var f float64
		for i, v := range x {
			r := float64(v) - c[i]
			f += 0.5 * a[i] * r * r
			g[i] = float32(a[i] * r)
		}
		return f, nil
	}
}

// smooth is f = ½ Σ (x_i - c_i)² + ½ λ Σ (x_{i+1} - x_i)²: a quadratic that
// couples neighbours, like an image loss with a smoothness term.
func smooth(c []float64, lambda float64) Func {
	return func(x, g []float32) (float64, error) {
		var f float64
		g64 := make([]float64, len(x))
		for i, v := range x {
			r := float64(v) - c[i]
			f += 0.5 * r * r
			g64[i] += r
			if i+1 < len(x) {
				d := float64(x[i+1]) - float64(v)
				f += 0.5 * lambda * d * d
				g64[i] -= lambda * d
				g64[i+1] += lambda * d
			}
		}
		for i, v := range g64 {
			g[i] = float32(v)
		}
		return f, nil
	}
}

// coupled2 is f = x0² + x1² + x0 x1 - 3 x0 - 3 x1, minimum at (1, 1).
func coupled2(x, g []float32) (float64, error) {
	a, b := float64(x[0]), float64(x[1])
	g[0], g[1] = float32(2*a+b-3), float32(2*b+a-3)
	return a*a + b*b + a*b - 3*a - 3*b, nil
}

// rosenbrock is Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)², minimum at ones.
func rosenbrock(x, g []float32) (float64, error) {
	var f float64
	for i := range g {
		g[i] = 0
	}
	for i := 0; i+1 < len(x); i++ {
		a, b := float64(x[i]), float64(x[i+1])
		u, v := b-a*a, 1-a
		f += 100*u*u + v*v
		g[i] += float32(-400*a*u - 2*v)
		g[i+1] += float32(200 * u)
	}
	return f, nil
}

// inBox wraps f so that the test fails for any point outside b the
// optimizer asks f about.
func inBox(t *testing.T, b Bounds, f Func) Func {
	t.Helper()
	return func(x, g []float32) (float64, error) {
		for i, v := range x {
			if b.Lower != nil && v < b.Lower[i] || b.Upper != nil && v > b.Upper[i] || v != v {
				t.Fatalf("f evaluated outside the bounds: x[%d] = %g", i, v)
			}
		}
		return f(x, g)
	}
}

// projectedGradNorm recomputes the KKT residual independently of the
// package: the largest gradient element that could still move a variable.
func projectedGradNorm(b Bounds, x, g []float32) float64 {
	var m float64
	for i, v := range g {
		atLo := b.Lower != nil && x[i] <= b.Lower[i]
		atHi := b.Upper != nil && x[i] >= b.Upper[i]
		if v > 0 && atLo || v < 0 && atHi {
			continue
		}
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// run steps opt until ErrNoProgress, a gradient norm at most gtol or
// maxIter iterations, and returns the iterations taken.
func run(t *testing.T, opt Optimizer, x []float32, f Func, gtol float64, maxIter int) int {
	t.Helper()
	for it := 1; it <= maxIter; it++ {
		if _, err := opt.Step(x, f); err != nil {
			if err == ErrNoProgress {
				return it
			}
			t.Fatalf("step %d: %v", it, err)
		}
		if opt.GradNorm() <= gtol {
			return it
		}
	}
	return maxIter
}

func fill(n int, v float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// spread is n values from lo to hi, in a scrambled order.
func spread(n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*float64((i*7)%n)/float64(n-1)
	}
	return v
}
