package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stylelab/stylelab/internal/atomicfile"
	"github.com/stylelab/stylelab/store"
)

const runsUsage = `usage: stylelab runs <command> [flags] [args]

commands:
  ls      [-q QUERY] [-n N]            list runs, newest first (a table)
  show    [-history] ID                everything about one run
  tag     ID TAG...                    add tags
  untag   ID TAG...                    remove tags
  note    ID TEXT...                   add a note
  rm      ID...                        delete runs and their files
  gc                                   remove artifact files no run references
  export  -format csv|json [-q QUERY] [-o FILE]
                                       whole metric history of matching runs
  copy    -from DB -to DB [-q QUERY]   copy runs (steps, files and all) between stores,
                                       e.g. a laptop's file to the shared PostgreSQL
  compare [-html] ID... | -q QUERY     parameters that differ, last losses
  grid    -rows PARAM -cols PARAM [-o grid.png] ID... | -q QUERY
                                       final images laid out by parameters
  plot    [-metric total,style/conv1_1] [-o curves.png|.svg] ID... | -q QUERY
                                       loss curves overlaid (log scale)
  strip   [-o strip.png] ID            a run's snapshots side by side

every command takes -db PATH or -db postgres://... (with -artifacts DIR);
else $STYLELAB_DB (and $STYLELAB_ARTIFACTS), else the default path.
queries: params.ratio <= 1e-3 and metrics.style < 1e4 and tag = "fig3"
         order by metrics.style limit 10   (see store.Runs)
`

// runsCommand implements "stylelab runs": listing, inspecting, tagging,
// annotating, deleting and exporting recorded runs.
func runsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, runsUsage)
		return errors.New("runs: missing command; try stylelab runs ls")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "ls", "list":
		return runsLs(ctx, rest, stdout, stderr)
	case "show":
		return runsShow(ctx, rest, stdout, stderr)
	case "tag", "untag":
		return runsTag(ctx, cmd, rest, stdout, stderr)
	case "note":
		return runsNote(ctx, rest, stdout, stderr)
	case "rm":
		return runsRm(ctx, rest, stdout, stderr)
	case "gc":
		return runsGC(ctx, rest, stdout, stderr)
	case "export":
		return runsExport(ctx, rest, stdout, stderr)
	case "copy", "cp":
		return runsCopy(ctx, rest, stdout, stderr)
	case "compare":
		return runsCompare(ctx, rest, stdout, stderr)
	case "grid":
		return runsGrid(ctx, rest, stdout, stderr)
	case "plot":
		return runsPlot(ctx, rest, stdout, stderr)
	case "strip":
		return runsStrip(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, runsUsage)
		return nil
	}
	fmt.Fprint(stderr, runsUsage)
	return fmt.Errorf("runs: unknown command %q; use ls, show, compare, grid, plot, strip, tag, untag, note, rm, gc, export or copy", cmd)
}

// runsFlags is a subcommand's flag set with the shared -db and -artifacts flags.
func runsFlags(name string, stderr io.Writer) (*flag.FlagSet, *storeFlags) {
	fs := flag.NewFlagSet("stylelab runs "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := &storeFlags{}
	sf.register(fs)
	return fs, sf
}

// runsParseArgs parses flags anywhere among the arguments (flag stops at the
// first positional one) and returns the positionals; "--" ends flags.
func runsParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args() // a suffix of args
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil // all after "--" is positional
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// runsWithStore parses flags, opens the store and runs fn with the positionals.
func runsWithStore(ctx context.Context, fs *flag.FlagSet, sf *storeFlags, args []string, fn func(s *store.Store, pos []string) error) error {
	pos, err := runsParseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	s, err := sf.open(ctx, true)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	err = fn(s, pos)
	if cerr := s.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	return nil
}

// runsParseIDs reads run ids, at least min of them; usage is the command's synopsis.
func runsParseIDs(pos []string, min int, usage string) ([]int64, error) {
	if len(pos) < min {
		return nil, fmt.Errorf("missing run id; usage: %s", usage)
	}
	ids := make([]int64, len(pos))
	for i, p := range pos {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%q is not a run id; use the number from stylelab runs ls", p)
		}
		ids[i] = id
	}
	return ids, nil
}

