package kernel_test

import (
	"testing"
	"time"
)

// TestUX runs kernel/testdata/ux.py through a real Jupyter client: error
// texts in cell lines and the Go compiler's words (no interpreter
// internals), a panic's interpreted call stack, completion of nested
// selectors, struct fields and names declared earlier in the cell,
// inspection inside a call's parentheses, %gofmt, the indentation of an
// incomplete cell's next line (tabs), and the exit payload.
func TestUX(t *testing.T) {
	requireJupyter(t)
	env := installKernel(t)
	runUnittest(t, "ux", 7, env, 4*time.Minute)
}
