package experiments

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/stylelab/stylelab/loss"
	"github.com/stylelab/stylelab/ops"
	"github.com/stylelab/stylelab/vgg"
)

// Style is one style image and its weight in the blend of style targets.
// Give either Path or Image.
type Style struct {
	Path   string
	Image  image.Image
	Weight float64 // relative; 0 means 1
}

// LayerWeight is a layer and the weight w_l of its loss term.
type LayerWeight struct {
	Layer  string
	Weight float64
}

// Config is everything that defines a run. Start from Defaults(); Resolve
// fills other zero fields with the defaults, except Iterations, which must be set.
type Config struct {
	Name       string // a label for the run; default derived from the images
	Experiment string // groups runs in the store; default "default"

	ContentPath  string      // the content image, a path ...
	ContentImage image.Image // ... or an image
	Styles       []Style

	ContentLayers []string      // default conv4_2
	StyleLayers   []LayerWeight // default conv1_1 ... conv5_1, each 1/5
	Alpha, Beta   float64       // default 1 and 1e3 (alpha/beta = 1e-3)
	TVWeight      float64       // total variation weight; default 0
	Scaling       string        // "paper" (default) or "johnson"
	Pooling       string        // "avg" (the paper's choice, default) or "max"

	Optimizer    string  // "lbfgs" (default) or "adam"
	Iterations   int     // per scale; default 500
	History      int     // L-BFGS history size; default 20
	LineSearch   string  // L-BFGS: "wolfe" (strong Wolfe, default) or "none"
	LearningRate float64 // Adam's step in pixel units (1/255 of the range); default 10

	Init      string      // "noise" (default), "content", "style", or an image path
	InitImage image.Image // an image to start from, instead of Init
	Seed      int64       // for the noise; runs with equal settings and seed are byte-identical

	Size       int     // longest side of the output in pixels; default 512
	Scales     []int   // coarse-to-fine sizes, e.g. 256, 512 (overrides Size)
	StyleScale float64 // style images are resized to StyleScale * size; default 1
	Colour     string  // "" (transfer colours too), "keep" (keep the content's colours afterwards) or "luminance" (luminance-only transfer)

	ReportEvery   int // call Hooks.Step every N iterations; default 1
	SnapshotEvery int // call Hooks.Snapshot every N iterations; 0 = never
}

// Defaults returns the paper's settings: content conv4_2, style conv1_1 ...
// conv5_1 with w_l = 1/5, alpha/beta = 1e-3, paper scaling, average
// pooling, L-BFGS from white noise at 512 px.
func Defaults() Config {
	return Config{
		Experiment:    "default",
		ContentLayers: []string{"conv4_2"},
		StyleLayers:   EqualWeights("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"),
		Alpha:         1, Beta: 1e3,
		Scaling: "paper", Pooling: "avg",
		Optimizer: "lbfgs", Iterations: 500, History: 20, LineSearch: "wolfe", LearningRate: 10,
		Init: "noise", Size: 512, StyleScale: 1, ReportEvery: 1,
	}
}

// EqualWeights gives each layer the weight 1/len(layers), as the paper does.
func EqualWeights(layers ...string) []LayerWeight {
	out := make([]LayerWeight, len(layers))
	for i, l := range layers {
		out[i] = LayerWeight{Layer: l, Weight: 1 / float64(len(layers))}
	}
	return out
}

// Ratio is alpha/beta.
func (c Config) Ratio() float64 { return c.Alpha / c.Beta }

// StyleLayerNames lists the style layers in order.
func (c Config) StyleLayerNames() []string {
	names := make([]string, len(c.StyleLayers))
	for i, l := range c.StyleLayers {
		names[i] = l.Layer
	}
	return names
}

// Sizes is the list of sizes the run optimises at, coarse to fine.
func (c Config) Sizes() []int {
	if len(c.Scales) > 0 {
		return c.Scales
	}
	return []int{c.Size}
}

