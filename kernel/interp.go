package kernel

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	gotoken "go/token"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/cosmos72/gomacro/base"
	"github.com/cosmos72/gomacro/base/output"
	"github.com/cosmos72/gomacro/fast"
	etoken "github.com/cosmos72/gomacro/go/etoken"
	mp "github.com/cosmos72/gomacro/go/parser"
	scanner "github.com/cosmos72/gomacro/go/scanner"
	"github.com/cosmos72/gomacro/imports"
	xr "github.com/cosmos72/gomacro/xreflect"

	"github.com/stylelab/stylelab/kernel/bindings"
)

// preimported are imported into every session, so that cells can use them
// without an import line.
var preimported = []string{"fmt", "github.com/stylelab/stylelab/kernel/display"}

// interp is a gomacro interpreter whose jobs (cells, completions) run one
// at a time on a goroutine of its own, the runner: gomacro keeps
// per-goroutine state, and its interrupt reaches the goroutine that
// runs the session's top level. See runner.go for how a job blocked in
// compiled code is abandoned.
type interp struct {
	ir     *fast.Interp
	env    *fast.Env // the session's top level, whose variables cells share
	jobs   chan func()
	docMap map[string]string // documentation, parsed on first use

	// goPanics returns, when a cell's go statement starts a goroutine,
	// what reports a panic of that goroutine (see spawn).
	goPanics func() func(value any, stack []byte)

	mu      sync.Mutex
	runner  int                    // the generation of the runner; abandon starts the next
	here    *fast.Run              // set by the rehome helper (see rehome)
	cells   map[string]*cellSource // the cells run, by name, for errors' source lines
	pending sync.WaitGroup         // jobs not returned yet, abandoned ones included
	log     io.Writer              // gomacro's messages, and the runner's
}

// newInterp starts the interpreter's runner and prepares a session:
// bindings installed, preimported packages imported, ctx and the spawner
// of goroutines declared. gomacro's own messages go to diag; goPanics
// says how to report a panic of a goroutine a cell starts.
func newInterp(diag io.Writer, goPanics func() func(value any, stack []byte)) (*interp, error) {
	in := &interp{jobs: make(chan func()), goPanics: goPanics, log: diag, cells: map[string]*cellSource{}}
	errc := make(chan error, 1)
	go func() {
		err := in.init(diag)
		errc <- err
		if err == nil {
			in.runJobs(0)
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return in, nil
}

func (in *interp) init(diag io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kernel: starting the interpreter: %v", r)
		}
	}()
	bindings.Install()
	interceptExits()
	// Type information comes from reflection and the generated bindings,
	// never from a Go toolchain's export data: the same behaviour with or
	// without Go installed, and no "go list" at start-up. gomacro's first
	// lookup happens inside fast.New, before its importer can be replaced,
	// so the toolchain is hidden from go/importer meanwhile.
	goroot := build.Default.GOROOT
	build.Default.GOROOT = filepath.Join(os.TempDir(), "stylelab-kernel-has-no-goroot")
	ir := fast.New()
	build.Default.GOROOT = goroot
	ir.Comp.Universe.Importer = &xr.Importer{}
	g := &ir.Comp.Globals
	g.Options &^= base.OptShowPrompt | base.OptShowEval | base.OptShowEvalType | base.OptTrapPanic | base.OptModuleImport
	g.Stdout, g.Stderr = diag, diag
	for _, path := range preimported {
		ir.ImportPackage("", path)
	}
	ir.DeclVar("ctx", ir.Comp.TypeOf((*context.Context)(nil)).Elem(), context.Background())
	ir.DeclFunc(spawnName, func(body func(ready func())) { spawn(body, in.goPanics()) })
	in.declareRehome(ir)
	in.ir, in.env = ir, ir.PrepareEnv()
	return nil
}

// interrupt makes the interpreted code running now stop at its next
// statement (native code stops only if it watches the cell's context).
func (in *interp) interrupt() { in.ir.Interrupt(nil) }

// cellError is a cell's failure as Jupyter reports it.
type cellError struct {
	Name      string // SyntaxError, CompileError, ImportError, Interrupted, panic
	Value     string
	Traceback []string
}

func (e *cellError) Error() string { return e.Name + ": " + e.Value }

// outcome is what running a cell gave.
type outcome struct {
	values []any // the values of the cell's last expression, to show
	err    *cellError
}

// parse parses a cell with gomacro's parser (Go plus top-level statements).
func parse(name, code string) ([]ast.Node, *etoken.FileSet, error) {
	var p mp.Parser
	fset := etoken.NewFileSet()
	p.Configure(0, '~')
	p.Init(fset, name, 0, []byte(code))
	nodes, err := p.Parse()
	return nodes, fset, err
}

