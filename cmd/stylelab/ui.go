package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/stylelab/stylelab/ui"
)

const uiUsage = `usage: stylelab ui [-db PATH|URL] [-addr 127.0.0.1:8787] [-read-only] [-allow-remote]

Serves Stylelab's web page for the store: the runs (filtered with the query
language, sorted, paged), each run's images, snapshots, curves, tags and
notes, comparisons and grids; running runs update live. It listens on
loopback only unless -allow-remote; Ctrl-C stops it.

flags:
`

// uiCommand implements "stylelab ui".
func uiCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stylelab ui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, uiUsage); fs.PrintDefaults() }
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", "127.0.0.1:8787", "`host:port` to listen on; port 0 picks a free one")
	readOnly := fs.Bool("read-only", false, "refuse edits: tags and notes cannot be changed")
	remote := fs.Bool("allow-remote", false, "allow an address other machines can reach (they can read every run)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ui: unexpected argument %q; see stylelab ui -h", fs.Arg(0))
	}
	s, err := sf.open(ctx, true)
	if err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	defer s.Close()
	opts := ui.Options{ReadOnly: *readOnly, AllowRemote: *remote}
	shared := s.Backend() == "postgres"
	if shared { // no file to keep thumbnails and the address beside
		opts.ThumbDir = filepath.Join(s.ArtifactDir(), "thumbs")
	}
	srv, err := ui.New(s, opts)
	if err != nil {
		return err
	}
	l, warning, err := ui.Listen(*addr, *remote)
	if err != nil {
		return err
	}
	url := "http://" + l.Addr().String() + "/"
	if !shared { // notebooks on this machine find the page of a store file
		unpublish, err := ui.Publish(s.Path(), url)
		if err != nil {
			l.Close()
			return err
		}
		defer unpublish()
	}
	if warning != "" {
		fmt.Fprintln(stderr, "stylelab ui:", warning)
	}
	mode := ""
	if *readOnly {
		mode = ", read-only"
	}
	fmt.Fprintf(stdout, "Stylelab's web page for %s%s:\n  %s\n(Ctrl-C stops it)\n", s.Path(), mode, url)
	return srv.Serve(ctx, l)
}
