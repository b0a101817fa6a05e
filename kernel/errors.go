package kernel

import (
	"fmt"
	"go/ast"
	gotoken "go/token"
	"go/types"
	"regexp"
	"strconv"
	"strings"

	"github.com/cosmos72/gomacro/base"
	"github.com/cosmos72/gomacro/base/reflect"
	"github.com/cosmos72/gomacro/fast"
	etoken "github.com/cosmos72/gomacro/go/etoken"
	xr "github.com/cosmos72/gomacro/xreflect"
)

// A cell's errors name the cell line and column they come from, in the
// words of Go's compiler and runtime where gomacro speaks of its own
// internals; a panic shows the interpreted call stack in cell lines.
// Tracebacks are coloured with ANSI escapes, as IPython's are; the
// error's name and value stay plain text.

// ANSI colours of tracebacks.
const (
	ansiRed   = "\x1b[1;31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

func colour(c, s string) string { return c + s + ansiReset }

// cellSource is a cell being run: its name, code and syntax tree.
type cellSource struct {
	name  string
	code  string
	fset  *etoken.FileSet
	nodes []ast.Node
}

// addCell keeps a cell's source for the source lines of later errors.
func (in *interp) addCell(c *cellSource) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cells[c.name] = c
}

// cell is the source of the cell run under name. An abandoned cell's
// goroutine may ask while a later cell runs.
func (in *interp) cell(name string) (*cellSource, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	c, ok := in.cells[name]
	return c, ok
}

// frame is one interpreted call of a panic's stack.
type frame struct {
	pos gotoken.Position
	fn  string // the function it is in; "" at a cell's top level
	src string // the statement's line of source
}

// runExpr runs a compiled cell as gomacro's Interp.RunExpr does, and on a
// panic records the interpreted call stack in *frames before gomacro's
// bookkeeping forgets it.
func (in *interp) runExpr(e *fast.Expr, frames *[]frame) []xr.Value {
	if e == nil {
		return nil
	}
	env := in.ir.PrepareEnv()
	if in.ir.Comp.Globals.Options&base.OptKeepUntyped == 0 && e.Untyped() {
		e.ConstTo(e.DefaultType())
	}
	run := env.Run
	run.DebugDepth = 0
	run.ExecFlags.SetDebug(false)
	run.Signals.Debug = base.SigNone
	prev := run.CurrEnv
	run.CurrEnv = env
	returned := false
	defer func() {
		if !returned {
			*frames = in.stack(run.CurrEnv)
		}
		run.CurrEnv = prev
	}()
	v, vs := e.AsXV(fast.COptKeepUntyped)(env)
	returned = true
	return reflect.PackValues(v, vs)
}

// stack walks the interpreted calls from env, the innermost, outwards,
// and returns them outermost first. It reads what an abandoned cell that
// woke up may be writing (the top level's statement index): it reads each
// field once, and should it fail all the same, the panic it describes
// stays the cell's error, without a stack.
func (in *interp) stack(env *fast.Env) (frames []frame) {
	defer func() {
		if recover() != nil {
			frames = nil
		}
	}()
	for depth := 0; env != nil && depth < 1000; depth++ {
		ip, at := env.IP, env.DebugPos
		if ip >= 0 && ip < len(at) && at[ip] != gotoken.NoPos {
			pos := in.ir.Comp.Globals.Fileset.Position(at[ip])
			fn, src := in.sourceAt(pos)
			frames = append(frames, frame{pos: pos, fn: fn, src: src})
		}
		f := env
		for hops := 0; f != nil && f.Caller == nil && hops < 1000; hops++ {
			f = f.Outer
		}
		if f == nil || f.Caller == nil {
			break
		}
		env = f.Caller
	}
	for i, j := 0, len(frames)-1; i < j; i, j = i+1, j-1 {
		frames[i], frames[j] = frames[j], frames[i]
	}
	return frames
}

// sourceAt is the name of the function around pos, and pos's line, in the
// cells run so far.
func (in *interp) sourceAt(pos gotoken.Position) (fn, line string) {
	cell, ok := in.cell(pos.Filename)
	if !ok {
		return "", ""
	}
	lines := strings.Split(cell.code, "\n")
	if pos.Line >= 1 && pos.Line <= len(lines) {
		line = strings.TrimSpace(lines[pos.Line-1])
	}
	off := byteOffset(cell.code, pos.Line, pos.Column)
	for _, n := range cell.nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			if n == nil || cell.fset.Position(n.Pos()).Offset > off || cell.fset.Position(n.End()).Offset < off {
				return false
			}
			switch n := n.(type) {
			case *ast.FuncDecl:
				fn = n.Name.Name
				if n.Recv != nil && len(n.Recv.List) == 1 {
					fn = types.ExprString(n.Recv.List[0].Type) + "." + fn
				}
			case *ast.FuncLit:
				if fn == "" {
					fn = "func literal"
				} else if !strings.HasSuffix(fn, ".func") {
					fn += ".func"
				}
			}
			return true
		})
	}
	return fn, line
}

