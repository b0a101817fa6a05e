package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights"
)

// evalCommand prints the losses of an image under the settings of a run
// (the same flags as run): what a run that reached this image would log.
func evalCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newRunFlags(stderr)
	image := f.fs.String("image", "", "the image to score (its own size is used)")
	f.fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stylelab eval -image X.png [run flags]\n\nPrints the total, content, style, per-layer and TV losses of an image under a run's settings\n(without -content and -style: the embedded demo's), and its grain ratio against each style\nimage (about 1: as fine-grained as the painting).\n\nFlags:")
		f.fs.PrintDefaults()
	}
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *image == "" {
		return fmt.Errorf("eval: give the image to score with -image X.png")
	}
	img, err := imaging.Load(*image)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	cfg, _, err := f.config()
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	plan, err := cfg.Resolve()
	if err != nil {
		return err
	}
	path, err := weights.Locate(f.weightsPath)
	if err != nil {
		return err
	}
	w, err := weights.LoadFeatures(path)
	if err != nil {
		return err
	}
	if w, err = experiments.NetworkWeights(w, plan); err != nil { // the network a run would use
		return err
	}
	m, err := vgg.New(w)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l, err := transfer.Evaluate(m, plan, img)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-20s %.6g\n", "total", l.Total)
	fmt.Fprintf(stdout, "%-20s %.6g  (x alpha %g)\n", "content", l.Content, plan.Alpha)
	fmt.Fprintf(stdout, "%-20s %.6g  (x beta %g)\n", "style", l.Style, plan.Beta)
	fmt.Fprintf(stdout, "%-20s %.6g  (x %g)\n", "tv", l.TV, plan.TVWeight)
	names := make([]string, 0, len(l.Layers))
	for k := range l.Layers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(stdout, "%-20s %.6g\n", k, l.Layers[k])
	}
	for _, st := range plan.Styles { // neighbouring-pixel differences against the painting's at this size
		fmt.Fprintf(stdout, "%-20s %.3g  (against %s)\n", "grain ratio", imaging.GrainRatio(img, st.Image), styleName(st))
	}
	return nil
}

// styleName is a style image's file, or "the style image" for one given in memory.
func styleName(im transfer.Image) string {
	if im.Path == "" {
		return "the style image"
	}
	return im.Path
}
