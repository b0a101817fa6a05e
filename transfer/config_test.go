package transfer

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
)

// TestBadConfigIsRefused checks that every kind of bad setting gets an error
// naming the problem and the fix, before any work.
func TestBadConfigIsRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	real, err := os.ReadFile(testenv.Path(t, "images", "tubingen.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	empty := write("empty.jpg", nil)
	truncated := write("truncated.jpg", real[:len(real)/3])
	text := write("notes.jpg", []byte("these are notes, not a picture\n"))
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string // substrings of the error
	}{
		{"missing content", func(c *Config) { c.ContentPath = filepath.Join(dir, "nope.jpg") }, []string{"content image", "nope.jpg"}},
		{"empty content", func(c *Config) { c.ContentPath = empty }, []string{"content image", "empty.jpg"}},
		{"truncated style", func(c *Config) { c.Styles[0].Path = truncated }, []string{"style 1 image", "truncated.jpg"}},
		{"not an image", func(c *Config) { c.Styles[0].Path = text }, []string{"notes.jpg", "not an image"}},
		{"no content", func(c *Config) { c.ContentPath = "" }, []string{"no content image"}},
		{"no style", func(c *Config) { c.Styles = nil }, []string{"no style image"}},
		{"unknown style layer", func(c *Config) { c.StyleLayers = EqualWeights("conv1_1", "conv9_9") }, []string{`"conv9_9"`, "valid layers are", "conv1_1", "relu5_4", "pool5"}},
		{"unknown content layer", func(c *Config) { c.ContentLayers = []string{"fc7"} }, []string{`"fc7"`, "valid layers are"}},
		{"negative layer weight", func(c *Config) { c.StyleLayers[1].Weight = -1 }, []string{"conv2_1", "-1", ">= 0"}},
		{"NaN beta", func(c *Config) { c.Beta, c.Ratio = math.NaN(), 0 }, []string{"Beta", "NaN"}},
		{"beta and ratio", func(c *Config) { c.Beta = 5 }, []string{"Beta (5) and Ratio (0.001) are both set", "set Ratio = 0"}},
		{"ratio without alpha", func(c *Config) { c.Alpha = 0 }, []string{"Ratio is set but Alpha is 0"}},
		{"adam without a step", func(c *Config) { c.Optimizer, c.LearningRate = "adam", -1 }, []string{"LearningRate is -1"}},
		{"infinite alpha", func(c *Config) { c.Alpha = math.Inf(1) }, []string{"Alpha", "+Inf"}},
		{"negative style blend", func(c *Config) { c.Styles[0].Weight = -2 }, []string{"style 1", "weight -2"}},
		{"negative iterations", func(c *Config) { c.Iterations = -3 }, []string{"Iterations is -3", "at least 1"}},
		{"unknown optimizer", func(c *Config) { c.Optimizer = "sgd" }, []string{`"sgd"`, "lbfgs", "adam"}},
		{"unknown scaling", func(c *Config) { c.Scaling = "mine" }, []string{`"mine"`, "paper", "johnson"}},
		{"unknown pooling", func(c *Config) { c.Pooling = "min" }, []string{`"min"`, "max", "avg"}},
		{"tiny size", func(c *Config) { c.Size = 8 }, []string{"size 8", "at least 16"}},
		{"too large for memory", func(c *Config) { c.Size = 60000 }, []string{"needs about", "GiB", "lower Size"}},
		{"duplicate layer", func(c *Config) { c.StyleLayers = EqualWeights("conv1_1", "conv1_1") }, []string{"listed twice"}},
		{"negative tolerance", func(c *Config) { c.LossTolerance = -1 }, []string{"relative loss tolerance -1", "positive finite"}},
		{"NaN gradient tolerance", func(c *Config) { c.GradientTolerance = math.NaN() }, []string{"gradient tolerance NaN"}},
		{"unknown bounds", func(c *Config) { c.Bounds = "soft" }, []string{`"soft"`, "pixels", "none"}},
		{"unknown colour mode", func(c *Config) { c.Colour = "sepia" }, []string{`"sepia"`, "keep", "luminance"}},
		{"missing init image", func(c *Config) { c.Init = filepath.Join(dir, "start.png") }, []string{"init image", "start.png"}},
		{"unknown network", func(c *Config) { c.Network = "pruned" }, []string{`"pruned"`, "raw", "normalised"}},
		{"image set not a folder", func(c *Config) { c.Network, c.NormaliseImages = "normalised", text }, []string{"notes.jpg", "is not a folder", "standard set"}},
	}
	m := sharedModel(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := paperConfig(t, 64, 1)
			tc.change(&cfg)
			res, err := Transfer(context.Background(), m, cfg, Hooks{})
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if res != nil && res.Iterations > 0 {
				t.Errorf("%d iterations ran despite the error", res.Iterations)
			}
		})
	}
}
