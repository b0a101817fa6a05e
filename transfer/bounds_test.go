package transfer

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/stylelab/stylelab/imaging"
)

// TestBoundedRunScoresWhatItSaves: with pixels kept in range, the 8-bit PNG
// written at the end scores (by Evaluate) within 1% of the run's last
// logged loss, and no optimised value leaves 0..255; unbounded, values do
// leave the range on the same run.
func TestBoundedRunScoresWhatItSaves(t *testing.T) {
	m := sharedModel(t)
	for _, bounds := range []string{"pixels", "none"} {
		t.Run(bounds, func(t *testing.T) {
			cfg := paperConfig(t, 64, 30)
			cfg.Bounds = bounds
			p, err := cfg.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), m, p, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			outside := 0
			for _, v := range res.Planar.Pix {
				if v < -1e-6 || v > 1+1e-6 {
					outside++
				}
			}
			if bounds == "pixels" && outside > 0 {
				t.Errorf("%d of %d values left 0..255", outside, len(res.Planar.Pix))
			}
			path := filepath.Join(t.TempDir(), "out.png")
			if err := imaging.WritePNG(path, res.Image, nil); err != nil {
				t.Fatal(err)
			}
			saved, err := imaging.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Evaluate(m, p, saved)
			if err != nil {
				t.Fatal(err)
			}
			logged := res.Last().Total
			rel := math.Abs(got.Total-logged) / logged
			t.Logf("%s: %.1f%% of values outside 0..255; logged %.6g, the saved PNG scores %.6g (%.3f%%); stopped by %v",
				bounds, 100*float64(outside)/float64(len(res.Planar.Pix)), logged, got.Total, 100*rel, res.Stops)
			if bounds == "pixels" && rel > 0.01 {
				t.Errorf("the saved PNG scores %g, %.2f%% from the logged %g; want within 1%%", got.Total, 100*rel, logged)
			}
		})
	}
}

// TestStopsAtConvergence: each stopping test ends a scale and says so.
func TestStopsAtConvergence(t *testing.T) {
	m := sharedModel(t)
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
		most   int // iterations at most
	}{
		{"loss tolerance", func(c *Config) { c.LossTolerance, c.ToleranceWindow = 0.9, 2 }, []string{"loss-tolerance"}, 20},
		{"gradient tolerance", func(c *Config) { c.GradientTolerance = 1e30 }, []string{"gradient-tolerance"}, 1},
		{"iterations", func(c *Config) { c.LossTolerance = 0 }, []string{"iterations"}, 6},
		{"per scale", func(c *Config) { c.Scales = []int{32, 48}; c.GradientTolerance = 1e30 }, []string{"gradient-tolerance", "gradient-tolerance"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := paperConfig(t, 48, 6)
			if tc.name == "loss tolerance" {
				cfg.Iterations = 200
			}
			tc.change(&cfg)
			res, err := Transfer(context.Background(), m, cfg, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Stops) != len(tc.want) || res.Stops[len(res.Stops)-1] != tc.want[len(tc.want)-1] || res.Iterations > tc.most {
				t.Errorf("stopped by %v after %d iterations, want %v within %d", res.Stops, res.Iterations, tc.want, tc.most)
			}
		})
	}
}
