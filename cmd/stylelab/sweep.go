package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

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

// sweepFlags are the sweep command's flags: a run's, the axes, and where
// the points run.
type sweepFlags struct {
	*runFlags
	axes    axisFlags
	engine  string
	workers int
	slurm   slurmFlags
	jobDir  string
	// Set only in the processes a sweep starts (not in its usage): the
	// points this process runs, and the submission they must match.
	points, manifest string
	args             []string // the arguments as given, less the two above
}

// engineFlags are the flags that say where points run; the processes that
// run them get the sweep's other flags.
var engineFlags = []string{"engine", "workers", "partition", "time", "cpus", "per-task", "job-dir"}

// hiddenFlags are set by a sweep for the processes it starts.
var hiddenFlags = []string{"points", "manifest"}

const sweepUsage = `usage: stylelab sweep -experiment NAME -axis KEY=V1|V2|... [-axis ...] [run flags]
       stylelab sweep -engine local -workers N ...      N processes on this machine
       stylelab sweep -engine slurm [-partition P] [-time T] [-cpus N] [-per-task K] ...
       stylelab sweep status -experiment NAME [-job-dir DIR] [-db DB]

Runs every combination of the axes; points already FINISHED are skipped, so the
same command resumes. Each point is claimed in the store before it runs: sweeps,
workers and Slurm tasks sharing a store never run a point twice at once.
Axes are settings by their store key (stylelab run -h lists the flags; a flag's
key has _ for -). With -engine slurm the points go to a Slurm job array; the
store must be one every node reaches (-db postgres://..., -artifacts DIR).

Flags:`

func parseSweepFlags(args []string, stderr io.Writer) (*sweepFlags, error) {
	f := &sweepFlags{runFlags: newRunFlags(stderr)}
	hidden, rest, err := takeFlags(args, hiddenFlags...)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	f.points, f.manifest, f.args = hidden["points"], hidden["manifest"], rest
	fs := f.fs
	fs.Usage = func() {
		fmt.Fprintln(stderr, sweepUsage)
		fs.PrintDefaults()
	}
	fs.Var(&f.axes, "axis", "a swept parameter, NAME=V1|V2|... (repeatable; values of style_layers are comma lists)")
	fs.StringVar(&f.engine, "engine", "local", "where points run: local (this machine) or slurm (a job array)")
	fs.IntVar(&f.workers, "workers", 1, "local: run the points in `N` processes at once")
	fs.StringVar(&f.slurm.partition, "partition", "", "slurm: the partition to submit to (default: the cluster's)")
	fs.StringVar(&f.slurm.time, "time", "", "slurm: each task's time limit, e.g. 30 or 2:00:00 (default: the partition's)")
	fs.IntVar(&f.slurm.cpus, "cpus", 0, "slurm: CPUs per task (default: the cluster's, usually 1)")
	fs.IntVar(&f.slurm.perTask, "per-task", 1, "slurm: points per array task (`K`: fewer, longer tasks)")
	fs.StringVar(&f.jobDir, "job-dir", "", "slurm: the folder for the job's script, logs and record, on the shared file system (default stylelab-jobs/EXPERIMENT)")
	if err := fs.Parse(rest); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("sweep: unexpected argument %q: settings are flags, axes are -axis KEY=V1|V2", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	switch {
	case len(f.axes) == 0:
		return nil, fmt.Errorf("sweep: no -axis given: e.g. -axis 'ratio=1e-4|1e-3' -axis 'style_layers=conv1_1|conv1_1,conv2_1'")
	case !set["experiment"]:
		return nil, fmt.Errorf("sweep: name the experiment with -experiment NAME: it is how an interrupted sweep is resumed")
	case f.engine != "local" && f.engine != "slurm":
		return nil, fmt.Errorf("sweep: -engine %q: use local or slurm", f.engine)
	case f.workers < 1:
		return nil, fmt.Errorf("sweep: -workers %d: give at least 1", f.workers)
	case f.engine == "slurm" && set["workers"]:
		return nil, fmt.Errorf("sweep: -workers is for -engine local; a Slurm sweep runs one array task per -per-task points")
	case f.slurm.perTask < 1 || f.slurm.cpus < 0:
		return nil, fmt.Errorf("sweep: -per-task %d, -cpus %d: give positive numbers", f.slurm.perTask, f.slurm.cpus)
	}
	if f.engine == "local" {
		for _, name := range []string{"partition", "time", "cpus", "per-task", "job-dir"} {
			if set[name] {
				return nil, fmt.Errorf("sweep: -%s is for -engine slurm", name)
			}
		}
	}
	return f, nil
}

// sweepCommand runs a grid of settings as one experiment, here, in local
// worker processes or as a Slurm job array, skipping points that already
// finished, so that the same command resumes a sweep.
func sweepCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "status" {
		return sweepStatus(ctx, args[1:], stdout, stderr)
	}
	f, err := parseSweepFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "sweep: ") {
			return err
		}
		return errUsage
	}
	cfg, _, err := f.config()
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	points, err := experiments.Points(cfg, f.axes)
	if err != nil {
		return err
	}
	switch {
	case f.engine == "slurm" && f.points == "":
		return submitSweep(ctx, f, cfg, points, stdout, stderr)
	case f.workers > 1:
		return runWorkers(ctx, f, len(points), stdout, stderr)
	}
	return runSweepHere(ctx, f, cfg, points, stdout, stderr)
}

// runSweepHere runs the points (or the -points share of them) in this process.
func runSweepHere(ctx context.Context, f *sweepFlags, cfg transfer.Config, points []experiments.Point, stdout, stderr io.Writer) error {
	all := len(points)
	if f.points != "" {
		var err error
		if points, err = selectPoints(points, f.points); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	fmt.Fprintln(stderr, "loading VGG-19 (converted and cached on first use, which takes a few seconds)")
	lab, err := openLab(ctx, f.weightsPath, &f.store)
	if err != nil {
		return err
	}
	defer lab.Close()
	if f.manifest != "" {
		if err := checkManifest(f.manifest, lab, points); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	if len(points) < all {
		fmt.Fprintf(stderr, "sweep %s: %d of its %d points here\n", cfg.Experiment, len(points), all)
	} else {
		fmt.Fprintf(stderr, "sweep %s: %d points\n", cfg.Experiment, len(points))
	}
	bar := newProgressBar(stderr)
	count := map[string]int{}
	done, err := lab.SweepPoints(ctx, points, transfer.Hooks{Step: bar.step}, func(done, total int, p experiments.SweepPoint) {
		bar.done()
		state := "ran"
		switch {
		case p.Skipped:
			state = "already finished"
		case p.Elsewhere:
			state = "running elsewhere"
		}
		count[state]++
		fmt.Fprintf(stdout, "%d/%d  run %d  %s  (%s)\n", done, total, p.RunID, p.Name(), state)
	})
	bar.done()
	if err != nil {
		return fmt.Errorf("%w (%d of %d points done; run the same command again to resume)", err, len(done), len(points))
	}
	if n := count["running elsewhere"]; n > 0 {
		fmt.Fprintf(stdout, "sweep %s: %d ran, %d already finished, %d running elsewhere (stylelab sweep status -experiment %s follows them)\n",
			cfg.Experiment, count["ran"], count["already finished"], n, cfg.Experiment)
		return nil
	}
	if f.points != "" {
		fmt.Fprintf(stdout, "sweep %s: points %s done\n", cfg.Experiment, f.points)
		return nil
	}
	fmt.Fprintf(stdout, "sweep %s complete: compare with `stylelab runs grid -q 'experiment = \"%s\"' -rows %s -cols %s -o grid.png`\n",
		cfg.Experiment, cfg.Experiment, f.axes[0].Param, f.axes[len(f.axes)-1].Param)
	return nil
}

// selectPoints picks points by their 0-based indices, "0,3,4".
func selectPoints(points []experiments.Point, list string) ([]experiments.Point, error) {
	var out []experiments.Point
	for _, s := range strings.Split(list, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || i < 0 || i >= len(points) {
			return nil, fmt.Errorf("-points %q: %q is not a point of this sweep (0 to %d)", list, s, len(points)-1)
		}
		out = append(out, points[i])
	}
	return out, nil
}

// runWorkers runs the sweep as n processes of this program on the same
// store; each walks every point and claims the next free one, so together
// they run each point once.
func runWorkers(ctx context.Context, f *sweepFlags, points int, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("sweep: find this program to start workers: %w", err)
	}
	_, childArgs, err := takeFlags(f.args, "engine", "workers")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	n := min(f.workers, points)
	env := workerEnv(os.Environ(), runtime.NumCPU(), n)
	fmt.Fprintf(stderr, "sweep: %d points in %d worker processes\n", points, n)
	out, errOut := &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.CommandContext(ctx, exe, append([]string{"sweep"}, childArgs...)...)
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) } // each worker ends its run INTERRUPTED
		cmd.WaitDelay = time.Minute
		prefix := fmt.Sprintf("[worker %d] ", i+1)
		wo, we := &prefixWriter{w: out, prefix: prefix}, &prefixWriter{w: errOut, prefix: prefix}
		cmd.Stdout, cmd.Stderr, cmd.Env = wo, we, env
		if err := cmd.Start(); err != nil {
			errs[i] = fmt.Errorf("worker %d: %w", i+1, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				errs[i] = fmt.Errorf("worker %d: %w", i+1, err)
			}
			wo.Flush()
			we.Flush()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sweep: %w (the workers' messages are above; run the same command again to resume)", err)
	}
	fmt.Fprintf(stdout, "sweep: %d workers done\n", n)
	return nil
}

// workerEnv is the environment of one of n local workers on a machine of
// cpus cores: each gets its share of the cores (GOMAXPROCS), so that the
// workers' threads do not contend, unless the caller set GOMAXPROCS.
func workerEnv(environ []string, cpus, n int) []string {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			return environ
		}
	}
	return append(slices.Clip(environ), fmt.Sprintf("GOMAXPROCS=%d", max(1, cpus/n)))
}

// takeFlags removes the named flags (-name value, -name=value, --name)
// from args and returns their values and the other arguments.
func takeFlags(args []string, names ...string) (map[string]string, []string, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	got := map[string]string{}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !want[name] {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("flag -%s needs a value", name)
			}
			i++
			value = args[i]
		}
		got[name] = value
	}
	return got, rest, nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter writes whole lines, each after a prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := strings.IndexByte(string(p.buf), '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := p.w.Write([]byte(p.prefix + string(p.buf[:i+1]))); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
}

// Flush writes a last line that has no newline.
func (p *prefixWriter) Flush() {
	if len(p.buf) > 0 {
		p.w.Write([]byte(p.prefix + string(p.buf) + "\n"))
		p.buf = nil
	}
}

// absPath is path made absolute (as given when that fails).
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
