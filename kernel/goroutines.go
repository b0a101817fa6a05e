package kernel

import (
	"go/ast"
	"runtime/debug"
	"slices"
	"strings"

	etoken "github.com/cosmos72/gomacro/go/etoken"
)

// A panic on a goroutine that a cell started would end the kernel, as it
// ends a Go program: gomacro runs a go statement's call on a goroutine of
// its own, with no recover. So the kernel rewrites each go statement of a
// cell,
//
//	go f(x, y)
//
// into a call of the spawner it declares in every session,
//
//	spawnName(func(readyName func()) { defer f(x, y); readyName() })
//
// A defer evaluates the function and its arguments at once, as a go
// statement does, and calls it when the literal returns; spawn runs the
// literal on a new goroutine and waits for readyName, so that they are
// evaluated before the cell goes on, and recovers a panic of the call:
// it is reported on the cell's standard error, and the goroutine ends.
// A panic while evaluating f or its arguments is the cell's own, as in Go.
const (
	spawnName = "__stylelab_go"
	readyName = "__stylelab_ready"
)

// recoverGoroutines rewrites the go statements of a cell's code (parsed
// into nodes with fset) as above. Columns after a go keyword shift in
// compile errors; lines stay.
func recoverGoroutines(code string, fset *etoken.FileSet, nodes []ast.Node) string {
	type edit struct {
		at, cut int // replace code[at:at+cut]
		text    string
	}
	var edits []edit
	for _, n := range nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			g, ok := n.(*ast.GoStmt)
			if !ok || g.Call == nil {
				return true
			}
			start, end := fset.Position(g.Go).Offset, fset.Position(g.Call.End()).Offset
			if start < 0 || start+2 > len(code) || end > len(code) || code[start:start+2] != "go" {
				return true
			}
			edits = append(edits,
				edit{start, 2, spawnName + "(func(" + readyName + " func()) { defer"},
				edit{end, 0, "; " + readyName + "() })"})
			return true
		})
	}
	if len(edits) == 0 {
		return code
	}
	slices.SortFunc(edits, func(a, b edit) int { return b.at - a.at }) // from the end
	var b strings.Builder
	b.Grow(len(code) + 64*len(edits))
	rest := code
	var tail []string
	for _, e := range edits {
		tail = append(tail, rest[e.at+e.cut:], e.text)
		rest = rest[:e.at]
	}
	b.WriteString(rest)
	for i := len(tail) - 1; i >= 0; i-- {
		b.WriteString(tail[i])
	}
	return b.String()
}

// spawn starts a rewritten go statement's body on a new goroutine and
// returns once the body called ready (its call's function and arguments
// are evaluated). A panic before that is re-raised here, in the cell; a
// panic after it is handed to report with the goroutine's stack.
func spawn(body func(ready func()), report func(value any, stack []byte)) {
	evaluated := make(chan any, 1)
	go func() {
		ready := false
		defer func() {
			r := recover()
			if !ready {
				evaluated <- r // nil if the goroutine exited while evaluating
				return
			}
			if r != nil {
				report(r, debug.Stack())
			}
		}()
		body(func() {
			ready = true
			evaluated <- nil
		})
	}()
	if r := <-evaluated; r != nil {
		panic(r)
	}
}
