// Package bindings links packages into the kernel's gomacro interpreter, so
// that a notebook cell imports them at once, with no Go toolchain and no
// plugins: Stylelab's transfer, experiments, optim, analysis, compare, vgg,
// weights, loss, store (and its query language), plots and imaging, the
// notebook display package, gonum/plot, and gorgonia with its tensor
// package (for loss terms written in a cell). The other files are generated
// by kernel/gen from the packages' APIs; a test fails when they are stale.
package bindings

//go:generate go run ../gen -o .

import (
	_ "embed" // docs.json

	"github.com/cosmos72/gomacro/imports"
)

// DocsJSON maps "path", "path.Name" and "path.Type.Method" of the linked
// packages (and of the standard packages cells use most) to their
// declaration and doc comment, for the kernel's inspect.
//
//go:embed docs.json
var DocsJSON []byte

// Package is one package's exported symbols, as gomacro reads them.
type Package = imports.PackageUnderlying

// Packages holds the generated bindings by import path. It is filled once
// by the generated init functions and read only by Install.
var Packages = make(map[string]Package)

// Install makes the packages importable by gomacro interpreters.
func Install() { imports.Packages.Merge(Packages) }
