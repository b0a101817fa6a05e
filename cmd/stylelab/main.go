// Command stylelab runs neural style transfer (Gatys, Ecker & Bethge, 2016)
// from the terminal: transfers, benchmarks, weights, and the runs it logged.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `stylelab: neural style transfer lab (Gatys, Ecker & Bethge, CVPR 2016)

Usage:
  stylelab run [flags]             run a transfer (no flags: the embedded demo)
  stylelab eval -image X.png [run flags]
                                   the losses of an image under a run's settings
  stylelab bench [flags]           seconds per iteration and peak memory at 256 and 512 px
  stylelab weights list|fetch|verify|info
  stylelab runs ls|show|compare|grid|plot|strip|tag|untag|note|rm|gc|export
  stylelab sweep [flags]           run a grid of settings as one experiment
  stylelab ui [-db PATH] [-addr 127.0.0.1:8787] [-read-only]
                                   serve the web page: browse, compare and watch runs
  stylelab kernel install [-user|-prefix DIR] [-name N]
                                   install the Jupyter kernel "Go (Stylelab)"
  stylelab kernel -f FILE          serve a Jupyter connection file (Jupyter runs this)
  stylelab version

Run 'stylelab COMMAND -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := &checkedWriter{w: os.Stdout}
	err := dispatch(ctx, os.Args[1:], out, os.Stderr)
	if err == nil {
		err = out.finish(os.Stdout)
	}
	if err != nil && !errors.Is(err, errUsage) {
		fmt.Fprintln(os.Stderr, "stylelab:", err)
	}
	if err != nil {
		os.Exit(1)
	}
}

// checkedWriter remembers the first error writing to w, so that a full
// disk or a closed pipe fails the command whichever command wrote.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

// finish reports a write error, and syncs f when it is a regular file (a
// full disk can refuse data only at sync).
func (c *checkedWriter) finish(f *os.File) error {
	if c.err != nil {
		return fmt.Errorf("writing the output: %w", c.err)
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("writing the output: %w", err)
		}
	}
	return nil
}

// errUsage marks an error already explained by printed usage.
var errUsage = errors.New("usage")

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCommand(ctx, rest, stdout, stderr)
	case "eval":
		return evalCommand(ctx, rest, stdout, stderr)
	case "bench":
		return benchCommand(ctx, rest, stdout, stderr)
	case "runs":
		return runsCommand(ctx, rest, stdout, stderr)
	case "weights":
		return weightsCommand(ctx, rest, stdout, stderr)
	case "sweep":
		return sweepCommand(ctx, rest, stdout, stderr)
	case "kernel":
		return kernelCommand(ctx, rest, stdout, stderr)
	case "ui":
		return uiCommand(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "stylelab", version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "stylelab: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
