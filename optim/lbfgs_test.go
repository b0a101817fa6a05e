package optim

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

func TestLBFGSMinimises(t *testing.T) {
	const n = 20
	a, c := spread(n, 1, 100), spread(n, -3, 3)
	clipped := make([]float64, n) // the minimum of the separable quadratic in [-1, 1]
	for i, v := range c {
		clipped[i] = math.Min(math.Max(v, -1), 1)
	}
	both := []LineSearch{StrongWolfe, NoLineSearch}
	inf := float32(math.Inf(1))
	cases := []struct {
		name     string
		f        Func
		start    []float32
		bounds   Bounds
		searches []LineSearch
		want     []float64 // nil: check the KKT conditions only
		tol      float64   // on |x - want|
		gtol     float64   // on the projected gradient
	}{
		{"quadratic", quadratic(a, c), fill(n, 0), Bounds{}, both, c, 1e-5, 1e-4},
		{"quadratic in [-1, 1]", quadratic(a, c), fill(n, 0), UniformBounds(n, -1, 1), both, clipped, 1e-6, 1e-4},
		{"quadratic starting outside [-1, 1]", quadratic(a, c), fill(n, 5), UniformBounds(n, -1, 1), both, clipped, 1e-6, 1e-4},
		// x0 <= 0.5 binds: x1 then minimises x1² + 0.5 x1 - 3 x1, so x1 = 1.25;
		// ∂f/∂x0 = 2(0.5) + 1.25 - 3 = -0.75 < 0 pushes x0 against its bound.
		{"coupled, x0 <= 0.5", coupled2, []float32{0, 0}, Bounds{Upper: []float32{0.5, inf}}, both, []float64{0.5, 1.25}, 1e-6, 1e-5},
		{"rosenbrock 10", rosenbrock, []float32{-1.2, 1, -1.2, 1, -1.2, 1, -1.2, 1, -1.2, 1}, Bounds{}, []LineSearch{StrongWolfe},
			[]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 1e-3, 1e-3},
		// x0 <= 0.5 binds: x1 = x0² = 0.25 zeroes the first term, and then
		// ∂f/∂x0 = -2(1 - 0.5) = -1 < 0.
		{"rosenbrock 2, x0 <= 0.5", rosenbrock, []float32{-1.2, 1}, Bounds{Upper: []float32{0.5, inf}}, []LineSearch{StrongWolfe},
			[]float64{0.5, 0.25}, 1e-4, 1e-4},
		// x >= 1.2 binds x0 (∂f/∂x0 = 2(x0 - 1) > 0 at x1 = x0²), x1 = 1.44 is free.
		{"rosenbrock 2, x >= 1.2", rosenbrock, []float32{2, 2}, UniformBounds(2, 1.2, inf), []LineSearch{StrongWolfe},
			[]float64{1.2, 1.44}, 1e-4, 1e-4},
		{"rosenbrock 10, x0 <= 0.5", rosenbrock, []float32{-1.2, 1, -1.2, 1, -1.2, 1, -1.2, 1, -1.2, 1},
			Bounds{Upper: []float32{0.5, inf, inf, inf, inf, inf, inf, inf, inf, inf}}, []LineSearch{StrongWolfe}, nil, 0, 1e-3},
		{"smooth pixels in [0, 1]", smooth(spread(997, -0.5, 1.5), 4), fill(997, 0.5), UniformBounds(997, 0, 1), both, nil, 0, 1e-4},
	}
	for _, tc := range cases {
		for _, ls := range tc.searches {
			t.Run(tc.name+"/"+ls.String(), func(t *testing.T) {
				f := tc.f
				if tc.bounds.IsSet() {
					f = inBox(t, tc.bounds, f)
				}
				x := append([]float32(nil), tc.start...)
				o, err := NewLBFGS(len(x), LBFGSSettings{History: 5, LineSearch: ls, FirstMove: 0.5, Bounds: tc.bounds})
				if err != nil {
					t.Fatal(err)
				}
				iters := run(t, o, x, f, tc.gtol/10, 2000)
				t.Logf("%d iterations, %d evaluations", iters, o.Evaluations())
				g := make([]float32, len(x))
				if _, err := tc.f(x, g); err != nil {
					t.Fatal(err)
				}
				kkt := projectedGradNorm(tc.bounds, x, g)
				if kkt > tc.gtol {
					t.Errorf("after %d iterations the projected gradient is %g, want at most %g; x = %v", iters, kkt, tc.gtol, x)
				}
				if got := o.GradNorm(); math.Abs(got-kkt) > 1e-6*math.Max(1, kkt) {
					t.Errorf("GradNorm() = %g, the projected gradient is %g", got, kkt)
				}
				for i, w := range tc.want {
					if math.Abs(float64(x[i])-w) > tc.tol {
						t.Errorf("after %d iterations x[%d] = %g, want %g ± %g", iters, i, x[i], w, tc.tol)
					}
				}
				if tc.name == "rosenbrock 10, x0 <= 0.5" && x[0] != 0.5 {
					t.Errorf("x0 = %g, want it at its bound 0.5", x[0])
				}
			})
		}
	}
}

