package transfer

import (
	"image"
	"strings"
)

// Style is one style image and its weight in the blend of style targets.
// Give either Path or Image.
type Style struct {
	Path   string
	Image  image.Image
	Weight float64 // relative; when every style's Weight is 0 they count equally
}

// LayerWeight is a layer and the weight w_l of its loss term.
type LayerWeight struct {
	Layer  string
	Weight float64
}

// Config is what a user writes to describe a run: images, layers, weights
// and optimizer settings as plain values. Start from Defaults() and change
// what you need; a zero field means its default. Resolve checks it and
// turns it into the Plan a run executes. Settings lists every field with
// its command-line flag, store key, doc and default.
type Config struct {
	Name       string // a label for the run; default derived from the images
	Experiment string // groups runs in the store; default "default"

	ContentPath  string      // the content image, a path ...
	ContentImage image.Image // ... or an image
	Styles       []Style

	ContentLayers   []string      // default conv4_2
	StyleLayers     []LayerWeight // default conv1_1 ... conv5_1, each 1/5; all weights 0 means equal
	Alpha           float64       // content weight; default 1
	Beta            float64       // style weight; default 1e3 (alpha and beta both 0 mean the defaults)
	Ratio           float64       // alpha/beta: when set, beta = Alpha/Ratio (Beta must then be 0)
	TVWeight        float64       // total variation weight; default 0
	Terms           []Term        // custom loss terms (gorgonia expressions on a layer's features), added to the paper's; with Terms, alpha and beta may both be 0
	Scaling         string        // "paper" (default) or "johnson"
	GramRescale     string        // "positions" (default: style Gram targets scaled by M_out/M_style) or "none"
	Pooling         string        // "avg" (the paper's choice, default) or "max"
	Convolution     string        // "auto" (default: "winograd" where the CPU allows, else "gemm"), "winograd", "winograd-f2", "winograd-f6" or "gemm"
	Network         string        // "raw" (default) or "normalised": VGG-19 rescaled so each conv filter's mean activation is 1
	NormaliseImages string        // with Network "normalised": the folder of images measured on; "" for the standard set

	Optimizer    string  // "lbfgs" (default) or "adam"
	Iterations   int     // per scale; default 500
	LBFGSHistory int     // L-BFGS history size; default 20
	LineSearch   string  // L-BFGS: "wolfe" (strong Wolfe, default) or "none"
	LearningRate float64 // Adam's step in pixel units (1/255 of the range); default 10

	Bounds            string  // "pixels" (default: every pixel stays in 0..255) or "none"
	LossTolerance     float64 // stop when the loss falls by less than this share over ToleranceWindow iterations; 0: never
	GradientTolerance float64 // stop when no pixel's gradient exceeds this (per pixel value); 0: never
	ToleranceWindow   int     // iterations the loss tolerance looks back over; default 20

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
// pooling, L-BFGS from white noise at 512 px for 500 iterations.
func Defaults() Config {
	c := Config{}
	for _, s := range settings {
		if s.def != "" {
			if err := s.set(&c, s.def); err != nil {
				panic("transfer: default of " + s.Key + ": " + err.Error()) // a bug in the settings table
			}
		}
	}
	return c
}

// EqualWeights gives each layer the weight 1/len(layers), as the paper does.
func EqualWeights(layers ...string) []LayerWeight {
	out := make([]LayerWeight, len(layers))
	for i, l := range layers {
		out[i] = LayerWeight{Layer: l, Weight: 1 / float64(len(layers))}
	}
	return out
}

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

// SplitList splits a comma-separated list, trimming spaces and dropping
// empty items: how lists of layers, weights and sizes are written.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