// eval runs a cell; it is called on the interpreter's goroutine.
func (in *interp) eval(ctx context.Context, name, code string) (out outcome) {
	if depth := scanBrackets(code).maxDepth; depth > maxNesting {
		msg := fmt.Sprintf("brackets nested %d deep; at most %d are allowed", depth, maxNesting)
		return outcome{err: &cellError{Name: "SyntaxError", Value: msg, Traceback: []string{"SyntaxError: " + msg}}}
	}
	nodes, fset, err := parse(name, code)
	if err != nil {
		return outcome{err: &cellError{Name: "SyntaxError", Value: err.Error(), Traceback: errorLines("SyntaxError", err)}}
	}
	if len(nodes) == 0 {
		return outcome{}
	}
	if e := checkImports(nodes); e != nil {
		return outcome{err: e}
	}
	in.setContext(ctx)
	runner := in.generation()
	defer func() {
		if in.generation() == runner { // not abandoned: no later cell runs yet
			in.setContext(context.Background())
		}
	}()
	g := &in.ir.Comp.Globals
	g.Filepath, g.Line = name, 0
	cell := &cellSource{name: name, code: code, fset: fset, nodes: nodes}
	in.addCell(cell)
	var frames []frame // the interpreted stack of a panic

	stage := "CompileError"
	defer func() {
		if r := recover(); r != nil {
			out = outcome{err: in.failure(stage, cell, r, frames, debug.Stack())}
		}
	}()
	expr := in.ir.Compile(recoverGoroutines(code, fset, nodes))
	stage = "panic"
	values := in.runExpr(expr, &frames)
	if hidesResult(nodes[len(nodes)-1]) {
		return outcome{}
	}
	return outcome{values: shown(values)}
}

// setContext points the session's ctx variable at the cell's context.
func (in *interp) setContext(ctx context.Context) {
	defer func() { _ = recover() }() // the user redeclared ctx with another type
	v := in.ir.ValueOf("ctx")
	if v.IsValid() && v.Type() == reflect.TypeOf((*context.Context)(nil)).Elem() {
		v.ReflectValue().Set(reflect.ValueOf(&ctx).Elem())
	}
}

// checkImports refuses imports that are not linked into the kernel, with
// the fix, instead of letting gomacro try to build a plugin.
func checkImports(nodes []ast.Node) *cellError {
	var missing []string
	for _, n := range nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			if spec, ok := n.(*ast.ImportSpec); ok {
				path, err := strconv.Unquote(spec.Path.Value)
				if _, ok := imports.Packages[path]; err == nil && !ok {
					missing = append(missing, path)
				}
			}
			return true
		})
	}
	if len(missing) == 0 {
		return nil
	}
	msg := fmt.Sprintf("package %s is not linked into the kernel; add it to Packages in kernel/internal/bindgen, run go generate ./kernel/bindings and rebuild stylelab",
		strings.Join(missing, ", "))
	return &cellError{Name: "ImportError", Value: msg, Traceback: []string{"ImportError: " + msg}}
}

// hidesResult reports cells whose last expression is a call to a fmt
// print function: its (n, err) result is noise next to what it printed.
func hidesResult(last ast.Node) bool {
	if s, ok := last.(*ast.ExprStmt); ok {
		last = s.X
	}
	call, ok := last.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "fmt" && (strings.HasPrefix(sel.Sel.Name, "Print") || strings.HasPrefix(sel.Sel.Name, "Fprint"))
}

// shown are the values a cell's result shows: nil ones and a trailing nil
// error are dropped.
func shown(values []xr.Value) []any {
	var out []any
	for _, v := range values {
		if !v.IsValid() {
			continue
		}
		rv := v.ReflectValue()
		switch rv.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
			if rv.IsNil() {
				continue
			}
		}
		if !rv.CanInterface() {
			continue
		}
		out = append(out, rv.Interface())
	}
	return out
}

// failure describes what a cell panicked with at stage (CompileError or
// panic): in Go's words and cell lines (see errors.go).
func (in *interp) failure(stage string, cell *cellSource, r any, frames []frame, stack []byte) *cellError {
	switch r := r.(type) {
	case base.Signal:
		if r == base.SigInterrupt {
			return panicError(stage, r, stack)
		}
	case scanner.ErrorList, exitCall:
		return panicError(stage, r, stack)
	}
	err, ok := r.(error)
	if !ok {
		err = fmt.Errorf("%v", r)
	}
	if stage == "CompileError" {
		return in.compileError(cell, err)
	}
	return in.runtimePanic(cell, err.Error(), frames, stack)
}

// panicError describes what a cell panicked with; stack is the panicking
// goroutine's.
func panicError(stage string, r any, stack []byte) *cellError {
	switch r := r.(type) {
	case base.Signal:
		if r == base.SigInterrupt {
			return &cellError{Name: "Interrupted", Value: "the cell was interrupted", Traceback: []string{"Interrupted: the cell was interrupted"}}
		}
	case scanner.ErrorList:
		return &cellError{Name: "SyntaxError", Value: r.Error(), Traceback: errorLines("SyntaxError", r)}
	case exitCall:
		return &cellError{Name: "Exit", Value: r.Error(), Traceback: []string{"Exit: " + r.Error()}}
	case output.RuntimeError:
		if stage == "CompileError" {
			return &cellError{Name: stage, Value: r.Error(), Traceback: []string{stage + ": " + r.Error()}}
		}
	}
	var value string
	switch r := r.(type) {
	case error:
		value = r.Error()
	default:
		value = fmt.Sprint(r)
	}
	name := stage // "panic: runtime error: ...", in Go's own words
	tb := []string{name + ": " + value}
	if stage == "panic" {
		tb = append(tb, nativeFrames(stack)...)
	}
	return &cellError{Name: name, Value: value, Traceback: tb}
}

