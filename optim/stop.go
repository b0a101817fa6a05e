package optim

import (
	"errors"
	"fmt"
	"math"
)

// Reason says why a run stopped.
type Reason int

const (
	Continue          Reason = iota // no reason to stop yet
	MaxIterations                   // the iteration limit was reached
	LossTolerance                   // the loss stopped falling fast enough
	GradientTolerance               // the projected gradient is small enough
	NoProgress                      // the optimizer could not decrease the loss
	Failed                          // a step failed with an error
)

// String names the reason: "continue", "iterations", "loss-tolerance",
// "gradient-tolerance", "no-progress" or "error".
func (r Reason) String() string {
	switch r {
	case Continue:
		return "continue"
	case MaxIterations:
		return "iterations"
	case LossTolerance:
		return "loss-tolerance"
	case GradientTolerance:
		return "gradient-tolerance"
	case NoProgress:
		return "no-progress"
	case Failed:
		return "error"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// DefaultWindow is the Window a zero Criteria.Window stands for.
const DefaultWindow = 10

// Criteria say when a run stops; a zero field turns its test off.
type Criteria struct {
	// MaxIterations stops after this many iterations.
	MaxIterations int
	// RelTol stops when the loss fell by at most this fraction over the
	// last Window iterations: (f[k-W] - f[k]) / max(|f[k-W]|, |f[k]|) <= RelTol.
	RelTol float64
	// Window is how many iterations RelTol looks back (DefaultWindow when 0).
	Window int
	// GradTol stops when the optimizer's GradNorm is at most this.
	GradTol float64
}

// Validate refuses negative, NaN or infinite tolerances and limits.
func (c Criteria) Validate() error {
	var errs []error
	if c.MaxIterations < 0 {
		errs = append(errs, fmt.Errorf("optim: %d maximum iterations: give 0 for no limit or a positive count", c.MaxIterations))
	}
	if c.Window < 0 {
		errs = append(errs, fmt.Errorf("optim: loss window %d: give 0 for %d or a positive count of iterations", c.Window, DefaultWindow))
	}
	for _, t := range []struct {
		name string
		v    float64
	}{{"relative loss tolerance", c.RelTol}, {"gradient tolerance", c.GradTol}} {
		if !(t.v >= 0) || math.IsInf(t.v, 1) {
			errs = append(errs, fmt.Errorf("optim: %s %g: give 0 to turn it off or a positive finite number", t.name, t.v))
		}
	}
	return errors.Join(errs...)
}

// Stop is a convergence monitor: fed the loss and gradient norm of every
// accepted iterate, it says when to stop and why.
type Stop struct {
	c      Criteria
	losses []float64 // ring of the last Window+1 losses
	iter   int
	reason Reason
}

// NewStop makes a monitor for c, refusing invalid criteria.
func NewStop(c Criteria) (*Stop, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	return &Stop{c: c, losses: make([]float64, c.Window+1)}, nil
}

// Observe records one iteration's loss and gradient norm and returns the
// reason to stop, Continue to go on. Once it has said stop it keeps saying
// so. When several tests hold, the gradient test wins over the loss test,
// and both over the iteration limit.
func (s *Stop) Observe(loss, gradNorm float64) Reason {
	if s.reason != Continue {
		return s.reason
	}
	w := s.c.Window
	s.losses[s.iter%(w+1)] = loss
	s.iter++
	switch {
	case s.c.GradTol > 0 && gradNorm <= s.c.GradTol:
		s.reason = GradientTolerance
	case s.c.RelTol > 0 && s.iter > w && relDecrease(s.losses[s.iter%(w+1)], loss) <= s.c.RelTol:
		s.reason = LossTolerance
	case s.c.MaxIterations > 0 && s.iter >= s.c.MaxIterations:
		s.reason = MaxIterations
	}
	return s.reason
}

// relDecrease is how much of its size the loss lost going from old to now.
func relDecrease(old, now float64) float64 {
	scale := math.Max(math.Abs(old), math.Abs(now))
	if scale == 0 {
		return 0
	}
	return (old - now) / scale
}

// Fail records that a step returned err and gives the reason the run
// ends: NoProgress for ErrNoProgress, Failed for any other error.
func (s *Stop) Fail(err error) Reason {
	if err != nil && s.reason == Continue {
		s.reason = Failed
		if errors.Is(err, ErrNoProgress) {
			s.reason = NoProgress
		}
	}
	return s.reason
}

// Reason is why the run stopped, Continue while it has not.
func (s *Stop) Reason() Reason { return s.reason }

// Iterations is how many iterations Observe has seen.
func (s *Stop) Iterations() int { return s.iter }