func runsLs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := runsFlags("ls", stderr)
	q := fs.String("q", "", "filter `query`, e.g. 'params.ratio <= 1e-3 order by metrics.style'")
	n := fs.Int("n", 50, "show at most `N` runs (0: all)")
	return runsWithStore(ctx, fs, db, args, func(s *store.Store, pos []string) error {
		if len(pos) > 0 {
			return fmt.Errorf("unexpected argument %q; pass a query with -q", pos[0])
		}
		runs, err := s.Runs(ctx, *q)
		if err != nil {
			return err
		}
		total := len(runs)
		if *n > 0 && len(runs) > *n {
			runs = runs[:*n]
		}
		runsTable(stdout, runs, time.Now())
		if total > len(runs) {
			fmt.Fprintf(stdout, "(%d of %d runs; -n 0 shows all)\n", len(runs), total)
		}
		return nil
	})
}

func runsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := runsFlags("show", stderr)
	history := fs.Bool("history", false, "print the whole metric history, one line per step")
	return runsWithStore(ctx, fs, db, args, func(s *store.Store, pos []string) error {
		ids, err := runsParseIDs(pos, 1, "stylelab runs show ID")
		if err != nil {
			return err
		}
		if len(ids) != 1 {
			return fmt.Errorf("show takes one run id, got %d", len(ids))
		}
		rec, err := s.Get(ctx, ids[0])
		if err != nil {
			return err
		}
		runsRecord(stdout, rec, time.Now())
		if *history {
			runsHistory(stdout, rec)
		}
		return nil
	})
}

func runsTag(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	fs, db := runsFlags(verb, stderr)
	return runsWithStore(ctx, fs, db, args, func(s *store.Store, pos []string) error {
		usage := "stylelab runs " + verb + " ID TAG..."
		if len(pos) < 2 {
			return fmt.Errorf("missing run id or tag; usage: %s", usage)
		}
		ids, err := runsParseIDs(pos[:1], 1, usage)
		if err != nil {
			return err
		}
		if verb == "tag" {
			err = s.Tag(ctx, ids[0], pos[1:]...)
		} else {
			err = s.Untag(ctx, ids[0], pos[1:]...)
		}
		if err == nil {
			fmt.Fprintf(stdout, "run %d: %sged %s\n", ids[0], verb, strings.Join(pos[1:], ", "))
		}
		return err
	})
}

func runsNote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := runsFlags("note", stderr)
	return runsWithStore(ctx, fs, db, args, func(s *store.Store, pos []string) error {
		if len(pos) < 2 {
			return fmt.Errorf("missing run id or text; usage: stylelab runs note ID TEXT...")
		}
		ids, err := runsParseIDs(pos[:1], 1, "stylelab runs note ID TEXT...")
		if err != nil {
			return err
		}
		if err := s.Note(ctx, ids[0], strings.Join(pos[1:], " ")); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "run %d: note added\n", ids[0])
		return nil
	})
}

func runsRm(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := runsFlags("rm", stderr)
	return runsWithStore(ctx, fs, db, args, func(s *store.Store, pos []string) error {
		ids, err := runsParseIDs(pos, 1, "stylelab runs rm ID...")
		if err != nil {
			return err
		}
		var errs []error
		for _, id := range ids {
			if err := s.Delete(ctx, id); err != nil {
				errs = append(errs, err)
				continue
			}
			fmt.Fprintf(stdout, "deleted run %d\n", id)
		}
		return errors.Join(errs...)
	})
}

func runsGC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := runsFlags("gc", stderr)
	return runsWithStore(ctx, fs, db, args, func(s *store.Store, pos []string) error {
		if len(pos) > 0 {
			return fmt.Errorf("gc takes no arguments, got %q", pos[0])
		}
		removed, err := s.GC(ctx)
		for _, p := range removed {
			fmt.Fprintf(stdout, "removed %s\n", p)
		}
		fmt.Fprintf(stdout, "%d unreferenced files removed from %s\n", len(removed), s.ArtifactDir())
		return err
	})
}

func runsExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := runsFlags("export", stderr)
	format := fs.String("format", "", "csv or json")
	q := fs.String("q", "", "filter `query` (default: all runs)")
	out := fs.String("o", "", "write to `file` instead of standard output")
	return runsWithStore(ctx, fs, db, args, func(s *store.Store, pos []string) error {
		if len(pos) > 0 {
			return fmt.Errorf("unexpected argument %q; pass a query with -q", pos[0])
		}
		var export func(context.Context, io.Writer, string) error
		switch *format {
		case "csv":
			export = s.ExportCSV
		case "json":
			export = s.ExportJSON
		default:
			return fmt.Errorf("-format %q; use -format csv or -format json", *format)
		}
		if *out == "" {
			return export(ctx, stdout, *q)
		}
		// Atomic, so a failed export never leaves half a file (or clobbers an old one).
		if err := atomicfile.Write(*out, 0o666, func(w io.Writer) error { return export(ctx, w, *q) }); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
		return nil
	})
}

// runsKeyParams picks the param columns of the table: ratio and style_layers
// first when present, then params that differ between the runs; four at most.
func runsKeyParams(runs []store.RunSummary) []string {
	var keys []string
	has := func(k string) bool {
		for i := range runs {
			if _, ok := runs[i].Param(k); ok {
				return true
			}
		}
		return false
	}
	for _, k := range []string{"ratio", "style_layers"} {
		if has(k) {
			keys = append(keys, k)
		}
	}
	for _, d := range store.DiffParams(runs) {
		if len(keys) >= 4 {
			break
		}
		if d.Key != "ratio" && d.Key != "style_layers" {
			keys = append(keys, d.Key)
		}
	}
	return keys
}

func runsTable(w io.Writer, runs []store.RunSummary, now time.Time) {
	if len(runs) == 0 {
		fmt.Fprintln(w, "no runs")
		return
	}
	params := runsKeyParams(runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"ID", "NAME", "EXPERIMENT", "STATUS", "STARTED", "DURATION"}
	for _, k := range params {
		head = append(head, strings.ToUpper(k))
	}
	fmt.Fprintln(tw, strings.Join(append(head, "TOTAL", "STYLE", "CONTENT"), "\t"))
	for i := range runs {
		r := &runs[i]
		row := []string{strconv.FormatInt(r.ID, 10), runsClip(r.Name, 32), runsClip(r.Experiment, 24), string(r.Status),
			r.Started.Local().Format("2006-01-02 15:04"), runsDuration(r, now)}
		for _, k := range params {
			v, ok := r.Param(k)
			if !ok {
				v = "-"
			}
			row = append(row, runsClip(v, 28))
		}
		for _, k := range []string{"total", "style", "content"} {
			row = append(row, runsMetric(r.Last, k))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

func runsDuration(r *store.RunSummary, now time.Time) string {
	d := r.Duration
	if r.Status == store.StatusRunning {
		d = now.Sub(r.Started)
	}
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func runsMetric(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// runsClip shortens s to n characters, marking the cut with "…".
func runsClip(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\t", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

func runsRecord(w io.Writer, r *store.RunRecord, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, f string, a ...any) { fmt.Fprintf(tw, k+"\t"+f+"\n", a...) }
	line("run", "%d  %s", r.ID, r.Name)
	line("experiment", "%s", r.Experiment)
	line("status", "%s", r.Status)
	if r.Message != "" {
		line("message", "%s", r.Message)
	}
	line("started", "%s", r.Started.Local().Format("2006-01-02 15:04:05"))
	if !r.Ended.IsZero() {
		line("ended", "%s", r.Ended.Local().Format("2006-01-02 15:04:05"))
	}
	line("duration", "%s", runsDuration(&r.RunSummary, now))
	line("host / pid", "%s / %d", r.Host, r.PID)
	line("version", "%s  commit %s", runsOrDash(r.Version), runsOrDash(r.Commit))
	line("seed", "%d", r.Seed)
	line("weights", "sha256 %s", runsOrDash(r.WeightsSHA256))
	line("tags", "%s", runsOrDash(strings.Join(r.Tags, ", ")))
	tw.Flush()
	runsSection(w, "params", len(r.Params), func(tw *tabwriter.Writer) {
		for _, p := range r.Params {
			fmt.Fprintf(tw, "  %s\t%s\n", p.Key, p.Value)
		}
	})
	runsSection(w, "inputs", len(r.Inputs), func(tw *tabwriter.Writer) {
		for _, in := range r.Inputs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", in.Role, in.Path, runsOrDash(in.SHA256))
		}
	})
	runsSection(w, "notes", len(r.Notes), func(tw *tabwriter.Writer) {
		for _, n := range r.Notes {
			fmt.Fprintf(tw, "  %s\t%s\n", n.Created.Local().Format("2006-01-02 15:04"), strings.ReplaceAll(n.Text, "\n", " "))
		}
	})
	runsSection(w, "artifacts", len(r.Artifacts), func(tw *tabwriter.Writer) {
		for _, a := range r.Artifacts {
			fmt.Fprintf(tw, "  %s\tstep %d\t%d bytes\t%s\n", a.Kind, a.Step, a.Size, a.Path)
		}
	})
	keys := r.MetricKeys()
	runsSection(w, "metrics", len(keys), func(tw *tabwriter.Writer) {
		fmt.Fprintf(tw, "  KEY\tLAST\tMIN\tPOINTS\n")
		for _, k := range keys {
			_, vals := r.Series(k)
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\n", k, runsMetric(r.Last, k), runsMetric(r.Min, k), len(vals))
		}
	})
}

func runsSection(w io.Writer, title string, n int, body func(*tabwriter.Writer)) {
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	body(tw)
	tw.Flush()
}

// runsHistory prints one line per step with every metric as a column.
func runsHistory(w io.Writer, r *store.RunRecord) {
	keys := r.MetricKeys()
	sort.Strings(keys)
	fmt.Fprintln(w, "history")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "STEP\tWALL\t%s\t\n", strings.Join(keys, "\t"))
	for i := 0; i < len(r.Metrics); {
		step, wall := r.Metrics[i].Step, r.Metrics[i].Wall
		vals := map[string]float64{}
		for ; i < len(r.Metrics) && r.Metrics[i].Step == step; i++ {
			vals[r.Metrics[i].Key] = r.Metrics[i].Value
		}
		row := []string{strconv.Itoa(step), strconv.FormatFloat(wall, 'f', 2, 64)}
		for _, k := range keys {
			row = append(row, runsMetric(vals, k))
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
	}
	tw.Flush()
}

func runsOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runsCopy copies runs from one store to another; runs already there are
// found and left, so the same copy can be repeated.
func runsCopy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stylelab runs copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var from, to storeFlags
	fs.StringVar(&from.db, "from", "", "the store to copy from: a file or a postgres:// URL")
	fs.StringVar(&from.artifacts, "from-artifacts", "", "the artifacts folder of a PostgreSQL -from store (default $"+store.ArtifactsEnv+")")
	fs.StringVar(&to.db, "to", "", "the store to copy to: a file or a postgres:// URL (created if need be)")
	fs.StringVar(&to.artifacts, "to-artifacts", "", "the artifacts folder of a PostgreSQL -to store (default $"+store.ArtifactsEnv+")")
	q := fs.String("q", "", "copy only the runs this `query` selects")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("runs copy: %w", err)
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("runs copy: unexpected argument %q; select runs with -q QUERY", fs.Arg(0))
	case from.db == "" || to.db == "":
		return errors.New("runs copy: give both stores: -from DB -to DB (a file or a postgres:// URL each)")
	case from.db == to.db:
		return fmt.Errorf("runs copy: -from and -to are the same store %s", from.db)
	}
	src, err := from.open(ctx, true)
	if err != nil {
		return fmt.Errorf("runs copy: -from: %w", err)
	}
	defer src.Close()
	dst, err := to.open(ctx, false)
	if err != nil {
		return fmt.Errorf("runs copy: -to: %w", err)
	}
	copied, err := dst.CopyFrom(ctx, src, *q)
	n := map[string]int{}
	for _, c := range copied {
		switch {
		case c.Skipped == "":
			n["copied"]++
			fmt.Fprintf(stdout, "run %d (%s) copied as run %d\n", c.From, c.Name, c.To)
		case c.To != 0:
			n["there"]++
			fmt.Fprintf(stdout, "run %d (%s) %s as run %d\n", c.From, c.Name, c.Skipped, c.To)
		default:
			n["skipped"]++
			fmt.Fprintf(stdout, "run %d (%s) skipped: %s\n", c.From, c.Name, c.Skipped)
		}
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("runs copy: %w (%d runs copied before it; run the same command again to go on)", err, n["copied"])
	}
	fmt.Fprintf(stdout, "%d runs copied to %s, %d already there, %d not copied\n", n["copied"], dst.Path(), n["there"], n["skipped"])
	return nil
}
