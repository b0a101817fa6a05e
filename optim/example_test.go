package optim_test

import (
	"fmt"

	"github.com/stylelab/stylelab/optim"
)

// Minimise f(x) = x0² + x1² + x0 x1 - 3 x0 - 3 x1, whose unconstrained
// minimum is (1, 1), over the box 0 <= x0 <= 0.5, 0 <= x1 <= 2: the
// minimum moves to (0.5, 1.25), x0 held at its upper bound.
func Example() {
	f := func(x, grad []float32) (float64, error) {
		a, b := float64(x[0]), float64(x[1])
		grad[0], grad[1] = float32(2*a+b-3), float32(2*b+a-3)
		return a*a + b*b + a*b - 3*a - 3*b, nil
	}
	bounds := optim.Bounds{Lower: []float32{0, 0}, Upper: []float32{0.5, 2}}
	opt, err := optim.NewLBFGS(2, optim.LBFGSSettings{History: 5, FirstMove: 1, Bounds: bounds})
	if err != nil {
		fmt.Println(err)
		return
	}
	stop, err := optim.NewStop(optim.Criteria{MaxIterations: 100, GradTol: 1e-6})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := []float32{2, 2} // outside the box: the first step projects it
	var loss float64
	for stop.Reason() == optim.Continue {
		loss, err = opt.Step(x, f)
		if err != nil {
			stop.Fail(err)
			break
		}
		stop.Observe(loss, opt.GradNorm())
	}
	fmt.Printf("x = (%.4f, %.4f), f = %.4f\n", x[0], x[1], loss)
	fmt.Printf("stopped for %v after %d iterations\n", stop.Reason(), stop.Iterations())
	// Output:
	// x = (0.5000, 1.2500), f = -2.8125
	// stopped for gradient-tolerance after 2 iterations
}
