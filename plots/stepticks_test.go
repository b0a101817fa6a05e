package plots

import (
	"slices"
	"testing"
)

func TestStepTicker(t *testing.T) {
	tests := []struct {
		min, max float64
		want     []string
	}{
		{0, 500, []string{"0", "100", "200", "300", "400", "500"}},
		{0, 199, []string{"0", "50", "100", "150"}},
		{-1, 1, []string{"-1", "0", "1"}},
		{10, 3000, []string{"500", "1000", "1500", "2000", "2500", "3000"}},
		{5, 5, nil},
	}
	for _, tt := range tests {
		var got []string
		ticks := (stepTicker{}).Ticks(tt.min, tt.max)
		for _, tk := range ticks {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Ticks(%g, %g) labels = %q, want %q", tt.min, tt.max, got, tt.want)
		}
	}
	// Beyond 2^53 a minor step can vanish in float64; the ticker must still stop.
	if n := len((stepTicker{}).Ticks(1e17, 1e17+64)); n == 0 || n > 100 {
		t.Errorf("Ticks near 1e17 gave %d ticks, want 1..100", n)
	}
}
