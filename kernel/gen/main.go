// Command gen regenerates the kernel's gomacro bindings (kernel/bindings)
// from the packages' current APIs, into the directory -o (default: the
// current one). From the repository root:
//
//	go generate ./kernel/bindings
//
// gomacro's binding writer predates go/types aliases (gonum's vg.Length is
// one), hence gotypesalias=0.
//
//go:debug gotypesalias=0
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stylelab/stylelab/kernel/internal/bindgen"
)

func main() {
	out := flag.String("o", ".", "directory of package bindings")
	flag.Parse()
	dir, err := filepath.Abs(*out)
	if err == nil {
		err = bindgen.Write(dir, dir, warnings{})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// warnings keeps gomacro's notes about skipped generic symbols short.
type warnings struct{}

func (warnings) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); s != "" {
		fmt.Fprintln(os.Stderr, "gen:", s)
	}
	return len(p), nil
}
