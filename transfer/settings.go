package transfer

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Setting is one setting of a run, defined once: its Config field, its
// command-line flag, its key in the store and in sweep axes, its doc line
// and its default. The command line, Plan.Params, Config.Set (sweeps) and
// `stylelab run -h` all come from this table.
type Setting struct {
	Key     string // store key and sweep axis, e.g. "tv_weight"
	Flag    string // command-line flag without the dash, e.g. "tv-weight"
	Field   string // Config field, e.g. "TVWeight"
	Doc     string // one line for -h and the docs
	Default string // as text; "" when empty or derived
	// Identity is true when the setting changes the result: such settings
	// are recorded with a run, and a run's identity (sweep resume,
	// comparisons) is made of them. Names and report cadence are not.
	Identity bool

	def string
	set func(c *Config, v string) error
	get func(c *Config) string
}

// settings is the table; settings later in it may depend on earlier ones
// (style_blend on styles, style_layer_weights on style_layers), so values
// are applied in this order.
var settings = []Setting{
	str("name", "Name", "run name in the store (default: experiment-id)", "", false, func(c *Config) *string { return &c.Name }),
	str("experiment", "Experiment", "experiment the run belongs to", "default", false, func(c *Config) *string { return &c.Experiment }),
	{Key: "content", Field: "ContentPath", Doc: "content image (recorded by its sha256)", Identity: true,
		set: func(c *Config, v string) error { c.ContentPath, c.ContentImage = v, nil; return nil },
		get: func(c *Config) string { return c.ContentPath }},
	{Key: "styles", Flag: "style", Field: "Styles", Doc: "style image; repeat the flag for a blend (recorded by sha256)", Identity: true,
		set: func(c *Config, v string) error {
			c.Styles = nil
			for _, p := range splitPaths(v) {
				c.Styles = append(c.Styles, Style{Path: p})
			}
			return nil
		},
		get: func(c *Config) string {
			var paths []string
			for _, s := range c.Styles {
				paths = append(paths, s.Path)
			}
			return strings.Join(paths, ",")
		}},
	{Key: "style_blend", Field: "Styles[].Weight", Doc: "blend weights of the style images, comma-separated", Identity: true,
		set: func(c *Config, v string) error {
			ws, err := parseFloats(v, len(c.Styles), "style images")
			if err != nil {
				return err
			}
			for i := range c.Styles {
				c.Styles[i].Weight = ws[i]
			}
			return nil
		},
		get: func(c *Config) string {
			var ws []string
			for _, s := range c.Styles {
				ws = append(ws, formatFloat(s.Weight))
			}
			return strings.Join(ws, ",")
		}},
	{Key: "content_layers", Field: "ContentLayers", Doc: "layers whose features the content is matched at", Default: "conv4_2", Identity: true,
		set: func(c *Config, v string) error { c.ContentLayers = SplitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.ContentLayers, ",") }},
	{Key: "style_layers", Field: "StyleLayers", Doc: "layers whose Gram matrices are matched (weights 1/n unless -style-layer-weights)",
		Default: "conv1_1,conv2_1,conv3_1,conv4_1,conv5_1", Identity: true,
		set: func(c *Config, v string) error { c.StyleLayers = EqualWeights(SplitList(v)...); return nil },
		get: func(c *Config) string { return strings.Join(c.StyleLayerNames(), ",") }},
	{Key: "style_layer_weights", Field: "StyleLayers[].Weight", Doc: "weights w_l of the style layers, comma-separated", Identity: true,
		set: func(c *Config, v string) error {
			ws, err := parseFloats(v, len(c.StyleLayers), "style layers")
			if err != nil {
				return err
			}
			for i := range c.StyleLayers {
				c.StyleLayers[i].Weight = ws[i]
			}
			return nil
		},
		get: func(c *Config) string {
			var ws []string
			for _, l := range c.StyleLayers {
				ws = append(ws, formatFloat(l.Weight))
			}
			return strings.Join(ws, ",")
		}},
	num("alpha", "Alpha", "content weight alpha", "1", func(c *Config) *float64 { return &c.Alpha }),
	// beta and ratio are two ways to give the style weight: setting one clears the other.
	{Key: "beta", Field: "Beta", Doc: "style weight beta (replaces -ratio)", Identity: true,
		set: func(c *Config, v string) error { c.Ratio = 0; return parseNum(v, &c.Beta) },
		get: func(c *Config) string { return formatFloat(c.Beta) }},
	{Key: "ratio", Field: "Ratio", Doc: "alpha/beta: sets beta = alpha/ratio (replaces -beta)", Default: "0.001", Identity: true,
		set: func(c *Config, v string) error { c.Beta = 0; return parseNum(v, &c.Ratio) },
		get: func(c *Config) string { return formatFloat(c.Ratio) }},
	num("tv_weight", "TVWeight", "total variation weight", "0", func(c *Config) *float64 { return &c.TVWeight }),
	str("scaling", "Scaling", "loss scaling: paper (E_l = 1/(4N²M²) Σ(G-A)²) or johnson (per element)", "paper", true, func(c *Config) *string { return &c.Scaling }),
	str("gram_rescale", "GramRescale", "style Gram targets: positions (scaled by M_out/M_style, so a style image of another size gives the same statistics per position) or none", "positions", true, func(c *Config) *string { return &c.GramRescale }),
	str("pooling", "Pooling", "pooling: avg (the paper's) or max", "avg", true, func(c *Config) *string { return &c.Pooling }),
	str("convolution", "Convolution", "3x3 convolutions by winograd (F(4x4,3x3)), winograd-f2, winograd-f6 or gemm (direct, im2col); auto: winograd where the CPU has AVX2 and FMA or AVX-512, else gemm (the algorithm used is recorded)", "auto", true, func(c *Config) *string { return &c.Convolution }),
	str("network", "Network", "raw (VGG-19 as trained) or normalised (each conv filter's mean activation over an image set scaled to 1, as in the paper)", "raw", true, func(c *Config) *string { return &c.Network }),
	str("normalise_images", "NormaliseImages", "folder of images the normalised network is measured on (empty: the standard set); used with -network normalised", "", true, func(c *Config) *string { return &c.NormaliseImages }),
	str("optimizer", "Optimizer", "lbfgs or adam", "lbfgs", true, func(c *Config) *string { return &c.Optimizer }),
	integer("iterations", "Iterations", "iterations per scale", "500", func(c *Config) *int { return &c.Iterations }),
	integer("lbfgs_history", "LBFGSHistory", "L-BFGS history size", "20", func(c *Config) *int { return &c.LBFGSHistory }),
	str("line_search", "LineSearch", "L-BFGS line search: wolfe or none", "wolfe", true, func(c *Config) *string { return &c.LineSearch }),
	num("learning_rate", "LearningRate", "Adam step in pixel values (of 255)", "10", func(c *Config) *float64 { return &c.LearningRate }),
	str("bounds", "Bounds", "pixels (every pixel kept in 0..255 while optimising, so the PNG is the optimised image) or none", "pixels", true, func(c *Config) *string { return &c.Bounds }),
	num("loss_tolerance", "LossTolerance", "stop a scale when the loss falls by less than this share over -tolerance-window iterations (0: never)", "0.001", func(c *Config) *float64 { return &c.LossTolerance }),
	integer("tolerance_window", "ToleranceWindow", "iterations the loss tolerance looks back over", "20", func(c *Config) *int { return &c.ToleranceWindow }),
	num("gradient_tolerance", "GradientTolerance", "stop a scale when no pixel's gradient exceeds this, per pixel value (0: never)", "0", func(c *Config) *float64 { return &c.GradientTolerance }),
	str("init", "Init", "start from noise, content, style, or an image path", "noise", true, func(c *Config) *string { return &c.Init }),
	{Key: "seed", Field: "Seed", Doc: "noise seed", Default: "0", Identity: true,
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			c.Seed = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(c.Seed, 10) }},
	{Key: "size", Field: "Size", Doc: "longest side of the output in pixels", Default: "512", Identity: true,
		set: func(c *Config, v string) error { c.Scales = nil; return parseInt(v, &c.Size) },
		get: func(c *Config) string { return strconv.Itoa(c.Sizes()[len(c.Sizes())-1]) }},
	{Key: "scales", Field: "Scales", Doc: "coarse-to-fine sizes, e.g. 256,512 (overrides -size)", Identity: true,
		set: func(c *Config, v string) error {
			c.Scales = nil
			for _, p := range SplitList(v) {
				var n int
				if err := parseInt(p, &n); err != nil {
					return err
				}
				c.Scales = append(c.Scales, n)
			}
			return nil
		},
		get: func(c *Config) string {
			var s []string
			for _, n := range c.Sizes() {
				s = append(s, strconv.Itoa(n))
			}
			return strings.Join(s, ",")
		}},
	num("style_scale", "StyleScale", "style image size relative to the output", "1", func(c *Config) *float64 { return &c.StyleScale }),
	str("colour", "Colour", `colour mode: "" (transfer colours), keep (the content's colours) or luminance (luminance-only transfer)`, "", true, func(c *Config) *string { return &c.Colour }),
	integer("report_every", "ReportEvery", "report losses every N iterations", "1", func(c *Config) *int { return &c.ReportEvery }),
	integer("snapshot_every", "SnapshotEvery", "an intermediate image every N iterations (0: never)", "0", func(c *Config) *int { return &c.SnapshotEvery }),
}