// compileError describes a compile error of cell c in Go's words, at its
// cell line and column.
func (in *interp) compileError(c *cellSource, err error) *cellError {
	msg := err.Error()
	pos := in.ir.Comp.Globals.Fileset.Position(in.ir.Comp.Globals.Pos)
	if m := positioned.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		pos = gotoken.Position{Filename: m[1], Line: line, Column: col}
		msg = msg[len(m[0]):]
	}
	msg, pos = in.goWords(c, msg, pos)
	return located("CompileError", msg, pos, in.lineOf(pos), nil)
}

// positioned is gomacro's prefix of a message with a position.
var positioned = regexp.MustCompile(`^([^:\s]+):(\d+):(\d+): `)

// runtimePanic describes a panic of interpreted code: its value in Go's
// words, at the innermost interpreted statement, with the stack.
func (in *interp) runtimePanic(cell *cellSource, value string, frames []frame, stack []byte) *cellError {
	value = runtimeWords(value)
	// A cell's last expression runs outside gomacro's statements: its
	// position is where compiling the cell ended.
	top := in.ir.Comp.Globals.Fileset.Position(in.ir.Comp.Globals.Pos)
	if top.Filename != cell.name {
		top = gotoken.Position{}
	}
	if top.Line > 0 && (len(frames) == 0 || frames[0].fn != "") {
		fn, src := in.sourceAt(top)
		frames = append([]frame{{pos: top, fn: fn, src: src}}, frames...)
	}
	var extra []string
	if len(frames) > 0 {
		extra = append(extra, "interpreted stack (outermost first):")
		for i, f := range frames {
			if len(frames) > 2*shownFrames && i >= shownFrames && i < len(frames)-shownFrames {
				if i == shownFrames {
					extra = append(extra, fmt.Sprintf("  ... %d more calls ...", len(frames)-2*shownFrames))
				}
				continue
			}
			line := "  " + colour(ansiGreen, where(f.pos))
			if f.fn != "" {
				line += " in " + colour(ansiCyan, f.fn)
			}
			if f.src != "" {
				line += "  " + f.src
			}
			extra = append(extra, line)
		}
	}
	extra = append(extra, nativeFrames(stack)...)
	pos := gotoken.Position{}
	if len(frames) > 0 {
		pos = frames[len(frames)-1].pos
	} else {
		pos = top
	}
	return located("panic", value, pos, "", extra)
}

// shownFrames is how many of the outermost and of the innermost calls
// of a deep stack a panic shows.
const shownFrames = 10

// located is an error at pos (where known), its traceback coloured: the
// name and place, the source line with a caret under the column, then
// extra lines.
func located(name, msg string, pos gotoken.Position, src string, extra []string) *cellError {
	value, head := msg, colour(ansiRed, name)+": "+msg
	if pos.Line > 0 {
		value = where(pos) + ": " + msg
		head = colour(ansiRed, name) + ": " + colour(ansiGreen, where(pos)) + ": " + msg
	}
	tb := []string{head}
	if src != "" {
		prefix := fmt.Sprintf("%4d | ", pos.Line)
		tb = append(tb, colour(ansiCyan, prefix)+src)
		if pos.Column > 0 {
			pad := strings.Map(func(r rune) rune {
				if r == '\t' {
					return '\t'
				}
				return ' '
			}, src[:min(pos.Column-1, len(src))])
			tb = append(tb, strings.Repeat(" ", len(prefix))+pad+colour(ansiRed, "^"))
		}
	}
	return &cellError{Name: name, Value: value, Traceback: append(tb, extra...)}
}

// where is cell[N]:line:column.
func where(pos gotoken.Position) string {
	if pos.Column > 0 {
		return fmt.Sprintf("%s:%d:%d", pos.Filename, pos.Line, pos.Column)
	}
	return fmt.Sprintf("%s:%d", pos.Filename, pos.Line)
}

