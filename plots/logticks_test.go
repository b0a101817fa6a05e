package plots

import (
	"slices"
	"testing"
)

func TestLogTickerLabels(t *testing.T) {
	tests := []struct {
		name     string
		min, max float64
		want     []string
	}{
		{"seven decades", 1e2, 1e9, []string{"1e2", "1e3", "1e4", "1e5", "1e6", "1e7", "1e8", "1e9"}},
		{"plain range", 1e-3, 1e4, []string{"0.001", "0.01", "0.1", "1", "10", "100", "1000", "10000"}},
		{"fifteen decades thinned", 1e-3, 1e12, []string{"1e-2", "1e0", "1e2", "1e4", "1e6", "1e8", "1e10", "1e12"}},
		{"under one decade: 2s and 5s", 1.8, 9.9, []string{"2", "5"}},
		{"narrow: every mantissa", 0.8, 1.5, []string{"0.8", "0.9", "1"}},
		{"non-decade ends", 150, 2e6, []string{"1e3", "1e4", "1e5", "1e6"}},
		{"invalid range", -1, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tk := range (logTicker{}).Ticks(tt.min, tt.max) {
				if tk.Value < tt.min*(1-1e-9) || tk.Value > tt.max*(1+1e-9) {
					t.Errorf("tick %g outside [%g, %g]", tk.Value, tt.min, tt.max)
				}
				if tk.Label != "" {
					got = append(got, tk.Label)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("labels = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecadeRange(t *testing.T) {
	tests := []struct{ lo, hi, wantLo, wantHi float64 }{
		{150, 8e8, 100, 1e9},
		{1e2, 1e9, 1e2, 1e9},
		{1e-3, 0.5, 1e-3, 1},
		{2, 9, 2 / 1.1, 9 * 1.1},
		{5, 5, 5 / 1.1, 5 * 1.1},
	}
	for _, tt := range tests {
		lo, hi := decadeRange(tt.lo, tt.hi)
		if !close(lo, tt.wantLo) || !close(hi, tt.wantHi) {
			t.Errorf("decadeRange(%g, %g) = [%g, %g], want [%g, %g]", tt.lo, tt.hi, lo, hi, tt.wantLo, tt.wantHi)
		}
	}
}

// close reports a ≈ b to 1e-12 relative.
func close(a, b float64) bool { return a == b || (a-b)/b < 1e-12 && (b-a)/b < 1e-12 }
