package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/transfer"
)

// axisFlags collects repeated -axis NAME=V1|V2|... flags.
type axisFlags []experiments.Axis

func (a *axisFlags) String() string { return fmt.Sprint(*a) }

func (a *axisFlags) Set(s string) error {
	name, values, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(values) == "" {
		return fmt.Errorf("want NAME=V1|V2|..., e.g. ratio=1e-4|1e-3 or style_layers=conv1_1|conv1_1,conv2_1")
	}
	var vals []string
	for _, v := range strings.Split(values, "|") {
		if v = strings.TrimSpace(v); v != "" {
			vals = append(vals, v)
		}
	}
	*a = append(*a, experiments.Axis{Param: strings.TrimSpace(name), Values: vals})
	return nil
}

// sweepCommand runs a grid of settings as one experiment, skipping points
// that already finished, so that it can be resumed after an interruption.
func sweepCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newRunFlags(stderr)
	f.fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stylelab sweep -experiment NAME -axis KEY=V1|V2|... [-axis ...] [run flags]\n\nRuns every combination of the axes; points already FINISHED are skipped, so the same command resumes.\nAxes are settings by their store key (stylelab run -h lists the flags; a flag's key has _ for -).\n\nFlags:")
		f.fs.PrintDefaults()
	}
	var axes axisFlags
	f.fs.Var(&axes, "axis", "a swept parameter, NAME=V1|V2|... (repeatable; values of style_layers are comma lists)")
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if len(axes) == 0 {
		return fmt.Errorf("sweep: no -axis given: e.g. -axis 'ratio=1e-4|1e-3' -axis 'style_layers=conv1_1|conv1_1,conv2_1'")
	}
	if _, ok := f.values["experiment"]; !ok {
		return fmt.Errorf("sweep: name the experiment with -experiment NAME: it is how an interrupted sweep is resumed")
	}
	cfg, _, err := f.config()
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	configs, err := experiments.Points(cfg, axes)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "loading VGG-19 (converted and cached on first use, which takes a few seconds)")
	lab, err := experiments.OpenLab(f.weightsPath, f.db)
	if err != nil {
		return err
	}
	defer lab.Close()
	fmt.Fprintf(stderr, "sweep %s: %d points\n", cfg.Experiment, len(configs))
	bar := newProgressBar(stderr)
	points, err := lab.Sweep(ctx, cfg, axes, transfer.Hooks{Step: bar.step}, func(done, total int, p experiments.SweepPoint) {
		bar.done()
		state := "ran"
		if p.Skipped {
			state = "already finished"
		}
		fmt.Fprintf(stdout, "%d/%d  run %d  %s  (%s)\n", done, total, p.RunID, p.Name(), state)
	})
	bar.done()
	if err != nil {
		return fmt.Errorf("%w (%d of %d points done; run the same command again to resume)", err, len(points), len(configs))
	}
	fmt.Fprintf(stdout, "sweep %s complete: compare with `stylelab runs grid -q 'experiment = \"%s\"' -rows %s -cols %s -o grid.png`\n",
		cfg.Experiment, cfg.Experiment, axes[0].Param, axes[len(axes)-1].Param)
	return nil
}