// errorLines is one traceback line per error in a list.
func errorLines(name string, err error) []string {
	var list scanner.ErrorList
	if errors.As(err, &list) {
		lines := make([]string, len(list))
		for i, e := range list {
			lines[i] = name + ": " + e.Error()
		}
		return lines
	}
	return []string{name + ": " + err.Error()}
}

// nativeFrames picks the frames of compiled code that a panic went
// through, leaving out the interpreter, reflection and the runtime.
func nativeFrames(stack []byte) []string {
	var out []string
	lines := strings.Split(string(stack), "\n")
	for i := 0; i+1 < len(lines); i++ {
		fn := lines[i]
		if strings.HasPrefix(fn, "\t") || strings.HasPrefix(fn, "goroutine ") || strings.HasPrefix(fn, "created by ") || fn == "" {
			continue
		}
		for _, skip := range []string{"runtime.", "runtime/debug.", "reflect.", "panic(", "github.com/cosmos72/gomacro", "github.com/stylelab/stylelab/kernel."} {
			if strings.HasPrefix(fn, skip) {
				fn = ""
				break
			}
		}
		if fn != "" {
			out = append(out, "  "+fn, "  "+strings.TrimSpace(lines[i+1]))
		}
	}
	if len(out) > 0 {
		out = append([]string{"in compiled code:"}, out...)
	}
	return out
}

// isComplete classifies code as Jupyter's is_complete asks: "complete",
// "incomplete" (more lines would make it parse) or "invalid". Its time is
// linear in the code's length: brackets are matched in one scan, and only
// code nested less than parseDepth deep is parsed too; deeper code is
// "incomplete" while a bracket is open, else "complete" (running it
// reports any other error), and beyond maxNesting "invalid".
func isComplete(code string) string {
	if strings.TrimSpace(code) == "" {
		return "complete"
	}
	b := scanBrackets(code)
	switch {
	case b.unterminated:
		return "incomplete"
	case b.mismatched || b.maxDepth > maxNesting:
		return "invalid"
	case b.maxDepth > parseDepth && b.open > 0:
		return "incomplete"
	case b.maxDepth > parseDepth:
		return "complete"
	}
	_, _, err := parse("cell", code)
	if err == nil {
		return "complete"
	}
	var list scanner.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		return "invalid"
	}
	end := len(strings.TrimRight(code, " \t\r\n"))
	first := list[0]
	switch {
	case strings.Contains(first.Msg, "not terminated"):
		return "incomplete"
	case byteOffset(code, first.Pos.Line, first.Pos.Column) >= end:
		return "incomplete" // the code ended where more was expected
	}
	return "invalid"
}

// parseDepth is the deepest nesting of brackets that isComplete parses:
// gomacro's parser takes time that grows faster than the code beyond it.
const parseDepth = 256

// maxNesting is the deepest nesting of brackets a cell may have, as Go's
// own parser allows (go/parser's maxNestLev): deeper, parsing and compiling
// it could exhaust the stack.
const maxNesting = 100000

// brackets is what one scan of a cell's tokens says of its brackets.
type brackets struct {
	open         int  // brackets still open at the end
	maxDepth     int  // the deepest nesting
	mismatched   bool // a closing bracket that closes no opening one of its kind
	unterminated bool // a string, rune or comment that the end cut off
}

// scanBrackets matches the brackets of code in one pass of gomacro's
// scanner (strings, runes and comments are skipped as tokens).
func scanBrackets(code string) brackets {
	var b brackets
	var s scanner.Scanner
	file := etoken.NewFileSet().AddFile("cell", -1, len(code), 0)
	s.Init(file, []byte(code), func(_ gotoken.Position, msg string) {
		if strings.Contains(msg, "not terminated") {
			b.unterminated = true
		}
	}, 0, '~')
	var stack []gotoken.Token
	for {
		_, tok, _ := s.Scan()
		switch tok {
		case gotoken.EOF:
			b.open = len(stack)
			return b
		case gotoken.LPAREN, gotoken.LBRACK, gotoken.LBRACE:
			stack = append(stack, tok)
			b.maxDepth = max(b.maxDepth, len(stack))
		case gotoken.RPAREN, gotoken.RBRACK, gotoken.RBRACE:
			if len(stack) == 0 || stack[len(stack)-1] != opening(tok) {
				b.mismatched = true
				return b
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// opening is the opening bracket of a closing one.
func opening(closing gotoken.Token) gotoken.Token {
	switch closing {
	case gotoken.RPAREN:
		return gotoken.LPAREN
	case gotoken.RBRACK:
		return gotoken.LBRACK
	}
	return gotoken.LBRACE
}

// byteOffset is the offset in code of a 1-based line and column (bytes).
func byteOffset(code string, line, column int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(code[off:], '\n')
		if i < 0 {
			return len(code)
		}
		off += i + 1
	}
	return off + column - 1
}