// lineOf is the line of source at pos, untrimmed.
func (in *interp) lineOf(pos gotoken.Position) string {
	cell, ok := in.cell(pos.Filename)
	if !ok || pos.Line < 1 {
		return ""
	}
	lines := strings.Split(cell.code, "\n")
	if pos.Line > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[pos.Line-1], "\r")
}

// runtimeWords says a panic of gomacro's reflection in the Go runtime's
// words.
func runtimeWords(value string) string {
	switch {
	case strings.HasPrefix(value, "reflect: slice index out of range"),
		strings.HasPrefix(value, "reflect: array index out of range"),
		strings.HasPrefix(value, "reflect: string index out of range"):
		return "runtime error: index out of range"
	case strings.Contains(value, "slice index out of bounds"), strings.Contains(value, "slice bounds out of range"):
		return "runtime error: slice bounds out of range"
	case strings.HasPrefix(value, "reflect: call of reflect.Value.") && strings.HasSuffix(value, "on zero Value"),
		strings.HasPrefix(value, "reflect: call of reflect.Value.") && strings.Contains(value, "nil pointer"):
		return "runtime error: invalid memory address or nil pointer dereference"
	case strings.HasPrefix(value, "reflect: call of nil function"), value == "reflect: call of nil function":
		return "runtime error: invalid memory address or nil pointer dereference"
	}
	return value
}

// The rewrites of gomacro's compile errors into the Go compiler's words.
var (
	reUndefined     = regexp.MustCompile(`^undefined identifier: (\S+)$`)
	reNotAType      = regexp.MustCompile(`^not a type: (\w+)\.(\w+) <\*ast\.SelectorExpr>$`)
	reNotAPackage   = regexp.MustCompile(`^not a package: "(\w+)" in (\S+)\.(\w+) <\*ast\.SelectorExpr>$`)
	reNoField       = regexp.MustCompile(`^type (\S+) has no field(?: or method)? "(\w+)": (\S+)$`)
	reUntyped       = regexp.MustCompile(`^cannot convert untyped constant \{(\w+) (.*)\} to <(.+)>$`)
	reAssignVar     = regexp.MustCompile(`^cannot assign <(.+)> to <(.+)> in variable declaration: .*$`)
	reIncompatible  = regexp.MustCompile(`^incompatible types in assignment: (.+) = (.+)$`)
	reNonFunction   = regexp.MustCompile(`^call of non-function: (\S+) <(.+)>$`)
	reAstSuffix     = regexp.MustCompile(` <\*ast\.\w+>`)
	reAngleType     = regexp.MustCompile(`<([^<>\s]+)>`)
	reUntypedLitArg = regexp.MustCompile(`untyped\.Lit`)
)

// goWords rewrites gomacro's message msg at pos as Go's compiler says it,
// and moves pos where Go's would be.
func (in *interp) goWords(c *cellSource, msg string, pos gotoken.Position) (string, gotoken.Position) {
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		return "undefined: " + m[1], pos
	}
	if m := reNotAType.FindStringSubmatch(msg); m != nil {
		if in.importPath(m[1]) != "" {
			return fmt.Sprintf("undefined: %s.%s", m[1], m[2]), pos
		}
		return fmt.Sprintf("%s.%s is not a type", m[1], m[2]), pos
	}
	if m := reNotAPackage.FindStringSubmatch(msg); m != nil {
		if sym := in.ir.Comp.TryResolve(m[1]); sym != nil && sym.Type != nil {
			return fmt.Sprintf("%s.%s undefined (type %s has no field or method %s)", m[2], m[3], shortType(sym.Type.String()), m[3]), pos
		}
		return fmt.Sprintf("undefined: %s.%s", m[2], m[3]), pos
	}
	if m := reNoField.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s undefined (type %s has no field or method %s)", m[3], shortType(m[1]), m[2]), pos
	}
	if m := reUntyped.FindStringSubmatch(msg); m != nil {
		return untypedWords(c, m[1], m[2], shortType(m[3]), pos)
	}
	if m := reAssignVar.FindStringSubmatch(msg); m != nil {
		return cannotUse(c, pos, shortType(m[1]), shortType(m[2])), pos
	}
	if m := reIncompatible.FindStringSubmatch(msg); m != nil {
		return cannotUse(c, pos, shortType(m[2]), shortType(m[1])), pos
	}
	if m := reNonFunction.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("invalid operation: cannot call non-function %s (variable of type %s)", m[1], shortType(m[2])), pos
	}
	msg = reAstSuffix.ReplaceAllString(msg, "")
	msg = reUntypedLitArg.ReplaceAllString(msg, "untyped constant")
	return reAngleType.ReplaceAllString(msg, "$1"), pos
}