// Without bounds, iterates must be bit for bit those of the optimizer the
// experiments package used before this package existed: testdata holds
// its iterates (loss and x after each step) on a few problems, recorded on
// amd64 with the default GOAMD64=v1 (a build that fuses multiply-adds may
// round differently).
func TestLBFGSReproducesEarlierIterates(t *testing.T) {
	b, err := os.ReadFile("testdata/lbfgs_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var runs []struct {
		Name      string    `json:"name"`
		History   int       `json:"history"`
		Wolfe     bool      `json:"wolfe"`
		FirstMove float64   `json:"first_move"`
		Start     []float32 `json:"start"`
		Steps     []struct {
			F   float64   `json:"f"`
			X   []float32 `json:"x"`
			Err string    `json:"err"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b, &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 4 {
		t.Fatalf("%d golden runs, want 4", len(runs))
	}
	funcs := map[string]Func{
		"rosenbrock": rosenbrock,
		"quadratic":  quadratic([]float64{1, 2, 5, 10, 50, 100}, []float64{1, -2, 3, 0.5, -1, 2}),
	}
	for _, r := range runs {
		ls := StrongWolfe
		if !r.Wolfe {
			ls = NoLineSearch
		}
		f := funcs[r.Name]
		o, err := NewLBFGS(len(r.Start), LBFGSSettings{History: r.History, LineSearch: ls, FirstMove: r.FirstMove})
		if err != nil {
			t.Fatal(err)
		}
		x := append([]float32(nil), r.Start...)
		for i, want := range r.Steps {
			fx, err := o.Step(x, f)
			if gotErr := err != nil; gotErr != (want.Err != "") || err != nil && !errors.Is(err, ErrNoProgress) {
				t.Fatalf("%s history %d %v, step %d: error %v, want %q", r.Name, r.History, ls, i+1, err, want.Err)
			}
			if fx != want.F {
				t.Fatalf("%s history %d %v, step %d: loss %v, want %v", r.Name, r.History, ls, i+1, fx, want.F)
			}
			for j, v := range want.X {
				if math.Float32bits(x[j]) != math.Float32bits(v) {
					t.Fatalf("%s history %d %v, step %d: x[%d] = %v, want %v", r.Name, r.History, ls, i+1, j, x[j], v)
				}
			}
		}
	}
}

// The first two iterates without a line search, derived by hand.
func TestLBFGSFirstStepsByHand(t *testing.T) {
	// f = (x0 - 1)² + 2 (x1 + 1)², g = (2(x0 - 1), 4(x1 + 1)).
	f := func(x, g []float32) (float64, error) {
		a, b := float64(x[0])-1, float64(x[1])+1
		g[0], g[1] = float32(2*a), float32(4*b)
		return a*a + 2*b*b, nil
	}
	o, err := NewLBFGS(2, LBFGSSettings{History: 3, LineSearch: NoLineSearch, FirstMove: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{0, 0}
	if !math.IsInf(o.GradNorm(), 1) {
		t.Errorf("GradNorm before the first step = %g, want +Inf", o.GradNorm())
	}
	// Step 1: g0 = (-2, 4), d = -g0, t = FirstMove / max|d| = 0.125,
	// x1 = (0.25, -0.5).
	// Step 2: g1 = (-1.5, 2), s = (0.25, -0.5), y = g1 - g0 = (0.5, -2),
	// s·y = 1.125, y·y = 4.25, ρ = 1/1.125, γ = s·y / y·y = 0.26470588.
	// q = -g1 = (1.5, -2); α = ρ s·q = 1.375/1.125 = 1.2222222;
	// q -= α y → (0.8888889, 0.4444444); r = γ q = (0.2352941, 0.1176471);
	// β = ρ y·r = -0.1045752; r += (α - β) s → (0.5669935, -0.5457516);
	// x2 = x1 + r = (0.8169935, -1.0457516).
	want := [][2]float64{{0.25, -0.5}, {0.8169935, -1.0457516}}
	for i, w := range want {
		if _, err := o.Step(x, f); err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(x[0])-w[0]) > 1e-6 || math.Abs(float64(x[1])-w[1]) > 1e-6 {
			t.Errorf("x%d = %v, want %v", i+1, x, w)
		}
	}
	if o.Evaluations() != 3 {
		t.Errorf("%d evaluations, want 3 (start and two steps)", o.Evaluations())
	}
}

func TestLBFGSNoProgressAtMinimum(t *testing.T) {
	zero := quadratic([]float64{1, 2, 3}, []float64{0, 0, 0})
	corner := quadratic([]float64{1, 2, 3}, []float64{-1, -1, 2}) // minimum in [0, 1]³ at (0, 0, 1)
	cases := []struct {
		name   string
		f      Func
		x      []float32
		s      LBFGSSettings
		bounds Bounds
	}{
		{"unbounded wolfe", zero, []float32{0, 0, 0}, LBFGSSettings{History: 3, FirstMove: 1}, Bounds{}},
		{"unbounded none", zero, []float32{0, 0, 0}, LBFGSSettings{History: 3, FirstMove: 1, LineSearch: NoLineSearch}, Bounds{}},
		{"bounded interior", zero, []float32{0, 0, 0}, LBFGSSettings{History: 3, FirstMove: 1}, UniformBounds(3, -1, 1)},
		{"bounded corner", corner, []float32{0, 0, 1}, LBFGSSettings{History: 3, FirstMove: 1}, UniformBounds(3, 0, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.Bounds = tc.bounds
			o, err := NewLBFGS(len(tc.x), tc.s)
			if err != nil {
				t.Fatal(err)
			}
			x := append([]float32(nil), tc.x...)
			if _, err := o.Step(x, tc.f); !errors.Is(err, ErrNoProgress) {
				t.Fatalf("error %v, want ErrNoProgress", err)
			}
			for i := range x {
				if x[i] != tc.x[i] {
					t.Errorf("x moved to %v from %v", x, tc.x)
				}
			}
			if o.GradNorm() != 0 || o.Evaluations() != 1 {
				t.Errorf("GradNorm %g, %d evaluations; want 0 and 1", o.GradNorm(), o.Evaluations())
			}
		})
	}
}

// A step that would leave the box for every variable must still be
// projected, the curvature of the move kept, and the loss fall.
func TestLBFGSStepsStayInBoxUnderPressure(t *testing.T) {
	const n = 101
	c := spread(n, -10, 10) // most targets far outside the box
	b := UniformBounds(n, -0.25, 0.25)
	f := inBox(t, b, quadratic(spread(n, 0.1, 1000), c))
	for _, ls := range []LineSearch{StrongWolfe, NoLineSearch} {
		o, err := NewLBFGS(n, LBFGSSettings{History: 4, LineSearch: ls, FirstMove: 100, Bounds: b})
		if err != nil {
			t.Fatal(err)
		}
		x := fill(n, 3) // outside: the first evaluation must see it projected
		last := math.Inf(1)
		for it := 0; it < 50; it++ {
			fx, err := o.Step(x, f)
			if errors.Is(err, ErrNoProgress) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if ls == StrongWolfe && fx > last {
				t.Errorf("%v step %d: loss rose from %g to %g", ls, it, last, fx)
			}
			last = fx
			if o.GradNorm() <= 1e-4 { // without a line search, going on after convergence can jump away
				break
			}
		}
		for i, v := range x {
			if want := float32(math.Min(math.Max(c[i], -0.25), 0.25)); math.Abs(float64(v-want)) > 1e-6 {
				t.Errorf("%v: x[%d] = %g, want %g", ls, i, v, want)
			}
		}
	}
}

func TestNewLBFGSRefusesBadSettings(t *testing.T) {
	ok := LBFGSSettings{History: 5, FirstMove: 1}
	cases := []struct {
		name string
		n    int
		edit func(*LBFGSSettings)
		want string
	}{
		{"no variables", 0, func(*LBFGSSettings) {}, "at least 1 variable"},
		{"no history", 3, func(s *LBFGSSettings) { s.History = 0 }, "history 0"},
		{"negative history", 3, func(s *LBFGSSettings) { s.History = -2 }, "history -2"},
		{"zero first move", 3, func(s *LBFGSSettings) { s.FirstMove = 0 }, "first move 0"},
		{"NaN first move", 3, func(s *LBFGSSettings) { s.FirstMove = math.NaN() }, "first move NaN"},
		{"infinite first move", 3, func(s *LBFGSSettings) { s.FirstMove = math.Inf(1) }, "first move +Inf"},
		{"unknown line search", 3, func(s *LBFGSSettings) { s.LineSearch = 7 }, "LineSearch(7)"},
		{"short bounds", 3, func(s *LBFGSSettings) { s.Bounds = UniformBounds(2, 0, 1) }, "2 elements for a vector of 3"},
		{"crossed bounds", 2, func(s *LBFGSSettings) { s.Bounds = Bounds{Lower: []float32{0, 2}, Upper: []float32{1, 1}} }, "element 1 has lower bound 2 above its upper bound 1"},
		{"NaN bound", 2, func(s *LBFGSSettings) { s.Bounds = Bounds{Upper: []float32{0, float32(math.NaN())}} }, "upper bound 1 is NaN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			o, err := NewLBFGS(tc.n, s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewLBFGS = %v, %v; want an error containing %q", o, err, tc.want)
			}
		})
	}
	o, err := NewLBFGS(3, ok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Step(make([]float32, 4), rosenbrock); err == nil || !strings.Contains(err.Error(), "4 elements but the optimizer was made for 3") {
		t.Errorf("Step on a vector of the wrong size: %v", err)
	}
}

func TestParseLineSearch(t *testing.T) {
	for _, ls := range []LineSearch{StrongWolfe, NoLineSearch} {
		got, err := ParseLineSearch(ls.String())
		if err != nil || got != ls {
			t.Errorf("ParseLineSearch(%q) = %v, %v", ls.String(), got, err)
		}
	}
	if _, err := ParseLineSearch("armijo"); err == nil || !strings.Contains(err.Error(), `"armijo"`) {
		t.Errorf("ParseLineSearch(armijo): %v", err)
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	const n = 1000
	a, c := spread(n, 1, 1000), spread(n, -1, 2)
	g64 := quadratic(a, c)
	for _, b := range []Bounds{{}, UniformBounds(n, 0, 1)} {
		o, err := NewLBFGS(n, LBFGSSettings{History: 5, FirstMove: 1, Bounds: b})
		if err != nil {
			t.Fatal(err)
		}
		x := fill(n, 0.5)
		for range 10 { // fill the history
			if _, err := o.Step(x, g64); err != nil {
				t.Fatal(err)
			}
		}
		var stepErr error
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := o.Step(x, g64); err != nil && !errors.Is(err, ErrNoProgress) {
				stepErr = err
			}
		})
		if stepErr != nil {
			t.Fatal(stepErr)
		}
		if allocs != 0 {
			t.Errorf("bounds %v: %v allocations per step, want 0", b.IsSet(), allocs)
		}
	}
}

// BenchmarkLBFGSStep times one step on a 512 x 512 RGB image's worth of
// variables with a cheap quadratic, so the time is the optimizer's own.
func BenchmarkLBFGSStep(b *testing.B) {
	const n = 3 * 512 * 512
	a := make([]float32, n)
	for i := range a {
		a[i] = 1 + float32(i%1000)
	}
	f := func(x, g []float32) (float64, error) {
		var s float64
		for i, v := range x {
			g[i] = a[i] * (v - 0.5)
			s += float64(g[i]) * float64(v-0.5)
		}
		return s / 2, nil
	}
	for _, bc := range []struct {
		name   string
		bounds Bounds
	}{{"unbounded", Bounds{}}, {"bounded", UniformBounds(n, 0, 0.75)}} {
		b.Run(bc.name, func(b *testing.B) {
			start := func() (*LBFGS, []float32) {
				o, err := NewLBFGS(n, LBFGSSettings{History: 20, FirstMove: 0.1, Bounds: bc.bounds})
				if err != nil {
					b.Fatal(err)
				}
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(i%255) / 255
				}
				return o, x
			}
			o, x := start()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := o.Step(x, f); errors.Is(err, ErrNoProgress) {
					o, x = start()
				} else if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