// Resolve fills in defaults and checks every field, returning the config a
// run uses or an error naming the problem and the fix.
func (c Config) Resolve() (Config, error) {
	d := Defaults()
	if c.Experiment == "" {
		c.Experiment = d.Experiment
	}
	if len(c.ContentLayers) == 0 {
		c.ContentLayers = d.ContentLayers
	}
	if len(c.StyleLayers) == 0 {
		c.StyleLayers = d.StyleLayers
	}
	if c.Alpha == 0 && c.Beta == 0 {
		c.Alpha, c.Beta = d.Alpha, d.Beta
	}
	pick := func(s *string, def string) {
		if *s == "" {
			*s = def
		}
	}
	pick(&c.Scaling, d.Scaling)
	pick(&c.Pooling, d.Pooling)
	pick(&c.Optimizer, d.Optimizer)
	pick(&c.LineSearch, d.LineSearch)
	pick(&c.Init, d.Init)
	for _, p := range []struct {
		v   *int
		def int
	}{{&c.History, d.History}, {&c.Size, d.Size}, {&c.ReportEvery, d.ReportEvery}} {
		if *p.v == 0 {
			*p.v = p.def
		}
	}
	if c.LearningRate == 0 {
		c.LearningRate = d.LearningRate
	}
	if c.StyleScale == 0 {
		c.StyleScale = d.StyleScale
	}
	for i := range c.Styles {
		if c.Styles[i].Weight == 0 {
			c.Styles[i].Weight = 1
		}
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("experiments: "+format, a...)) }
	if c.ContentPath == "" && c.ContentImage == nil {
		bad("no content image: set ContentPath or ContentImage")
	}
	if len(c.Styles) == 0 {
		bad("no style image: add one to Styles")
	}
	for i, s := range c.Styles {
		if s.Path == "" && s.Image == nil {
			bad("style %d has neither Path nor Image", i+1)
		}
		if !validWeight(s.Weight) {
			bad("style %d has weight %v: blend weights must be finite and >= 0", i+1, s.Weight)
		}
	}
	if err := vgg.CheckLayers(c.ContentLayers); err != nil {
		bad("content layers: %w", err)
	}
	if err := vgg.CheckLayers(c.StyleLayerNames()); err != nil {
		bad("style layers: %w", err)
	}
	seen := map[string]bool{}
	for _, l := range c.StyleLayers {
		if !validWeight(l.Weight) {
			bad("style layer %s has weight %v: layer weights must be finite and >= 0", l.Layer, l.Weight)
		}
		if seen[l.Layer] {
			bad("style layer %s is listed twice: list each layer once", l.Layer)
		}
		seen[l.Layer] = true
	}
	for name, v := range map[string]float64{"Alpha": c.Alpha, "Beta": c.Beta, "TVWeight": c.TVWeight, "LearningRate": c.LearningRate, "StyleScale": c.StyleScale} {
		if !validWeight(v) {
			bad("%s is %v: it must be finite and >= 0", name, v)
		}
	}
	if c.StyleScale <= 0 {
		bad("StyleScale must be > 0")
	}
	if _, err := loss.ParseScaling(c.Scaling); err != nil {
		bad("%w", err)
	}
	if _, err := ops.ParsePooling(c.Pooling); err != nil {
		bad("%w", err)
	}
	if c.Optimizer != "lbfgs" && c.Optimizer != "adam" {
		bad("unknown optimizer %q: use \"lbfgs\" or \"adam\"", c.Optimizer)
	}
	if c.LineSearch != "wolfe" && c.LineSearch != "none" {
		bad("unknown line search %q: use \"wolfe\" or \"none\"", c.LineSearch)
	}
	if c.Iterations < 1 {
		bad("Iterations is %d: it must be at least 1 (Defaults() sets 500)", c.Iterations)
	}
	if c.History < 1 {
		bad("History is %d: the L-BFGS history must be at least 1", c.History)
	}
	for _, s := range c.Sizes() {
		if s < 16 {
			bad("size %d is too small: VGG-19 needs at least 16 px (use 64 or more)", s)
		}
	}
	switch c.Colour {
	case "", "keep", "luminance":
	default:
		bad("unknown colour mode %q: use \"\", \"keep\" or \"luminance\"", c.Colour)
	}
	if c.ReportEvery < 1 || c.SnapshotEvery < 0 {
		bad("ReportEvery must be >= 1 and SnapshotEvery >= 0")
	}
	switch c.Init {
	case "noise", "content", "style":
	default:
		if c.InitImage == nil && strings.TrimSpace(c.Init) == "" {
			bad("Init is empty: use noise, content, style or an image path")
		}
	}
	return errors.Join(errs...)
}

func validWeight(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }
