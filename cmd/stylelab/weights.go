package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stylelab/stylelab/weights"
	"github.com/stylelab/stylelab/weights/fetch"
)

const weightsUsage = `usage: stylelab weights COMMAND
  list                          the models fetch knows, with their files
  fetch [-dir D] [-base-url U] [-stall-timeout T] [-allow-unverified] MODEL
                                download MODEL into D (default: $STYLELAB_MODELS/MODEL
                                or the user cache), resuming partial files, checking size
                                and sha256; an attempt ends after T (default 1m0s) without
                                a byte; a file with neither published needs -allow-unverified
  verify PATH                   check a model directory or file against published sha256s
  info PATH                     summarise weights: format, layers, parameters, preprocessing
`

// weightsCommand runs `stylelab weights ...`; args excludes "weights".
func weightsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("weights: missing command\n%s", weightsUsage)
	}
	switch args[0] {
	case "list":
		return weightsList(stdout)
	case "fetch":
		return weightsFetch(ctx, args[1:], stdout, stderr)
	case "verify":
		path, err := onePath("verify", args[1:], stderr)
		if err != nil || path == "" { // "" after -h
			return err
		}
		checks, err := fetch.Verify(ctx, path)
		printChecks(stdout, checks)
		return err
	case "info":
		path, err := onePath("info", args[1:], stderr)
		if err != nil || path == "" { // "" after -h
			return err
		}
		info, err := weights.Inspect(path)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, info)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, weightsUsage)
		return nil
	}
	return fmt.Errorf("weights: unknown command %q\n%s", args[0], weightsUsage)
}

// onePath parses a command that takes exactly one PATH argument; it returns
// "" and no error after -h.
func onePath(cmd string, args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet("weights "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return "", flagError(err)
	}
	if fs.NArg() != 1 {
		return "", fmt.Errorf("weights %s: want one PATH, got %d arguments\n%s", cmd, fs.NArg(), weightsUsage)
	}
	return fs.Arg(0), nil
}

func weightsList(stdout io.Writer) error {
	for _, m := range fetch.Models() {
		var size int64
		for _, f := range m.Files {
			size += f.Size
		}
		fmt.Fprintf(stdout, "%s\n  %s\n  format %s, %d file(s)", m.Name, m.Description, m.Format, len(m.Files))
		if size > 0 {
			fmt.Fprintf(stdout, ", %.1f MB", float64(size)/1e6)
		}
		fmt.Fprintf(stdout, "\n  %s\n", m.Note)
		for i, f := range m.Files {
			if i == 2 && len(m.Files) > 3 {
				fmt.Fprintf(stdout, "  ... %d more from the same directory\n", len(m.Files)-2)
				break
			}
			fmt.Fprintf(stdout, "  %s\n", f.URL)
		}
	}
	return nil
}

func weightsFetch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("weights fetch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory for the model's files (default $STYLELAB_MODELS/MODEL or the user cache)")
	base := fs.String("base-url", "", "download from this mirror directory instead (default $STYLELAB_WEIGHTS_URL)")
	stall := fs.Duration("stall-timeout", fetch.DefaultStallTimeout, "abandon an attempt (the next resumes it) after this long without receiving a byte")
	unverified := fs.Bool("allow-unverified", false, "save files that have neither a published size nor a sha256, which cannot be checked")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	rest := fs.Args()
	if len(rest) > 1 { // allow flags after MODEL too
		if err := fs.Parse(rest[1:]); err != nil {
			return flagError(err)
		}
		rest = append(rest[:1], fs.Args()...)
	}
	if len(rest) != 1 {
		return fmt.Errorf("weights fetch: want one MODEL (see `stylelab weights list`), got %d arguments\n%s", len(rest), weightsUsage)
	}
	m, err := fetch.Find(rest[0])
	if err != nil {
		return err
	}
	if *dir == "" {
		if *dir, err = fetch.DefaultDir(m.Name); err != nil {
			return err
		}
	}
	bar := newDownloadBar(stderr, m.Name)
	err = fetch.Download(ctx, m, *dir, fetch.Options{BaseURL: *base, Progress: bar.update, StallTimeout: *stall, AllowUnverified: *unverified})
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is in %s\nuse it with -weights %s (or export STYLELAB_WEIGHTS=%s)\n", m.Name, *dir, m.WeightsPath(*dir), m.WeightsPath(*dir))
	return nil
}

func printChecks(w io.Writer, checks []fetch.FileCheck) {
	counts := map[string]int{}
	for _, c := range checks {
		counts[c.Status]++
		if c.Status != fetch.CheckOK {
			fmt.Fprintf(w, "%-12s %s\n", c.Status, c.Path)
		}
	}
	if len(checks) == 0 {
		return
	}
	var parts []string
	for _, s := range []string{fetch.CheckOK, fetch.CheckPrefix, fetch.CheckUnknown, fetch.CheckMismatch, fetch.CheckMissing} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(w, "%s: %d file(s): %s\n", checks[0].Model, len(checks), strings.Join(parts, ", "))
}

// downloadBar draws download progress on one terminal line, or prints a
// line every 10% when stderr is not a terminal.
type downloadBar struct {
	w             io.Writer
	label         string
	terminal      bool
	start, drawn  time.Time
	base          int64 // bytes already present when the download started
	done, total   int64
	bucket        int64 // last 10% step (or 50 MB step) printed when not a terminal
	started, used bool
}

func newDownloadBar(w io.Writer, label string) *downloadBar {
	b := &downloadBar{w: w, label: label, bucket: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.terminal = true
		}
	}
	return b
}

func (b *downloadBar) update(done, total int64) {
	now := time.Now()
	if !b.started {
		b.started, b.start, b.base = true, now, done
	}
	b.done, b.total = done, total
	if !b.terminal {
		bucket := done / 50e6
		if total > 0 {
			bucket = 10 * done / total
		}
		if bucket != b.bucket {
			b.bucket = bucket
			fmt.Fprintln(b.w, b.line(now))
		}
		return
	}
	if now.Sub(b.drawn) < 100*time.Millisecond && done != total {
		return
	}
	b.drawn, b.used = now, true
	fmt.Fprintf(b.w, "\r%s\x1b[K", b.line(now))
}

// line renders: label [#####-----]  48.3%  66.7/138.0 MB  12.4 MB/s  ETA 0:05
func (b *downloadBar) line(now time.Time) string {
	const mb = 1e6
	elapsed := now.Sub(b.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.done-b.base) / elapsed
	}
	if b.total <= 0 {
		return fmt.Sprintf("%s  %.1f MB  %.1f MB/s", b.label, float64(b.done)/mb, rate/mb)
	}
	frac := min(float64(b.done)/float64(b.total), 1)
	const width = 30
	fill := int(frac * width)
	eta := "--:--"
	if rate > 0 {
		s := int(float64(b.total-b.done)/rate + 0.5)
		eta = fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%s [%s%s] %5.1f%%  %.1f/%.1f MB  %.1f MB/s  ETA %s", b.label,
		strings.Repeat("#", fill), strings.Repeat("-", width-fill), 100*frac,
		float64(b.done)/mb, float64(b.total)/mb, rate/mb, eta)
}

// finish ends the bar's line, if one was drawn on a terminal.
func (b *downloadBar) finish() {
	if b.used {
		fmt.Fprintf(b.w, "\r%s\x1b[K\n", b.line(time.Now()))
	}
}

// flagError maps -h to success and other flag errors, which the flag
// package has already printed with the flags' usage, to errUsage.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return errUsage
}