// shortType writes a type as Go's compiler does: package names, not paths.
func shortType(t string) string { return rePackagePath.ReplaceAllString(t, "$1") }

var rePackagePath = regexp.MustCompile(`[\w.-]+(?:/[\w.-]+)*/(\w+\.)`)

// untypedWords says why an untyped constant (kind, literal text) does not
// fit type t: mismatched operands of a binary operation, or a value that
// cannot be used where it stands.
func untypedWords(c *cellSource, kind, lit, t string, pos gotoken.Position) (string, gotoken.Position) {
	path := literalPath(c, pathTo(c, pos), lit)
	if len(path) > 0 {
		pos = c.position(path[len(path)-1].Pos(), pos)
	}
	for i := len(path) - 2; i >= 0; i-- {
		b, ok := path[i].(*ast.BinaryExpr)
		if !ok || b.Op == gotoken.SHL || b.Op == gotoken.SHR {
			continue
		}
		x, y := t, "untyped "+kind
		if b.X == path[i+1] {
			x, y = y, x
		}
		return fmt.Sprintf("invalid operation: %s (mismatched types %s and %s)", types.ExprString(b), x, y), c.position(b.Pos(), pos)
	}
	return fmt.Sprintf("cannot use %s (untyped %s constant) as %s value%s", lit, kind, t, useContext(path)), pos
}

// literalPath is the path to the first literal lit within the outermost
// node of path (gomacro's position may be the statement's, not the
// literal's); else path.
func literalPath(c *cellSource, path []ast.Node, lit string) []ast.Node {
	if len(path) == 0 {
		return path
	}
	var stack, found []ast.Node
	ast.Inspect(path[0], func(n ast.Node) bool {
		if found != nil {
			return false
		}
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		stack = append(stack, n)
		if l, ok := n.(*ast.BasicLit); ok && l.Value == lit {
			found = append([]ast.Node(nil), stack...)
		}
		return true
	})
	if found == nil {
		return path
	}
	return append(path[:1:1], found[1:]...)
}

// cannotUse is Go's "cannot use x (variable of type T) as U value".
func cannotUse(c *cellSource, pos gotoken.Position, from, to string) string {
	path := pathTo(c, pos)
	var value ast.Expr
	for i := len(path) - 1; i >= 0 && value == nil; i-- {
		switch n := path[i].(type) {
		case *ast.ValueSpec:
			if len(n.Values) == 1 {
				value = n.Values[0]
			}
		case *ast.AssignStmt:
			if len(n.Rhs) == 1 {
				value = n.Rhs[0]
			}
		}
	}
	what := "value"
	if value == nil {
		return fmt.Sprintf("cannot use value of type %s as %s value%s", from, to, useContext(path))
	}
	if _, ok := value.(*ast.Ident); ok {
		what = "variable"
	}
	return fmt.Sprintf("cannot use %s (%s of type %s) as %s value%s", types.ExprString(value), what, from, to, useContext(path))
}

// useContext is where Go's compiler says a value is used: " in return
// statement", " in variable declaration", " in assignment", " in
// argument to f".
func useContext(path []ast.Node) string {
	for i := len(path) - 1; i >= 0; i-- {
		switch n := path[i].(type) {
		case *ast.ReturnStmt:
			return " in return statement"
		case *ast.ValueSpec:
			return " in variable declaration"
		case *ast.AssignStmt:
			return " in assignment"
		case *ast.CallExpr:
			if i+1 < len(path) && path[i+1] != ast.Node(n.Fun) {
				return " in argument to " + types.ExprString(n.Fun)
			}
		}
	}
	return ""
}

// pathTo lists the nodes of cell c that enclose pos, outermost first.
func pathTo(c *cellSource, pos gotoken.Position) []ast.Node {
	if c == nil || pos.Line < 1 {
		return nil
	}
	off := byteOffset(c.code, pos.Line, max(pos.Column, 1))
	var path []ast.Node
	for _, n := range c.nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			if n == nil || c.fset.Position(n.Pos()).Offset > off || c.fset.Position(n.End()).Offset <= off {
				return false
			}
			path = append(path, n)
			return true
		})
	}
	return path
}

// position is p of the cell's syntax tree as a cell position; else def.
func (c *cellSource) position(p gotoken.Pos, def gotoken.Position) gotoken.Position {
	if !p.IsValid() {
		return def
	}
	q := c.fset.Position(p)
	return gotoken.Position{Filename: def.Filename, Line: q.Line, Column: q.Column}
}