func init() {
	presentation := map[string]bool{"report_every": true, "snapshot_every": true}
	for i := range settings {
		s := &settings[i]
		if s.Flag == "" {
			s.Flag = strings.ReplaceAll(s.Key, "_", "-")
		}
		if presentation[s.Key] {
			s.Identity = false
		}
		s.def = s.Default
	}
}

// Settings lists every setting in the order they are applied.
func Settings() []Setting { return append([]Setting(nil), settings...) }

// LookupSetting finds a setting by its key or its flag.
func LookupSetting(name string) (Setting, error) {
	for _, s := range settings {
		if s.Key == name || s.Flag == name {
			return s, nil
		}
	}
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.Key
	}
	sort.Strings(keys)
	return Setting{}, fmt.Errorf("transfer: unknown setting %q: the settings are %s", name, strings.Join(keys, ", "))
}

// Set sets one setting, named by its key (as the store and sweep axes name
// it) or its flag, from text.
func (c *Config) Set(name, value string) error {
	s, err := LookupSetting(name)
	if err != nil {
		return err
	}
	c.StyleLayers = append([]LayerWeight(nil), c.StyleLayers...)
	c.Styles = append([]Style(nil), c.Styles...)
	if err := s.set(c, value); err != nil {
		return fmt.Errorf("transfer: %s = %q: %w", s.Key, value, err)
	}
	return nil
}

