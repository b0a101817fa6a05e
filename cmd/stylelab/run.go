package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/imaging"
)

// The embedded demo: Tuebingen (photo by Andreas Praefcke, CC BY 3.0) in the
// style of The Starry Night (public domain), both reduced to 384 px.
var (
	//go:embed demo/tubingen.jpg
	demoContent []byte
	//go:embed demo/starry_night.jpg
	demoStyle []byte
)

const demoCredit = "demo: Neckarfront, Tuebingen (photo: Andreas Praefcke, CC BY 3.0) in the style of The Starry Night (van Gogh, 1889)"

// runFlags binds the run command's flags to a Config.
type runFlags struct {
	fs                                *flag.FlagSet
	content, styles, styleBlend, out  string
	contentLayers, styleLayers        string
	layerWeights, scales, weightsPath string
	db                                string
	ratio                             float64
}

func newRunFlags(cfg *experiments.Config, stderr io.Writer) *runFlags {
	f := &runFlags{fs: flag.NewFlagSet("run", flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.StringVar(&f.content, "content", "", "content image (default: the embedded demo photo)")
	fs.StringVar(&f.styles, "style", "", "style image(s), comma-separated (default: the embedded demo painting)")
	fs.StringVar(&f.styleBlend, "style-blend", "", "blend weights of the style images, comma-separated (default equal)")
	fs.StringVar(&f.out, "o", "stylelab-out.png", "output PNG (snapshots go beside it)")
	fs.StringVar(&cfg.Name, "name", "", "run name in the store")
	fs.StringVar(&cfg.Experiment, "experiment", cfg.Experiment, "experiment the run belongs to")
	fs.StringVar(&f.contentLayers, "content-layers", strings.Join(cfg.ContentLayers, ","), "content layers")
	fs.StringVar(&f.styleLayers, "style-layers", strings.Join(cfg.StyleLayerNames(), ","), "style layers")
	fs.StringVar(&f.layerWeights, "layer-weights", "", "style layer weights w_l, comma-separated (default 1/number of layers)")
	fs.Float64Var(&cfg.Alpha, "alpha", cfg.Alpha, "content weight alpha")
	fs.Float64Var(&cfg.Beta, "beta", cfg.Beta, "style weight beta")
	fs.Float64Var(&f.ratio, "ratio", 0, "alpha/beta: sets beta = alpha/ratio (overrides -beta)")
	fs.Float64Var(&cfg.TVWeight, "tv", cfg.TVWeight, "total variation weight")
	fs.StringVar(&cfg.Scaling, "scaling", cfg.Scaling, "loss scaling: paper or johnson")
	fs.StringVar(&cfg.Pooling, "pooling", cfg.Pooling, "pooling: avg or max")
	fs.StringVar(&cfg.Optimizer, "optimizer", cfg.Optimizer, "lbfgs or adam")
	fs.IntVar(&cfg.Iterations, "iterations", cfg.Iterations, "iterations per scale")
	fs.IntVar(&cfg.History, "history", cfg.History, "L-BFGS history size")
	fs.StringVar(&cfg.LineSearch, "line-search", cfg.LineSearch, "L-BFGS line search: wolfe or none")
	fs.Float64Var(&cfg.LearningRate, "lr", cfg.LearningRate, "Adam step in pixel units (1/255)")
	fs.StringVar(&cfg.Init, "init", cfg.Init, "start from noise, content, style, or an image path")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "noise seed")
	fs.IntVar(&cfg.Size, "size", cfg.Size, "longest side of the output in pixels")
	fs.StringVar(&f.scales, "scales", "", "coarse-to-fine sizes, e.g. 256,512 (overrides -size)")
	fs.Float64Var(&cfg.StyleScale, "style-scale", cfg.StyleScale, "style image size relative to the output")
	fs.StringVar(&cfg.Colour, "colour", cfg.Colour, "colour mode: \"\", keep (original colours) or luminance (luminance-only transfer)")
	fs.IntVar(&cfg.ReportEvery, "report-every", cfg.ReportEvery, "report losses every N iterations")
	fs.IntVar(&cfg.SnapshotEvery, "snapshot-every", cfg.SnapshotEvery, "write an intermediate image every N iterations (0: never)")
	fs.StringVar(&f.weightsPath, "weights", "", "VGG-19 weights (default $STYLELAB_WEIGHTS, then the cache)")
	fs.StringVar(&f.db, "db", "", "experiment store (default $STYLELAB_DB, then the user data directory)")
	return f
}

// apply moves the string-valued flags into cfg.
func (f *runFlags) apply(cfg *experiments.Config) error {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["ratio"] {
		if f.ratio <= 0 {
			return fmt.Errorf("-ratio %v: alpha/beta must be > 0", f.ratio)
		}
		cfg.Beta = cfg.Alpha / f.ratio
	}
	cfg.ContentLayers = splitList(f.contentLayers)
	layers := splitList(f.styleLayers)
	cfg.StyleLayers = experiments.EqualWeights(layers...)
	if f.layerWeights != "" {
		ws, err := parseFloats("-layer-weights", f.layerWeights, len(layers))
		if err != nil {
			return err
		}
		for i := range cfg.StyleLayers {
			cfg.StyleLayers[i].Weight = ws[i]
		}
	}
	if f.scales != "" {
		sizes, err := parseFloats("-scales", f.scales, -1)
		if err != nil {
			return err
		}
		cfg.Scales = nil
		for _, s := range sizes {
			cfg.Scales = append(cfg.Scales, int(s))
		}
	}
	demo := f.content == "" && f.styles == ""
	if f.content == "" {
		img, err := imaging.LoadBytes("demo/tubingen.jpg", demoContent)
		if err != nil {
			return err
		}
		cfg.ContentImage = img
	} else {
		cfg.ContentPath = f.content
	}
	styles := splitList(f.styles)
	if len(styles) == 0 {
		img, err := imaging.LoadBytes("demo/starry_night.jpg", demoStyle)
		if err != nil {
			return err
		}
		cfg.Styles = []experiments.Style{{Image: img, Weight: 1}}
	}
	for _, s := range styles {
		cfg.Styles = append(cfg.Styles, experiments.Style{Path: s, Weight: 1})
	}
	if f.styleBlend != "" {
		ws, err := parseFloats("-style-blend", f.styleBlend, len(cfg.Styles))
		if err != nil {
			return err
		}
		for i := range cfg.Styles {
			cfg.Styles[i].Weight = ws[i]
		}
	}
	if demo && cfg.Name == "" {
		cfg.Name = "demo"
	}
	return nil
}

// demoDefaults are the settings of the embedded demo, small enough to finish
// in about a minute on two cores and started from the content photo; flags
// the user gave keep their values.
func demoDefaults(cfg *experiments.Config, set map[string]bool) {
	if !set["size"] {
		cfg.Size = 320
	}
	if !set["iterations"] {
		cfg.Iterations = 60
	}
	if !set["init"] {
		cfg.Init = "content"
	}
	if !set["experiment"] {
		cfg.Experiment = "demo"
	}
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := experiments.Defaults()
	cfg.ReportEvery = 1
	f := newRunFlags(&cfg, stderr)
	f.fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stylelab run [flags]\n\nWithout -content and -style, runs the embedded demo (320 px, 60 iterations from the content photo).\n\nFlags:")
		f.fs.PrintDefaults()
	}
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	isDemo := !set["content"] && !set["style"]
	if isDemo {
		demoDefaults(&cfg, set)
	}
	if f.fs.NArg() > 0 {
		return fmt.Errorf("run: unexpected argument %q: images are given with -content and -style", f.fs.Arg(0))
	}
	if err := f.apply(&cfg); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if _, err := cfg.Resolve(); err != nil {
		return err
	}
	if filepath.Ext(f.out) != ".png" {
		return fmt.Errorf("run: output %q must end in .png", f.out)
	}
	if isDemo {
		fmt.Fprintln(stderr, demoCredit)
	}
	fmt.Fprintln(stderr, "loading VGG-19 (converted and cached on first use, which takes a few seconds)")
	lab, err := experiments.OpenLab(f.weightsPath, f.db)
	if err != nil {
		return err
	}
	defer lab.Close()
	bar := newProgressBar(stderr)
	base := strings.TrimSuffix(f.out, ".png")
	var snapErr error
	hooks := experiments.Hooks{
		Step: bar.step,
		Snapshot: func(s experiments.Snapshot) {
			if err := imaging.WritePNG(fmt.Sprintf("%s-%05d.png", base, s.Iteration), s.Image, nil); err != nil && snapErr == nil {
				snapErr = err
			}
		},
	}
	res, runErr := lab.Run(ctx, cfg, hooks)
	bar.done()
	if res != nil && res.Image != nil {
		meta := experiments.Metadata(res.Config, lab.Model.Weights().SHA256)
		if err := imaging.WritePNG(f.out, res.Image, meta); err != nil {
			return errors.Join(runErr, err)
		}
		fmt.Fprintf(stdout, "wrote %s (%dx%d, %d iterations, %d evaluations, %.1fs; run %d in %s)\n",
			f.out, res.Image.Bounds().Dx(), res.Image.Bounds().Dy(), res.Iterations, res.Evaluations,
			res.Elapsed.Seconds(), res.RunID, lab.Store.Path())
	}
	return errors.Join(runErr, snapErr)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseFloats reads a comma-separated list; want < 0 accepts any length.
func parseFloats(flagName, s string, want int) ([]float64, error) {
	parts := splitList(s)
	if want >= 0 && len(parts) != want {
		return nil, fmt.Errorf("%s has %d values, want %d (one per item)", flagName, len(parts), want)
	}
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", flagName, p)
		}
		out[i] = v
	}
	return out, nil
}
