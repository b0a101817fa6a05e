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
`

// kernelCommand serves the Jupyter kernel or installs its kernelspec.
func kernelCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "install" {
		return kernelInstall(args[1:], stdout, stderr)
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
