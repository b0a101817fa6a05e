package kernel

import (
	"encoding/json"
	"fmt"
	gotoken "go/token"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cosmos72/gomacro/fast"
	etoken "github.com/cosmos72/gomacro/go/etoken"
	scanner "github.com/cosmos72/gomacro/go/scanner"
	"github.com/cosmos72/gomacro/imports"

	"github.com/stylelab/stylelab/kernel/bindings"
	"github.com/stylelab/stylelab/kernel/jupyter"
)

// runeOffset converts a cursor position in code points (Jupyter's unit) to
// a byte offset in code.
func runeOffset(code string, pos int) int {
	if pos < 0 {
		return len(code)
	}
	i := 0
	for n := 0; n < pos && i < len(code); n++ {
		_, size := utf8.DecodeRuneInString(code[i:])
		i += size
	}
	return i
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func isIdent(s string) bool {
	for i, r := range s {
		if !isIdentRune(r) || (i == 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

func (k *kernel) complete(m *jupyter.Message) {
	var c struct {
		Code      string `json:"code"`
		CursorPos int    `json:"cursor_pos"`
	}
	_ = m.Decode(&c)
	pos := runeOffset(c.Code, c.CursorPos)
	var start int
	var matches []string
	k.in.do(func() { start, matches = k.in.complete(c.Code[:pos]) })
	k.reply(jupyter.Shell, m, "complete_reply", map[string]any{
		"status": "ok", "matches": nonNilStrings(matches),
		"cursor_start": utf8.RuneCountInString(c.Code[:start]), "cursor_end": utf8.RuneCountInString(c.Code[:pos]),
		"metadata": map[string]any{},
	})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// complete completes the identifier that ends head: gomacro's completion
// of the session's names and imported packages' members, with the names
// declared earlier in head (the cell, not run yet); else the fields and
// methods of a nested selector (lab.Store.); else members of linked
// packages that the session has not imported yet. It returns where the
// completed word starts.
func (in *interp) complete(head string) (start int, matches []string) {
	prefix, words, _ := in.ir.CompleteWords(head, len(head))
	start, matches = len(prefix), words
	word := lastIdent(head)
	before := head[:len(head)-len(word)]
	if word != "" && !strings.HasSuffix(before, ".") {
		for _, name := range declaredNames(before) {
			if strings.HasPrefix(name, word) {
				matches = append(matches, name)
			}
		}
		if len(words) == 0 {
			start = len(before)
		}
	}
	if len(matches) > 0 {
		sort.Strings(matches)
		return start, dedupe(matches)
	}
	dot := strings.LastIndexByte(head, '.')
	if dot < 0 {
		return len(head), nil
	}
	name := head[dot+1:]
	if name != "" && !isIdent(name) {
		return len(head), nil
	}
	// "a.b.Na": a field or method of a session name's member
	if chain := dottedAt(head[:dot], dot); strings.Contains(chain, ".") {
		if t, ok := in.selectorType(strings.Split(chain, ".")); ok {
			matches = in.members(t, name)
			sort.Strings(matches)
			return dot + 1, dedupe(matches)
		}
	}
	// "pkg.Na" with pkg a linked package's name, not imported yet
	pkgName := lastIdent(head[:dot])
	if pkgName == "" {
		return len(head), nil
	}
	for _, path := range pathsNamed(pkgName) {
		pkg := imports.Packages[path]
		for sym := range pkg.Binds {
			if strings.HasPrefix(sym, name) {
				matches = append(matches, sym)
			}
		}
		for sym := range pkg.Types {
			if strings.HasPrefix(sym, name) {
				matches = append(matches, sym)
			}
		}
	}
	sort.Strings(matches)
	return dot + 1, dedupe(matches)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// lastIdent is the identifier that ends s.
func lastIdent(s string) string {
	i := len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if !isIdentRune(r) {
			break
		}
		i -= size
	}
	return s[i:]
}

// pathsNamed lists the import paths of linked packages named name.
func pathsNamed(name string) []string {
	var paths []string
	for path, pkg := range imports.Packages {
		if pkg.Name == name || (pkg.Name == "" && path[strings.LastIndexByte(path, '/')+1:] == name) {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	return paths
}

func (k *kernel) inspect(m *jupyter.Message) {
	var c struct {
		Code      string `json:"code"`
		CursorPos int    `json:"cursor_pos"`
	}
	_ = m.Decode(&c)
	var text string
	var found bool
	k.in.do(func() { text, found = k.in.inspect(c.Code, runeOffset(c.Code, c.CursorPos)) })
	data := map[string]any{}
	if found {
		data["text/plain"] = text
	}
	k.reply(jupyter.Shell, m, "inspect_reply", map[string]any{"status": "ok", "found": found, "data": data, "metadata": map[string]any{}})
}

// dottedAt is the dotted name (a.b.c) around byte offset pos of code.
func dottedAt(code string, pos int) string {
	pos = min(max(pos, 0), len(code))
	isPart := func(r rune) bool { return isIdentRune(r) || r == '.' }
	start, end := pos, pos
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(code[:start])
		if !isPart(r) {
			break
		}
		start -= size
	}
	for end < len(code) {
		r, size := utf8.DecodeRuneInString(code[end:])
		if !isIdentRune(r) {
			break
		}
		end += size
	}
	return strings.Trim(code[start:end], ".")
}

// inspect documents what the cursor at pos of code is in: the function
// called, where pos is inside a call's parentheses (as IPython does), else
// the name at pos.
func (in *interp) inspect(code string, pos int) (string, bool) {
	if call := callAt(code, pos); call != "" {
		if doc, ok := in.inspectName(call); ok {
			return doc, true
		}
	}
	return in.inspectName(dottedAt(code, pos))
}

// callAt is the dotted name of the function whose call's parentheses
// enclose byte offset pos of code ("" if none).
func callAt(code string, pos int) string {
	pos = min(max(pos, 0), len(code))
	var s scanner.Scanner
	file := etoken.NewFileSet().AddFile("cell", -1, pos, 0)
	s.Init(file, []byte(code[:pos]), nil, 0, '~')
	var open []int // offsets of the brackets open at pos; -1 for [ and {
	for {
		p, tok, _ := s.Scan()
		switch tok {
		case gotoken.EOF:
			if len(open) == 0 || open[len(open)-1] < 0 {
				return ""
			}
			return dottedAt(code, open[len(open)-1])
		case gotoken.LPAREN:
			open = append(open, file.Offset(p))
		case gotoken.LBRACK, gotoken.LBRACE:
			open = append(open, -1)
		case gotoken.RPAREN, gotoken.RBRACK, gotoken.RBRACE:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		}
	}
}

// inspectName documents a dotted name: a package, a package member, a
// method, or a name of the session (its type and value).
func (in *interp) inspectName(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	parts := strings.Split(name, ".")
	docs := in.docs()
	// a package (imported, or linked under that name), then its members
	var paths []string
	if p := in.importPath(parts[0]); p != "" {
		paths = []string{p}
	} else if in.ir.Comp.TryResolve(parts[0]) == nil {
		paths = pathsNamed(parts[0])
	}
	for _, path := range paths {
		key := strings.Join(append([]string{path}, parts[1:]...), ".")
		if d, ok := docs[key]; ok {
			return d, true
		}
		if len(parts) == 2 {
			if v, ok := imports.Packages[path].Binds[parts[1]]; ok {
				return fmt.Sprintf("%s.%s %v", parts[0], parts[1], v.Type()), true
			}
			if t, ok := imports.Packages[path].Types[parts[1]]; ok {
				return fmt.Sprintf("type %s.%s %v", parts[0], parts[1], t), true
			}
		}
	}
	// a name of the session, and maybe fields and methods of its value
	sym := in.ir.Comp.TryResolve(parts[0])
	if sym == nil || sym.Type == nil {
		return "", false
	}
	if len(parts) == 1 {
		return in.describe(parts[0], sym), true
	}
	return in.member(parts, sym)
}

// member documents a field or method reached from a session name
// (cfg.Iterations, lab.Run, res.Config.Size).
func (in *interp) member(parts []string, sym *fast.Symbol) (string, bool) {
	t := sym.Type.ReflectType()
	var v reflect.Value
	if sym.Desc.Class() == fast.VarBind || sym.Desc.Class() == fast.IntBind {
		v = in.ir.ValueOf(parts[0]).ReflectValue()
	}
	docs := in.docs()
	for i, name := range parts[1:] {
		last := i == len(parts)-2
		if m, ok := t.MethodByName(name); ok && last {
			if d, ok := docs[methodKey(t, name)]; ok {
				return d, true
			}
			return fmt.Sprintf("%s %v", strings.Join(parts, "."), m.Type), true
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
			if v.IsValid() {
				v = v.Elem()
			}
		}
		if t.Kind() != reflect.Struct {
			return "", false
		}
		f, ok := t.FieldByName(name)
		if !ok {
			return "", false
		}
		owner := t
		t = f.Type
		if v.IsValid() {
			v = v.FieldByIndex(f.Index)
		}
		if last {
			desc := fmt.Sprintf("%s %v", strings.Join(parts, "."), f.Type)
			if v.IsValid() && v.CanInterface() {
				desc += " = " + short(fmt.Sprintf("%+v", v.Interface()))
			}
			if d, ok := docs[owner.PkgPath()+"."+owner.Name()]; ok && owner.PkgPath() != "" {
				desc += "\n\n" + d
			}
			return desc, true
		}
	}
	return "", false
}

func short(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// describe is a session name's kind, type and value.
func (in *interp) describe(name string, sym *fast.Symbol) string {
	t := sym.Type
	rt := t.ReflectType()
	typ := t.String()
	if rt.Name() != "" && rt.PkgPath() != "" && rt.PkgPath() != "main" {
		typ = rt.String() // experiments.Config, not its full path
	} else if rt.Kind() == reflect.Pointer && rt.Elem().Name() != "" && rt.Elem().PkgPath() != "main" {
		typ = rt.String()
	}
	desc := fmt.Sprintf("%s %s", name, typ)
	switch sym.Desc.Class() {
	case fast.FuncBind:
		desc = fmt.Sprintf("func %s: %s", name, typ)
	case fast.ConstBind:
		desc = fmt.Sprintf("const %s %s", name, typ)
	case fast.VarBind, fast.IntBind:
		desc = fmt.Sprintf("var %s %s", name, typ)
		if v := in.ir.ValueOf(name); v.IsValid() && v.ReflectValue().CanInterface() {
			desc += " = " + short(fmt.Sprintf("%+v", v.ReflectValue().Interface()))
		}
	}
	for rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	if d, ok := in.docs()[rt.PkgPath()+"."+rt.Name()]; ok && rt.PkgPath() != "" {
		desc += "\n\n" + d
	}
	return desc
}

// methodKey is the documentation key of method name of type t.
func methodKey(t reflect.Type, name string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() + "." + t.Name() + "." + name
}

// importPath is the path of the package imported under name, if any.
func (in *interp) importPath(name string) string {
	sym := in.ir.Comp.TryResolve(name)
	if sym == nil {
		return ""
	}
	if imp, ok := sym.Value.(*fast.Import); ok {
		return imp.Path
	}
	return ""
}

// docs parses the linked documentation once.
func (in *interp) docs() map[string]string {
	if in.docMap == nil {
		in.docMap = map[string]string{}
		_ = json.Unmarshal(bindings.DocsJSON, &in.docMap)
	}
	return in.docMap
}
