package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/stylelab/stylelab/kernel"
	"github.com/stylelab/stylelab/kernel/kernelspec"
)

const kernelUsage = `Usage:
  stylelab kernel -f CONNECTION_FILE     serve a Jupyter kernel (Jupyter runs this)
  stylelab kernel install [-user | -prefix DIR] [-name NAME]
                                         install the "Go (Stylelab)" kernelspec

The kernel reads, from the environment:
  STYLELAB_KERNEL_MAX_MESSAGE    the largest message a peer may send (default 256MiB)
  STYLELAB_KERNEL_MAX_STACK      Go's maximum stack; cells whose stacks pass a quarter
                                 of it are interrupted (default 1GiB)
  STYLELAB_KERNEL_MEMORY_LIMIT   cells that grow memory past it are interrupted
                                 (default 3/4 of the physical or cgroup memory)
  JPY_PARENT_PID                 the kernel ends when this process does (Jupyter sets it)
`

// crashMonitor is the hidden subcommand the kernel starts its crash monitor with.
const crashMonitor = "crash-monitor"

// kernelCommand serves the Jupyter kernel or installs its kernelspec.
func kernelCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "install" {
		return kernelInstall(args[1:], stdout, stderr)
	}
	if len(args) == 3 && args[0] == crashMonitor && args[1] == "-f" {
		// The kernel's crash monitor, started by the kernel itself.
		mctx, stop := signal.NotifyContext(context.WithoutCancel(ctx), syscall.SIGTERM)
		defer stop()
		return kernel.Monitor(mctx, args[2], os.Stdin, os.NewFile(3, "kernel-stderr"), stderr)
	}
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, kernelUsage) }
	conn := fs.String("f", "", "the connection file Jupyter wrote")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *conn == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	// The dispatch context ends on SIGINT, which for a kernel means
	// "interrupt the running cell" (kernel.Serve handles it): only
	// SIGTERM, or a shutdown request, stops the kernel.
	settings, err := kernel.SettingsFromEnv()
	if err != nil {
		return err
	}
	if exe, err := os.Executable(); err == nil {
		settings.MonitorCommand = []string{exe, "kernel", crashMonitor, "-f"}
	}
	kctx, stop := signal.NotifyContext(context.WithoutCancel(ctx), syscall.SIGTERM)
	defer stop()
	return kernel.Serve(kctx, *conn, settings, stderr)
}

func kernelInstall(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kernel install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.Bool("user", false, "install for the current user (the default)")
	prefix := fs.String("prefix", "", "install under `DIR`/share/jupyter/kernels (e.g. a virtual environment, or /usr/local)")
	name := fs.String("name", kernelspec.DefaultName, "the kernel's `name`")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *user && *prefix != "" {
		return errors.New("kernel install: give -user or -prefix, not both")
	}
	bin, err := os.Executable()
	if err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", kernelspec.ErrNoBinary, err)
	}
	p := *prefix
	if p != "" {
		if p, err = filepath.Abs(p); err != nil {
			return err
		}
	}
	dir, err := kernelspec.Install(kernelspec.Options{Binary: bin, Name: *name, Prefix: p})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "installed kernelspec %s (%s) in %s\n", *name, kernelspec.DisplayName, dir)
	return nil
}
