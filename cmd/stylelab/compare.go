package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/plots"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// compareFlags are the flags shared by runs compare|grid|plot|strip.
type compareFlags struct {
	fs    *flag.FlagSet
	query string
	store storeFlags
	out   string
}

func newCompareFlags(name, defaultOut string, stderr io.Writer) *compareFlags {
	c := &compareFlags{fs: flag.NewFlagSet("runs "+name, flag.ContinueOnError)}
	c.fs.SetOutput(stderr)
	c.fs.StringVar(&c.query, "q", "", "select runs with a query instead of ids, e.g. 'experiment = \"fig4\"'")
	c.store.register(c.fs)
	if defaultOut != "" {
		c.fs.StringVar(&c.out, "o", defaultOut, "output file")
	}
	return c
}

// load opens the store and the selected runs.
func (c *compareFlags) load(ctx context.Context) (*store.Store, *compare.Comparison, error) {
	s, err := c.store.open(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	var cmp *compare.Comparison
	if c.query != "" {
		cmp, err = compare.Query(ctx, s, c.query)
	} else {
		var ids []int64
		ids, err = parseIDs(c.fs.Args())
		if err == nil {
			cmp, err = compare.Runs(ctx, s, ids...)
		}
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, cmp, nil
}

// run parses args, opens the store and the runs they select, and calls f.
func (c *compareFlags) run(ctx context.Context, args []string, f func(*compare.Comparison) error) error {
	if err := c.fs.Parse(args); err != nil {
		return errUsage
	}
	s, cmp, err := c.load(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return f(cmp)
}

func parseIDs(args []string) ([]int64, error) {
	var ids []int64
	for _, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a run id (see `stylelab runs ls`)", a)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// runsCompare prints the parameters that differ between runs and their last losses.
func runsCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCompareFlags("compare", "", stderr)
	asHTML := c.fs.Bool("html", false, "print an HTML table")
	return c.run(ctx, args, func(cmp *compare.Comparison) error {
		if *asHTML {
			fmt.Fprintln(stdout, cmp.HTML())
		} else {
			fmt.Fprint(stdout, cmp.Text())
		}
		return nil
	})
}

// runsGrid writes the runs' final images as one labelled grid PNG.
func runsGrid(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCompareFlags("grid", "grid.png", stderr)
	rows := c.fs.String("rows", "", "parameter for the rows, e.g. style_layers")
	cols := c.fs.String("cols", "", "parameter for the columns, e.g. ratio")
	cell := c.fs.Int("cell", 256, "cell size in pixels")
	title := c.fs.String("title", "", "title above the grid")
	return c.run(ctx, args, func(cmp *compare.Comparison) error {
		img, err := cmp.Grid(*title, *rows, *cols, *cell)
		if err != nil {
			return err
		}
		if err := imaging.WritePNG(c.out, img, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d runs)\n", c.out, len(cmp.Runs))
		return nil
	})
}

// runsPlot writes the runs' loss curves overlaid, as PNG or SVG.
func runsPlot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCompareFlags("plot", "curves.png", stderr)
	metrics := c.fs.String("metric", "total", "metrics to plot, comma-separated: total, content, style, tv, style/conv1_1, content/conv4_2 ...")
	linear := c.fs.Bool("linear", false, "linear instead of log scale")
	title := c.fs.String("title", "", "plot title")
	return c.run(ctx, args, func(cmp *compare.Comparison) error {
		p, err := cmp.Curves(*title, transfer.SplitList(*metrics), !*linear)
		if err != nil {
			return err
		}
		if err := plots.SavePlot(p, c.out, 8, 5); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d runs)\n", c.out, len(cmp.Runs))
		return nil
	})
}

// runsStrip writes a run's snapshots as one strip PNG.
func runsStrip(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCompareFlags("strip", "", stderr)
	c.fs.StringVar(&c.out, "o", "", "output PNG (default run-ID-strip.png)")
	height := c.fs.Int("height", 192, "image height in pixels")
	return c.run(ctx, args, func(cmp *compare.Comparison) error {
		for i := range cmp.Runs {
			img, err := compare.Strip(&cmp.Runs[i], *height)
			if err != nil {
				return err
			}
			out := c.out
			if out == "" || len(cmp.Runs) > 1 {
				out = fmt.Sprintf("run-%d-strip.png", cmp.Runs[i].ID)
				if c.out != "" {
					out = filepath.Join(filepath.Dir(c.out), strings.TrimSuffix(filepath.Base(c.out), ".png")+"-"+out)
				}
			}
			if err := imaging.WritePNG(out, img, nil); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s\n", out)
		}
		return nil
	})
}
