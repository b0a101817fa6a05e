package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/loss"
	"github.com/stylelab/stylelab/ops"
	"github.com/stylelab/stylelab/optim"
	"github.com/stylelab/stylelab/vgg"
)

// Optimizer is the algorithm that moves the image.
type Optimizer int

// The optimizers.
const (
	LBFGS Optimizer = iota // limited-memory BFGS, the paper's choice
	Adam
)

func (o Optimizer) String() string { return [...]string{"lbfgs", "adam"}[o] }

// Start is where optimisation begins.
type Start int

// The starting points.
const (
	FromNoise Start = iota // white noise (the paper's)
	FromContent
	FromStyle
	FromImage // Plan.Init
)

func (s Start) String() string { return [...]string{"noise", "content", "style", "image"}[s] }

// Colour is how colours are handled.
type Colour int

// The colour modes.
const (
	TransferColours Colour = iota // the style's colours come with its texture
	KeepColours                   // the output takes the content's colours afterwards
	LuminanceOnly                 // the transfer runs on luminance alone
)

func (c Colour) String() string { return [...]string{"", "keep", "luminance"}[c] }

// Network is which VGG-19 a run uses.
type Network int

// The networks.
const (
	Raw        Network = iota // the weights as trained
	Normalised                // rescaled so each conv filter's mean activation over an image set is 1 (the paper's)
)

func (n Network) String() string { return [...]string{"raw", "normalised"}[n] }

// Image is an input image with where it came from and its hashes.
type Image struct {
	Path   string // "" for an image given in memory
	SHA256 string // of the file (as sha256sum prints it), or of the pixels for an image given in memory
	Pixels string // sha256 of the decoded pixels: the image's identity, however it was given
	Image  image.Image
}

// Plan is a checked Config with typed values: what a run executes. Make
// one with Config.Resolve; nothing downstream parses a string again.
type Plan struct {
	Name, Experiment string

	Content Image
	Styles  []Image
	Blend   []float64 // each style's share of the target, summing to 1
	Init    *Image    // the image to start from when Start is FromImage

	ContentLayers []string
	StyleLayers   []LayerWeight
	Alpha, Beta   float64
	TVWeight      float64
	Terms         []Term // custom loss terms (Config.Terms)
	Scaling       loss.Scaling
	Pooling       ops.Pooling
	// Convolution is the algorithm of the 3x3 convolutions, resolved for
	// this CPU.
	Convolution ops.Algorithm
	Network     Network
	// NormaliseImages is the folder of images a Normalised network is
	// measured on; "" for the standard set (weights.StandardSet).
	NormaliseImages string

	Optimizer    Optimizer
	Iterations   int  // at most, per scale
	Bounded      bool // pixels kept in their range
	Stop         optim.Criteria
	GramRescale  bool // style Gram targets scaled by M_out/M_style
	LBFGSHistory int
	Wolfe        bool    // strong Wolfe line search (else a plain step)
	LearningRate float64 // Adam, in pixel values (of 255)

	Start Start
	Seed  int64

	Sizes      []int // coarse to fine
	StyleScale float64
	Colour     Colour

	ReportEvery, SnapshotEvery int

	config Config // the settings as resolved, for Params and Config
}

// Config returns the settings the plan was resolved from, with defaults filled in.
func (p *Plan) Config() Config { return p.config }

// Ratio is alpha/beta (+Inf when beta is 0).
func (p *Plan) Ratio() float64 { return p.Alpha / p.Beta }

// StyleLayerNames lists the style layers in order.
func (p *Plan) StyleLayerNames() []string { return p.config.StyleLayerNames() }

// Taps are the layers the network must compute: content (unless alpha is
// 0), style (unless beta is 0), then the custom terms' layers.
func (p *Plan) Taps() []string {
	var taps []string
	if p.Alpha > 0 {
		taps = append(taps, p.ContentLayers...)
	}
	if p.Beta > 0 {
		taps = append(taps, p.StyleLayerNames()...)
	}
	for _, t := range p.Terms {
		taps = append(taps, t.Layer)
	}
	return taps
}

