package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/transfer"
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

// runFlags are the run command's flags: one per transfer setting, from
// transfer.Settings, and the command's own.
type runFlags struct {
	fs               *flag.FlagSet
	values           map[string]string // setting key -> value as given
	out, weightsPath string
	store            storeFlags
}

func newRunFlags(stderr io.Writer) *runFlags {
	f := &runFlags{fs: flag.NewFlagSet("run", flag.ContinueOnError), values: map[string]string{}}
	fs := f.fs
	fs.SetOutput(stderr)
	for _, s := range transfer.Settings() {
		usage := s.Doc
		if s.Default != "" {
			usage += " (default " + s.Default + ")"
		}
		key := s.Key
		fs.Func(s.Flag, usage, func(v string) error {
			if old, ok := f.values[key]; ok && key == "styles" {
				v = old + "\n" + v // -style repeats: one image each
			}
			f.values[key] = v
			return nil
		})
	}
	fs.StringVar(&f.out, "o", "stylelab-out.png", "output PNG (snapshots go beside it)")
	fs.StringVar(&f.weightsPath, "weights", "", "VGG-19 weights (default $STYLELAB_WEIGHTS, then the cache)")
	f.store.register(fs)
	return f
}

// config applies the flags given to the defaults; without -content and
// -style it is the embedded demo.
func (f *runFlags) config() (cfg transfer.Config, demo bool, err error) {
	cfg = transfer.Defaults()
	_, content := f.values["content"]
	_, styles := f.values["styles"]
	demo = !content && !styles
	if demo {
		demoDefaults(&cfg)
	}
	if !content {
		img, err := imaging.LoadBytes("demo/tubingen.jpg", demoContent)
		if err != nil {
			return cfg, demo, err
		}
		cfg.ContentImage = img
	}
	if !styles {
		img, err := imaging.LoadBytes("demo/starry_night.jpg", demoStyle)
		if err != nil {
			return cfg, demo, err
		}
		cfg.Styles = []transfer.Style{{Image: img}}
	}
	if err := cfg.Apply(f.values); err != nil {
		return cfg, demo, err
	}
	return cfg, demo, nil
}

// demoDefaults are the settings of the embedded demo, small enough to finish
// in about a minute on two cores and started from the content photo; flags
// the user gave keep their values.
func demoDefaults(cfg *transfer.Config) {
	cfg.Size, cfg.Iterations, cfg.Init, cfg.Experiment, cfg.Name = 320, 60, "content", "demo", "demo"
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newRunFlags(stderr)
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
	if f.fs.NArg() > 0 {
		return fmt.Errorf("run: unexpected argument %q: images are given with -content and -style", f.fs.Arg(0))
	}
	cfg, isDemo, err := f.config()
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	plan, err := cfg.Resolve()
	if err != nil {
		return err
	}
	if err := checkOutput(f.out, plan); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if isDemo {
		fmt.Fprintln(stderr, demoCredit)
	}
	fmt.Fprintln(stderr, "loading VGG-19 (converted and cached on first use, which takes a few seconds)")
	lab, err := openLab(ctx, f.weightsPath, &f.store)
	if err != nil {
		return err
	}
	defer lab.Close()
	if w := lab.Model.Weights(); !w.Verified {
		fmt.Fprintf(stderr, "weights %s: %s\n", w.Source, w.Provenance)
	}
	if plan.Network == transfer.Normalised {
		fmt.Fprintln(stderr, "normalising VGG-19 over its image set (measured once, then cached)")
	}
	model, err := lab.ModelFor(plan)
	if err != nil {
		return err
	}
	bar := newProgressBar(stderr)
	base := strings.TrimSuffix(f.out, ".png")
	var snapErr error
	hooks := transfer.Hooks{
		Step: bar.step,
		Snapshot: func(s transfer.Snapshot) {
			if err := imaging.WritePNG(fmt.Sprintf("%s-%05d.png", base, s.Iteration), s.Image, nil); err != nil && snapErr == nil {
				snapErr = err
			}
		},
	}
	res, runErr := lab.RunPlan(ctx, plan, hooks)
	bar.done()
	if res != nil && res.Image != nil {
		meta := experiments.Metadata(plan, model.Weights().SHA256)
		if err := imaging.WritePNG(f.out, res.Image, meta); err != nil {
			return errors.Join(runErr, err)
		}
		fmt.Fprintf(stdout, "wrote %s (%dx%d, %d iterations, %d evaluations, %.1fs; run %d in %s)\n",
			f.out, res.Image.Bounds().Dx(), res.Image.Bounds().Dy(), res.Iterations, res.Evaluations,
			res.Elapsed.Seconds(), res.RunID, lab.Store.Path())
	}
	return errors.Join(runErr, snapErr)
}

// openLab opens the store that sf names and loads the weights.
func openLab(ctx context.Context, weightsPath string, sf *storeFlags) (*experiments.Lab, error) {
	s, err := sf.open(ctx, false)
	if err != nil {
		return nil, err
	}
	lab, err := experiments.NewLab(weightsPath, s)
	if err != nil {
		s.Close()
		return nil, err
	}
	return lab, nil
}

// checkOutput refuses an output that is not a .png, that names one of the
// inputs, or whose folder cannot be written, before any work is done.
func checkOutput(out string, p *transfer.Plan) error {
	if filepath.Ext(out) != ".png" {
		return fmt.Errorf("output %q must end in .png", out)
	}
	if st, err := os.Stat(out); err == nil {
		inputs := []transfer.Image{p.Content}
		inputs = append(inputs, p.Styles...)
		if p.Init != nil {
			inputs = append(inputs, *p.Init)
		}
		for _, in := range inputs {
			if in.Path == "" {
				continue
			}
			if ist, err := os.Stat(in.Path); err == nil && os.SameFile(st, ist) {
				return fmt.Errorf("output %q is the input image %q: choose another -o", out, in.Path)
			}
		}
	}
	dir := filepath.Dir(out)
	probe, err := os.CreateTemp(dir, ".stylelab-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write the output %q: %w", out, err)
	}
	name := probe.Name()
	return errors.Join(probe.Close(), os.Remove(name))
}

// parseFloats reads a comma-separated list; want < 0 accepts any length.
func parseFloats(flagName, s string, want int) ([]float64, error) {
	parts := transfer.SplitList(s)
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
