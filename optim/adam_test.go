package optim

import (
	"math"
	"strings"
	"testing"
)

// f = (x0 - 3)² + 10 (x1 + 1)², g = (2(x0 - 3), 20(x1 + 1)).
func adamProblem(x, g []float32) (float64, error) {
	a, b := float64(x[0])-3, float64(x[1])+1
	g[0], g[1] = float32(2*a), float32(20*b)
	return a*a + 10*b*b, nil
}

func TestAdamStepsByHand(t *testing.T) {
	// From x = (1, 0) with learning rate 0.5, β1 = 0.9, β2 = 0.999:
	// step 1: g = (-4, 20), m = 0.1 g = (-0.4, 2), v = 0.001 g² = (0.016, 0.4);
	// the bias corrections 1 - 0.9 = 0.1 and 1 - 0.999 = 0.001 give m̂ = g,
	// v̂ = g², so each element moves by 0.5 g/|g|: x = (1.5, -0.5).
	// step 2: g = (-3, 10), m = 0.9 m + 0.1 g = (-0.66, 2.8),
	// v = 0.999 v + 0.001 g² = (0.024984, 0.4996), corrections 0.19 and
	// 0.001999: m̂ = (-3.4736842, 14.736842), √v̂ = (3.5352863, 15.809015),
	// x -= 0.5 m̂/√v̂ = (1.9912875, -0.9660898). Step 2 returns the loss at
	// (1.5, -0.5): 2.25 + 10(0.25) = 4.75.
	cases := []struct {
		name   string
		bounds Bounds
		want   [][3]float64 // x0, x1 and the returned loss after each step
	}{
		{"unbounded", Bounds{}, [][3]float64{{1.5, -0.5, 14}, {1.9912875, -0.9660898, 4.75}}},
		// In [0, 1.2] x [-0.7, 0]: step 1 is projected to (1.2, -0.5); step 2
		// starts from there (g = (-3.6, 10)) and x1 would go to about -0.966:
		// it stops at -0.7, x0 stays at 1.2.
		{"bounded", Bounds{Lower: []float32{0, -0.7}, Upper: []float32{1.2, 0}}, [][3]float64{{1.2, -0.5, 14}, {1.2, -0.7, 5.74}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := NewAdam(2, AdamSettings{LearningRate: 0.5, Bounds: tc.bounds})
			if err != nil {
				t.Fatal(err)
			}
			x := []float32{1, 0}
			f := adamProblem
			if tc.bounds.IsSet() {
				f = inBox(t, tc.bounds, f)
			}
			for i, w := range tc.want {
				fx, err := o.Step(x, f)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(float64(x[0])-w[0]) > 1e-6 || math.Abs(float64(x[1])-w[1]) > 1e-6 || math.Abs(fx-w[2]) > 1e-5 {
					t.Errorf("step %d: x = %v, loss %g; want (%g, %g), loss %g", i+1, x, fx, w[0], w[1], w[2])
				}
			}
			if o.Evaluations() != 2 {
				t.Errorf("%d evaluations, want 2", o.Evaluations())
			}
		})
	}
}

func TestAdamProjectsTheStartAndConverges(t *testing.T) {
	b := Bounds{Lower: []float32{0, 0}, Upper: []float32{2, 2}}
	o, err := NewAdam(2, AdamSettings{LearningRate: 0.05, Bounds: b})
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{-5, 7} // outside: the first evaluation must see (0, 2)
	for range 500 {
		if _, err := o.Step(x, inBox(t, b, adamProblem)); err != nil {
			t.Fatal(err)
		}
	}
	// The box minimum is (2, 0): x0 pushed against 2, x1 against 0.
	if math.Abs(float64(x[0])-2) > 1e-6 || math.Abs(float64(x[1])) > 1e-6 {
		t.Errorf("x = %v, want (2, 0)", x)
	}
	if o.GradNorm() > 1e-3 {
		t.Errorf("GradNorm %g at the box minimum, want about 0", o.GradNorm())
	}
}

func TestNewAdamRefusesBadSettings(t *testing.T) {
	cases := []struct {
		name string
		n    int
		s    AdamSettings
		want string
	}{
		{"no variables", 0, AdamSettings{LearningRate: 1}, "at least 1 variable"},
		{"zero rate", 2, AdamSettings{}, "learning rate 0"},
		{"negative rate", 2, AdamSettings{LearningRate: -1}, "learning rate -1"},
		{"NaN rate", 2, AdamSettings{LearningRate: math.NaN()}, "learning rate NaN"},
		{"long bounds", 2, AdamSettings{LearningRate: 1, Bounds: UniformBounds(3, 0, 1)}, "3 elements for a vector of 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := NewAdam(tc.n, tc.s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewAdam = %v, %v; want an error containing %q", o, err, tc.want)
			}
		})
	}
}