// Resolve fills in defaults, checks every setting, and reads and hashes the
// images, returning the plan a run executes or an error that lists every
// problem with its fix.
func (c Config) Resolve() (*Plan, error) {
	c = c.withDefaults()
	p := &Plan{Name: c.Name, Experiment: c.Experiment, ContentLayers: c.ContentLayers,
		StyleLayers: c.StyleLayers, Alpha: c.Alpha, Beta: c.Beta, TVWeight: c.TVWeight, Terms: c.Terms,
		Iterations: c.Iterations, LBFGSHistory: c.LBFGSHistory, LearningRate: c.LearningRate,
		Seed: c.Seed, Sizes: c.Sizes(), StyleScale: c.StyleScale,
		ReportEvery: c.ReportEvery, SnapshotEvery: c.SnapshotEvery, config: c}
	if c.Ratio != 0 {
		p.Beta = c.Alpha / c.Ratio
	}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("transfer: "+format, a...)) }
	var err error
	if p.Scaling, err = loss.ParseScaling(c.Scaling); err != nil {
		bad("%w", err)
	}
	if p.Pooling, err = ops.ParsePooling(c.Pooling); err != nil {
		bad("%w", err)
	}
	if c.Convolution == "auto" {
		p.Convolution = ops.Preferred()
	} else if p.Convolution, err = ops.ParseAlgorithm(c.Convolution); err != nil {
		bad("%w (or auto)", err)
	} else if err = ops.Supported(p.Convolution); err != nil {
		bad("%w", err)
	}
	switch c.Network {
	case "raw":
	case "normalised", "normalized":
		p.Network = Normalised
		p.NormaliseImages = c.NormaliseImages
		if d := c.NormaliseImages; d != "" && !dirExists(d) {
			bad("normalise_images %q is not a folder: give a folder of photos (jpg or png), or leave it empty for the standard set", d)
		}
	default:
		bad("unknown network %q: use \"raw\" or \"normalised\"", c.Network)
	}
	switch c.Optimizer {
	case "lbfgs":
		p.Optimizer = LBFGS
	case "adam":
		p.Optimizer = Adam
	default:
		bad("unknown optimizer %q: use \"lbfgs\" or \"adam\"", c.Optimizer)
	}
	switch c.Bounds {
	case "pixels":
		p.Bounded = true
	case "none":
	default:
		bad("unknown bounds %q: use \"pixels\" or \"none\"", c.Bounds)
	}
	switch c.GramRescale {
	case "positions":
		p.GramRescale = true
	case "none":
	default:
		bad("unknown gram_rescale %q: use \"positions\" or \"none\"", c.GramRescale)
	}
	p.Stop = optim.Criteria{MaxIterations: c.Iterations, RelTol: c.LossTolerance, Window: c.ToleranceWindow, GradTol: c.GradientTolerance}
	if err := p.Stop.Validate(); err != nil {
		bad("%w", err)
	}
	switch c.LineSearch {
	case "wolfe":
		p.Wolfe = true
	case "none":
	default:
		bad("unknown line search %q: use \"wolfe\" or \"none\"", c.LineSearch)
	}
	switch c.Colour {
	case "":
	case "keep":
		p.Colour = KeepColours
	case "luminance":
		p.Colour = LuminanceOnly
	default:
		bad("unknown colour mode %q: use \"\", \"keep\" or \"luminance\"", c.Colour)
	}
	errs = append(errs, c.checkWeights(p)...)
	errs = append(errs, checkTerms(c.Terms)...)
	if err := vgg.CheckLayers(c.ContentLayers); err != nil {
		bad("content layers: %w", err)
	}
	if err := vgg.CheckLayers(c.StyleLayerNames()); err != nil {
		bad("style layers: %w", err)
	}
	if c.Iterations < 1 {
		bad("Iterations is %d: it must be at least 1 (Defaults() sets 500)", c.Iterations)
	}
	if c.LBFGSHistory < 1 {
		bad("LBFGSHistory is %d: the L-BFGS history must be at least 1", c.LBFGSHistory)
	}
	if p.Optimizer == Adam && c.LearningRate <= 0 {
		bad("LearningRate is %v: Adam needs a step > 0 (in pixel values, e.g. 10)", c.LearningRate)
	}
	for _, s := range p.Sizes {
		if s < 16 {
			bad("size %d is too small: VGG-19 needs at least 16 px (use 64 or more)", s)
		}
	}
	if c.ReportEvery < 1 || c.SnapshotEvery < 0 {
		bad("ReportEvery must be >= 1 and SnapshotEvery >= 0")
	}
	errs = append(errs, p.readImages(c)...)
	if len(errs) == 0 {
		for _, s := range p.Sizes {
			w, h := imaging.FitSize(p.Content.Image.Bounds(), s)
			if err := checkMemory(p, w, h); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// withDefaults fills the zero fields a run needs with Defaults().
func (c Config) withDefaults() Config {
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
	c.StyleLayers = append([]LayerWeight(nil), c.StyleLayers...)
	if allZero(len(c.StyleLayers), func(i int) float64 { return c.StyleLayers[i].Weight }) {
		c.StyleLayers = EqualWeights(c.StyleLayerNames()...)
	}
	c.Styles = append([]Style(nil), c.Styles...)
	if allZero(len(c.Styles), func(i int) float64 { return c.Styles[i].Weight }) {
		for i := range c.Styles {
			c.Styles[i].Weight = 1
		}
	}
	if c.Alpha == 0 && c.Beta == 0 && c.Ratio == 0 && len(c.Terms) == 0 {
		c.Alpha, c.Ratio = d.Alpha, d.Ratio
	}
	c.Terms = append([]Term(nil), c.Terms...)
	for _, s := range []struct {
		v   *string
		def string
	}{{&c.Bounds, d.Bounds}, {&c.GramRescale, d.GramRescale}, {&c.Scaling, d.Scaling}, {&c.Pooling, d.Pooling}, {&c.Convolution, d.Convolution}, {&c.Network, d.Network}, {&c.Optimizer, d.Optimizer}, {&c.LineSearch, d.LineSearch}, {&c.Init, d.Init}} {
		if *s.v == "" {
			*s.v = s.def
		}
	}
	for _, p := range []struct {
		v   *int
		def int
	}{{&c.LBFGSHistory, d.LBFGSHistory}, {&c.Size, d.Size}, {&c.ReportEvery, d.ReportEvery}, {&c.Iterations, d.Iterations}, {&c.ToleranceWindow, d.ToleranceWindow}} {
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
	return c
}

// checkWeights checks alpha, beta, ratio and the layer and blend weights.
func (c Config) checkWeights(p *Plan) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("transfer: "+format, a...)) }
	for _, v := range []struct {
		name string
		v    float64
	}{{"Alpha", c.Alpha}, {"Beta", c.Beta}, {"Ratio", c.Ratio}, {"TVWeight", c.TVWeight}, {"LearningRate", c.LearningRate}, {"StyleScale", c.StyleScale}} {
		if !validWeight(v.v) {
			bad("%s is %v: it must be finite and >= 0", v.name, v.v)
		}
	}
	if c.Ratio != 0 && c.Beta != 0 {
		bad("Beta (%v) and Ratio (%v) are both set: Ratio sets beta = alpha/ratio; set Ratio = 0 to give Beta", c.Beta, c.Ratio)
	}
	if c.Ratio != 0 && c.Alpha == 0 {
		bad("Ratio is set but Alpha is 0: for a style reconstruction set Ratio = 0 and Beta > 0")
	}
	if p.Alpha == 0 && p.Beta == 0 && p.TVWeight == 0 && len(c.Terms) == 0 && len(errs) == 0 {
		bad("alpha and beta are both 0: nothing to optimise")
	}
	if c.StyleScale <= 0 && validWeight(c.StyleScale) {
		bad("StyleScale must be > 0")
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
	var total float64
	for i, s := range c.Styles {
		if !validWeight(s.Weight) {
			bad("style %d has weight %v: blend weights must be finite and >= 0", i+1, s.Weight)
		}
		total += s.Weight
	}
	if len(errs) == 0 {
		for _, s := range c.Styles {
			p.Blend = append(p.Blend, s.Weight/total)
		}
	}
	return errs
}

// readImages decodes and hashes the content, style and init images.
func (p *Plan) readImages(c Config) []error {
	var errs []error
	read := func(what, path string, img image.Image) (Image, error) {
		if img == nil {
			var err error
			if img, err = imaging.Load(path); err != nil {
				return Image{}, fmt.Errorf("transfer: %s image: %w", what, err)
			}
		}
		pixels := pixelsSHA256(img)
		sum := pixels
		if path != "" {
			var err error
			if sum, err = imaging.SHA256File(path); err != nil {
				return Image{}, fmt.Errorf("transfer: %s image: %w", what, err)
			}
		}
		return Image{Path: path, SHA256: sum, Pixels: pixels, Image: img}, nil
	}
	var err error
	if c.ContentPath == "" && c.ContentImage == nil {
		errs = append(errs, errors.New("transfer: no content image: set ContentPath or ContentImage"))
	} else if p.Content, err = read("content", c.ContentPath, c.ContentImage); err != nil {
		errs = append(errs, err)
	}
	if len(c.Styles) == 0 {
		errs = append(errs, errors.New("transfer: no style image: add one to Styles"))
	}
	for i, s := range c.Styles {
		if s.Path == "" && s.Image == nil {
			errs = append(errs, fmt.Errorf("transfer: style %d has neither Path nor Image", i+1))
			continue
		}
		img, err := read(fmt.Sprintf("style %d", i+1), s.Path, s.Image)
		if err != nil {
			errs = append(errs, err)
		}
		p.Styles = append(p.Styles, img)
	}
	switch {
	case c.InitImage != nil:
		p.Start = FromImage
		img, err := read("init", "", c.InitImage)
		if err != nil {
			errs = append(errs, err)
		}
		p.Init = &img
	case c.Init == "noise":
	case c.Init == "content":
		p.Start = FromContent
	case c.Init == "style":
		p.Start = FromStyle
	case strings.TrimSpace(c.Init) == "":
		errs = append(errs, errors.New("transfer: Init is empty: use noise, content, style or an image path"))
	default:
		p.Start = FromImage
		img, err := read("init", c.Init, nil)
		if err != nil {
			errs = append(errs, err)
		}
		p.Init = &img
	}
	return errs
}

// Param is one recorded setting.
type Param struct{ Key, Value string }

// Params are the settings that change the result, as the store records
// them (the keys of Settings). Images are recorded by their sha256, so
// that the same picture under two paths (or given in memory) is the same
// run; their paths go with the run's inputs. A plan with custom terms adds
// "terms": each term as name:layer:weight:sha256 of its source (16 hex
// digits), comma-separated.
func (p *Plan) Params() []Param {
	var out []Param
	c := p.config
	c.Beta = p.Beta
	c.Ratio = p.Ratio()
	for _, s := range settings {
		if !s.Identity {
			continue
		}
		v := s.get(&c)
		switch s.Key {
		case "content":
			v = p.Content.Pixels
		case "styles":
			var sums []string
			for _, im := range p.Styles {
				sums = append(sums, im.Pixels)
			}
			v = strings.Join(sums, ",")
		case "style_blend":
			var ws []string
			for _, b := range p.Blend {
				ws = append(ws, formatFloat(b))
			}
			v = strings.Join(ws, ",")
		case "init":
			v = p.Start.String()
			if p.Init != nil {
				v = "image:" + p.Init.Pixels
			}
		case "tolerance_window":
			if p.Stop.RelTol == 0 {
				continue
			}
		case "lbfgs_history", "line_search":
			if p.Optimizer != LBFGS {
				continue
			}
		case "learning_rate":
			if p.Optimizer != Adam {
				continue
			}
		case "network":
			v = p.Network.String()
		case "convolution":
			v = p.Convolution.String()
		case "normalise_images":
			if p.Network != Normalised {
				continue
			}
			if v == "" {
				v = "standard"
			}
		}
		out = append(out, Param{Key: s.Key, Value: v})
	}
	if len(p.Terms) > 0 {
		out = append(out, Param{Key: "terms", Value: termsParam(p.Terms)})
	}
	return out
}

// Identity is a hash of the parameters that change the result, with the
// network's weights hash: equal identities give equal runs.
func (p *Plan) Identity(weightsSHA256 string) string {
	params := p.Params()
	sort.Slice(params, func(i, j int) bool { return params[i].Key < params[j].Key })
	h := sha256.New()
	fmt.Fprintf(h, "weights=%s\n", weightsSHA256)
	for _, q := range params {
		fmt.Fprintf(h, "%s=%s\n", q.Key, q.Value)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// pixelsSHA256 hashes an image's size and 8-bit RGBA pixels.
func pixelsSHA256(img image.Image) string {
	h := sha256.New()
	rgba := imaging.Resize(img, img.Bounds().Dx(), img.Bounds().Dy())
	fmt.Fprintf(h, "%dx%d:", rgba.Rect.Dx(), rgba.Rect.Dy())
	h.Write(rgba.Pix)
	return hex.EncodeToString(h.Sum(nil))
}

func validWeight(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }

func dirExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
