package bindgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/doc"
	"go/printer"
	"go/token"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Docs returns the documentation of DocPackages as JSON: an object from
// "path" (the package), "path.Name" (a package-level name) and
// "path.Type.Method" to the declaration followed by its doc comment.
func Docs(moduleDir string) ([]byte, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedSyntax | packages.NeedFiles,
		Dir:  moduleDir,
	}
	pkgs, err := packages.Load(cfg, DocPackages...)
	if err != nil {
		return nil, fmt.Errorf("bindgen: loading %v: %w", DocPackages, err)
	}
	out := map[string]string{}
	for _, p := range pkgs {
		var files []*ast.File
		for _, f := range p.Syntax {
			if !strings.HasSuffix(p.Fset.Position(f.Package).Filename, "_test.go") {
				files = append(files, f)
			}
		}
		d, err := doc.NewFromFiles(p.Fset, files, p.PkgPath)
		if err != nil {
			return nil, fmt.Errorf("bindgen: documentation of %s: %w", p.PkgPath, err)
		}
		addPackageDocs(out, p.Fset, d)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("bindgen: %w", err)
	}
	return buf.Bytes(), nil
}

func addPackageDocs(out map[string]string, fset *token.FileSet, d *doc.Package) {
	path := d.ImportPath
	out[path] = fmt.Sprintf("package %s // import %q\n\n%s", d.Name, path, d.Doc)
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, spec := range v.Decl.Specs {
				vs := spec.(*ast.ValueSpec)
				one := &ast.GenDecl{Tok: v.Decl.Tok, Specs: []ast.Spec{vs}}
				comment := v.Doc
				if vs.Doc != nil {
					comment = vs.Doc.Text()
				} else if vs.Comment != nil {
					comment = "" // printed with the declaration
				}
				text := decl(fset, one) + "\n\n" + comment
				for _, name := range vs.Names {
					if ast.IsExported(name.Name) {
						out[path+"."+name.Name] = text
					}
				}
			}
		}
	}
	funcs := func(prefix string, fs []*doc.Func) {
		for _, f := range fs {
			if ast.IsExported(f.Name) {
				out[prefix+f.Name] = decl(fset, f.Decl) + "\n\n" + f.Doc
			}
		}
	}
	values(d.Consts)
	values(d.Vars)
	funcs(path+".", d.Funcs)
	for _, t := range d.Types {
		if !ast.IsExported(t.Name) {
			continue
		}
		out[path+"."+t.Name] = decl(fset, t.Decl) + "\n\n" + t.Doc
		values(t.Consts)
		values(t.Vars)
		funcs(path+".", t.Funcs)
		funcs(path+"."+t.Name+".", t.Methods)
	}
}

// decl prints a declaration without function bodies.
func decl(fset *token.FileSet, n ast.Node) string {
	if f, ok := n.(*ast.FuncDecl); ok {
		c := *f
		c.Body, c.Doc = nil, nil
		n = &c
	}
	if g, ok := n.(*ast.GenDecl); ok {
		c := *g
		c.Doc = nil
		n = &c
	}
	var b strings.Builder
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 4}
	if err := cfg.Fprint(&b, fset, n); err != nil {
		return ""
	}
	return b.String()
}
