// Package display is how notebook cells show things in the Go (Stylelab)
// Jupyter kernel: it turns values into MIME bundles (images as PNG, runs and
// comparisons as HTML, gonum plots inline) and sends them to the notebook
// through the Publisher that the kernel puts in each cell's context.
//
// In a cell, ctx is the cell's context: it carries the Publisher and is
// cancelled when the user interrupts the cell.
//
//	res, err := display.Transfer(ctx, lab, cfg) // live progress bar and preview
//	display.Compare(res, other)                 // side by side, as the cell's result
//	display.Show(ctx, img)                      // any value, shown now
//
// Outside a kernel (no Publisher in the context) the functions that show
// things do nothing and return nil, so code using them also runs in tests
// and programs.
package display
