package kernel

import (
	gotoken "go/token"
	r "reflect"
	"strings"

	etoken "github.com/cosmos72/gomacro/go/etoken"
	scanner "github.com/cosmos72/gomacro/go/scanner"
	xr "github.com/cosmos72/gomacro/xreflect"

	"github.com/cosmos72/gomacro/fast"
)

// declaredNames lists the names code declares (with :=, var, const,
// type or func), in order: a cell's own names, before it has run.
func declaredNames(code string) []string {
	var s scanner.Scanner
	file := etoken.NewFileSet().AddFile("cell", -1, len(code), 0)
	s.Init(file, []byte(code), nil, 0, '~')
	var names, run []string // run: "a, b, c" just read, names if := follows
	listing := false        // after "var a": ", b" declares b too
	depth, groupDepth := 0, -1
	prev := gotoken.ILLEGAL
	for {
		_, tok, lit := s.Scan()
		switch tok {
		case gotoken.EOF:
			return names
		case gotoken.IDENT:
			inGroup := depth == groupDepth && (prev == gotoken.SEMICOLON || prev == gotoken.LPAREN)
			switch {
			case prev == gotoken.VAR || prev == gotoken.CONST || prev == gotoken.TYPE || prev == gotoken.FUNC || inGroup:
				names = append(names, lit)
				listing = prev != gotoken.FUNC && prev != gotoken.TYPE
			case prev == gotoken.COMMA && listing:
				names = append(names, lit)
			case prev == gotoken.COMMA && len(run) > 0:
				run = append(run, lit)
			default:
				run = []string{lit}
			}
		case gotoken.DEFINE:
			names = append(names, run...)
		case gotoken.LPAREN, gotoken.LBRACE, gotoken.LBRACK:
			if tok == gotoken.LPAREN && (prev == gotoken.VAR || prev == gotoken.CONST || prev == gotoken.TYPE) {
				groupDepth = depth + 1
			}
			depth++
		case gotoken.RPAREN, gotoken.RBRACE, gotoken.RBRACK:
			if depth == groupDepth {
				groupDepth = -1
			}
			depth--
		}
		if tok != gotoken.IDENT && tok != gotoken.COMMA {
			run, listing = nil, false
		}
		prev = tok
	}
}

// selectorType is the type of a dotted selector of the session
// (cfg.Styles, lab.Store, experiments.Defaults is none: only variables,
// constants and their fields).
func (in *interp) selectorType(words []string) (xr.Type, bool) {
	c := in.ir.Comp
	sym := c.TryResolve(words[0])
	if sym == nil || sym.Type == nil {
		return nil, false
	}
	t, rest := sym.Type, words[1:]
	if imp, ok := sym.Value.(*fast.Import); ok {
		if len(rest) == 0 {
			return nil, false
		}
		b := imp.Binds[rest[0]]
		if b == nil || b.Type == nil {
			return nil, false
		}
		t, rest = b.Type, rest[1:]
	}
	for _, w := range rest {
		for t.Kind() == r.Pointer {
			t = t.Elem()
		}
		if t.Kind() != r.Struct {
			return nil, false
		}
		f, ok, _, _, err := c.TryLookupFieldOrMethod(t, w)
		if err != nil || !ok {
			return nil, false
		}
		t = f.Type
	}
	return t, true
}

// members lists the fields and methods of t (and of the types it embeds)
// that start with prefix.
func (in *interp) members(t xr.Type, prefix string) []string {
	var names []string
	own := t.PkgPath() == in.ir.Comp.FileComp().Path // the session's own type
	add := func(name string) {
		if strings.HasPrefix(name, prefix) && (own || gotoken.IsExported(name)) {
			names = append(names, name)
		}
	}
	methods := func(t xr.Type) {
		for _, t := range []xr.Type{t, in.ir.Comp.Universe.PtrTo(t)} {
			for i, n := 0, t.NumMethod(); i < n; i++ {
				add(t.Method(i).Name)
			}
		}
	}
	if t.Kind() == r.Pointer {
		t = t.Elem()
		own = t.PkgPath() == in.ir.Comp.FileComp().Path
	}
	if t.Kind() == r.Interface {
		for i, n := 0, t.NumMethod(); i < n; i++ {
			add(t.Method(i).Name)
		}
		return names
	}
	methods(t)
	if t.Kind() == r.Struct {
		in.ir.Comp.Universe.VisitFields(t, func(f xr.StructField) {
			add(f.Name)
			if f.Anonymous {
				ft := f.Type
				if ft.Kind() == r.Pointer {
					ft = ft.Elem()
				}
				methods(ft)
			}
		})
	}
	return names
}
