package loss

import (
	"fmt"
	"strings"
)

// Scaling fixes the constants in front of each term, for a layer of N
// channels and M = H*W positions:
//
//	Gram:    G = Gram * F F^T
//	style:   E = Style * sum (G - A)^2
//	content: L = Content * sum (F - P)^2
//
// An alpha/beta ratio only means something with its scaling, so every run
// records which one it used.
type Scaling struct {
	Name string
	// Describe says where the scaling comes from.
	Describe string
	factors  func(n, m float64) (gram, style, content float64)
}

// Factors returns the Gram, style and content constants for N channels and M positions.
func (s Scaling) Factors(n, m int) (gram, style, content float64) {
	return s.factors(float64(n), float64(m))
}

// Scalings lists the available scalings; the first is the default.
func Scalings() []Scaling {
	return []Scaling{
		{Name: "paper", Describe: "Gatys et al. 2016: E_l = 1/(4 N^2 M^2) sum (G-A)^2, content 1/2 sum (F-P)^2",
			factors: func(n, m float64) (float64, float64, float64) { return 1, 1 / (4 * n * n * m * m), 0.5 }},
		{Name: "johnson", Describe: "jcjohnson/neural-style: Gram / (N M), mean squared error over Gram and feature elements",
			factors: func(n, m float64) (float64, float64, float64) { return 1 / (n * m), 1 / (n * n), 1 / (n * m) }},
	}
}

// ParseScaling finds a scaling by name ("" is the paper's).
func ParseScaling(name string) (Scaling, error) {
	if name == "" {
		name = "paper"
	}
	var names []string
	for _, s := range Scalings() {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Scaling{}, fmt.Errorf("loss: unknown scaling %q: use one of %s", name, strings.Join(names, ", "))
}
