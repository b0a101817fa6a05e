package optim

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestStopReasons(t *testing.T) {
	type obs struct{ loss, grad float64 }
	steady := func(n int) []obs { // loss halving each iteration, large gradient
		s := make([]obs, n)
		for i := range s {
			s[i] = obs{math.Pow(0.5, float64(i)), 1}
		}
		return s
	}
	cases := []struct {
		name   string
		c      Criteria
		seq    []obs
		want   Reason
		wantAt int // 1-based iteration that says stop; 0: never
	}{
		{"iteration limit", Criteria{MaxIterations: 5}, steady(10), MaxIterations, 5},
		{"no limit", Criteria{}, steady(10), Continue, 0},
		// Over a window of 3 iterations: 100 → 99.5 (iterations 1 → 4) is
		// a 0.5% fall, 99.9 → 99.45 (2 → 5) 0.45%, both above 0.1%;
		// 99.9 → 99.85 (3 → 6) is 0.05%: stop at 6.
		{"loss tolerance", Criteria{RelTol: 1e-3, Window: 3},
			[]obs{{100, 1}, {99.9, 1}, {99.9, 1}, {99.5, 1}, {99.45, 1}, {99.85, 1}, {50, 1}}, LossTolerance, 6},
		// A rise is a negative decrease: below any tolerance.
		{"loss rises", Criteria{RelTol: 1e-9, Window: 1}, []obs{{1, 1}, {0.5, 1}, {0.6, 1}}, LossTolerance, 3},
		{"loss stays zero", Criteria{RelTol: 1e-9, Window: 2}, []obs{{0, 1}, {0, 1}, {0, 1}}, LossTolerance, 3},
		// The loss reaches 0 at iteration 6; 10 iterations later it has not fallen.
		{"default window", Criteria{RelTol: 1e-3}, append(steady(5), make([]obs, 12)...), LossTolerance, 6 + DefaultWindow},
		{"gradient tolerance", Criteria{GradTol: 1e-4}, []obs{{5, 1}, {4, 1e-3}, {3, 1e-4}, {2, 1e-5}}, GradientTolerance, 3},
		{"gradient wins over the limit", Criteria{GradTol: 1e-4, MaxIterations: 2}, []obs{{5, 1}, {4, 0}}, GradientTolerance, 2},
		{"loss wins over the limit", Criteria{RelTol: 0.1, Window: 1, MaxIterations: 2}, []obs{{5, 1}, {5, 1}}, LossTolerance, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewStop(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			at := 0
			for i, o := range tc.seq {
				r := s.Observe(o.loss, o.grad)
				if r != Continue && at == 0 {
					at = i + 1
				}
				if at != 0 && r != tc.want {
					t.Fatalf("iteration %d: %v after stopping for %v", i+1, r, tc.want)
				}
			}
			if at != tc.wantAt || s.Reason() != tc.want {
				t.Errorf("stopped at iteration %d for %v, want %d for %v", at, s.Reason(), tc.wantAt, tc.want)
			}
			wantIters := at
			if at == 0 {
				wantIters = len(tc.seq)
			}
			if s.Iterations() != wantIters {
				t.Errorf("Iterations() = %d, want %d", s.Iterations(), wantIters)
			}
		})
	}
}

func TestStopFail(t *testing.T) {
	cases := []struct {
		err  error
		want Reason
	}{
		{nil, Continue},
		{ErrNoProgress, NoProgress},
		{fmt.Errorf("step 3: %w", ErrNoProgress), NoProgress},
		{errors.New("out of memory"), Failed},
	}
	for _, tc := range cases {
		s, err := NewStop(Criteria{MaxIterations: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Fail(tc.err); got != tc.want || s.Reason() != tc.want {
			t.Errorf("Fail(%v) = %v, Reason() %v; want %v", tc.err, got, s.Reason(), tc.want)
		}
	}
	// An optimizer at an exact minimum ends the run with no-progress.
	o, err := NewLBFGS(2, LBFGSSettings{History: 2, FirstMove: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStop(Criteria{MaxIterations: 10})
	if err != nil {
		t.Fatal(err)
	}
	_, stepErr := o.Step([]float32{1, 1}, rosenbrock)
	if r := s.Fail(stepErr); r != NoProgress || r.String() != "no-progress" {
		t.Errorf("L-BFGS at the minimum: %v (%v), want no-progress", r, stepErr)
	}
}

func TestReasonNames(t *testing.T) {
	want := map[Reason]string{Continue: "continue", MaxIterations: "iterations", LossTolerance: "loss-tolerance",
		GradientTolerance: "gradient-tolerance", NoProgress: "no-progress", Failed: "error", 99: "Reason(99)"}
	for r, name := range want {
		if r.String() != name {
			t.Errorf("Reason %d is %q, want %q", int(r), r.String(), name)
		}
	}
}

func TestStopRefusesBadCriteria(t *testing.T) {
	cases := []struct {
		name string
		c    Criteria
		want []string
	}{
		{"negative loss tolerance", Criteria{RelTol: -1e-6}, []string{"relative loss tolerance -1e-06"}},
		{"NaN loss tolerance", Criteria{RelTol: math.NaN()}, []string{"relative loss tolerance NaN"}},
		{"infinite gradient tolerance", Criteria{GradTol: math.Inf(1)}, []string{"gradient tolerance +Inf"}},
		{"NaN gradient tolerance", Criteria{GradTol: math.NaN()}, []string{"gradient tolerance NaN"}},
		{"negative iterations", Criteria{MaxIterations: -3}, []string{"-3 maximum iterations"}},
		{"negative window", Criteria{RelTol: 1e-5, Window: -1}, []string{"loss window -1"}},
		{"all at once", Criteria{RelTol: -1, GradTol: -2, MaxIterations: -3},
			[]string{"relative loss tolerance -1", "gradient tolerance -2", "-3 maximum iterations"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewStop(tc.c)
			if err == nil {
				t.Fatalf("NewStop accepted %+v: %v", tc.c, s)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if err := (Criteria{MaxIterations: 100, RelTol: 1e-5, Window: 5, GradTol: 1e-3}).Validate(); err != nil {
		t.Errorf("valid criteria refused: %v", err)
	}
}