// Get returns one setting as text.
func (c Config) Get(name string) (string, error) {
	s, err := LookupSetting(name)
	if err != nil {
		return "", err
	}
	return s.get(&c), nil
}

// Apply sets several settings from text, in the table's order (so that
// style_blend follows styles whatever order they were given in). Values
// are taken as given: an explicit 0 stays 0, and settings that are
// meaningless as given (all blend weights 0, alpha and beta both 0) are
// refused here rather than replaced by defaults.
func (c *Config) Apply(values map[string]string) error {
	var errs []error
	for _, s := range settings {
		v, ok := values[s.Key]
		if !ok {
			continue
		}
		if err := c.Set(s.Key, v); err != nil {
			errs = append(errs, err)
		}
	}
	for k := range values {
		if _, err := LookupSetting(k); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	_, blend := values["style_blend"]
	_, layerWeights := values["style_layer_weights"]
	_, alpha := values["alpha"]
	_, beta := values["beta"]
	switch {
	case blend && allZero(len(c.Styles), func(i int) float64 { return c.Styles[i].Weight }):
		errs = append(errs, errors.New("transfer: every style blend weight is 0: give at least one style a positive weight"))
	case layerWeights && allZero(len(c.StyleLayers), func(i int) float64 { return c.StyleLayers[i].Weight }):
		errs = append(errs, errors.New("transfer: every style layer weight is 0: give at least one layer a positive weight, or set beta 0 for no style"))
	}
	for _, k := range []string{"ratio", "size", "iterations", "lbfgs_history", "learning_rate", "style_scale", "report_every", "tolerance_window"} {
		if v, ok := values[k]; ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f <= 0 {
				errs = append(errs, fmt.Errorf("transfer: %s %s is meaningless: it must be > 0 (see -h)", k, v))
			}
		}
	}
	if (alpha || beta) && c.Alpha == 0 && c.Beta == 0 && c.Ratio == 0 {
		errs = append(errs, errors.New("transfer: alpha and beta are both 0: nothing to optimise (the defaults are alpha 1, ratio 1e-3)"))
	}
	if _, ratio := values["ratio"]; beta && ratio {
		errs = append(errs, errors.New("transfer: both beta and ratio given: give one (ratio sets beta = alpha/ratio)"))
	}
	return errors.Join(errs...)
}

func allZero(n int, at func(int) float64) bool {
	for i := 0; i < n; i++ {
		if at(i) != 0 {
			return false
		}
	}
	return n > 0
}

func str(key, field, doc, def string, identity bool, p func(*Config) *string) Setting {
	return Setting{Key: key, Field: field, Doc: doc, Default: def, Identity: identity,
		set: func(c *Config, v string) error { *p(c) = strings.TrimSpace(v); return nil },
		get: func(c *Config) string { return *p(c) }}
}

func num(key, field, doc, def string, p func(*Config) *float64) Setting {
	return Setting{Key: key, Field: field, Doc: doc, Default: def, Identity: true,
		set: func(c *Config, v string) error { return parseNum(v, p(c)) },
		get: func(c *Config) string { return formatFloat(*p(c)) }}
}

func integer(key, field, doc, def string, p func(*Config) *int) Setting {
	return Setting{Key: key, Field: field, Doc: doc, Default: def, Identity: true,
		set: func(c *Config, v string) error { return parseInt(v, p(c)) },
		get: func(c *Config) string { return strconv.Itoa(*p(c)) }}
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func parseNum(v string, dst *float64) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%v is not a finite number", f)
	}
	*dst = f
	return nil
}

func parseInt(v string, dst *int) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*dst = n
	return nil
}

// parseFloats reads a comma-separated list of want numbers.
func parseFloats(s string, want int, what string) ([]float64, error) {
	parts := SplitList(s)
	if len(parts) != want {
		return nil, fmt.Errorf("%d values for %d %s: give one per item", len(parts), want, what)
	}
	out := make([]float64, len(parts))
	for i, p := range parts {
		if err := parseNum(p, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// splitPaths splits a list of image paths: one per line (a repeated
// -style flag), else at commas unless the whole value names a file (a
// file name may contain commas).
func splitPaths(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if strings.Contains(v, "\n") {
		var out []string
		for _, p := range strings.Split(v, "\n") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	if fileExists(v) {
		return []string{v}
	}
	return SplitList(v)
}
