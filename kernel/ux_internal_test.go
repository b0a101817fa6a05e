package kernel

import (
	"strings"
	"testing"
)

func TestDeclaredNames(t *testing.T) {
	for _, c := range []struct{ code, want string }{
		{"x := 3\nfoo := 1\nf", "x,foo"},
		{"a, b := 1, 2", "a,b"},
		{"var width, height = 1, 2", "width,height"},
		{"var (\n\taa = 1\n\tab, ac int\n)\nconst k = 2", "aa,ab,ac,k"},
		{"func helper(n int) int { m := n; return m }\ntype T struct{ F int }", "helper,m,T"},
		{"for kk, vv := range xs {\n}", "kk,vv"},
		{"f(a, b)\nx = y", ""},
	} {
		if got := strings.Join(declaredNames(c.code), ","); got != c.want {
			t.Errorf("declaredNames(%q) = %s, want %s", c.code, got, c.want)
		}
	}
}

func TestCallAt(t *testing.T) {
	for _, c := range []struct {
		code string
		pos  int
		want string
	}{
		{"experiments.OpenLab(", -1, "experiments.OpenLab"},
		{`experiments.OpenLab("w", `, -1, "experiments.OpenLab"},
		{`fmt.Println(fmt.Sprint(x), `, -1, "fmt.Println"},
		{`fmt.Println(fmt.Sprint(x`, -1, "fmt.Sprint"},
		{`fmt.Println(x)`, -1, ""},
		{`xs := []int{f(`, -1, "f"},
		{`xs := []int{1, `, -1, ""},
		{`fmt.Println(")(", `, -1, "fmt.Println"},
	} {
		pos := c.pos
		if pos < 0 {
			pos = len(c.code)
		}
		if got := callAt(c.code, pos); got != c.want {
			t.Errorf("callAt(%q, %d) = %q, want %q", c.code, pos, got, c.want)
		}
	}
}

func TestGofmtCell(t *testing.T) {
	for _, c := range []struct{ code, want string }{
		{"x:=1\nfmt.Println( x )", "x := 1\nfmt.Println(x)"},
		{"import \"fmt\"\nfunc f( ) int {\nreturn 1}\nx:=f()\nfmt.Println(x)",
			"import \"fmt\"\n\nfunc f() int {\n\treturn 1\n}\n\nx := f()\nfmt.Println(x)"},
		{"type T struct{A int\nBee string}", "type T struct {\n\tA   int\n\tBee string\n}"},
	} {
		got, err := gofmtCell(c.code)
		if err != nil || got != c.want {
			t.Errorf("gofmtCell(%q) = %q, %v; want %q", c.code, got, err, c.want)
		}
	}
	src, ok := gofmtMagic("%gofmt\nx := := 1")
	if !ok {
		t.Fatalf("the %%gofmt line is not recognised")
	}
	if _, err := gofmtCell(src); err == nil || !strings.Contains(err.Error(), "cell:2:6: expected operand") {
		t.Errorf("gofmtCell of bad code: %v", err)
	}
}

func TestNextIndent(t *testing.T) {
	for code, want := range map[string]string{
		"func f() {":                "\t",
		"func f() {\n\tif x {":      "\t\t",
		"func f() {\n\tx := 1":      "\t",
		"x := []int{\n\t1,\n\t2,\n": "\t",
		"fmt.Println(":              "\t",
		"s := `raw":                 "",
	} {
		if got := nextIndent(code); got != want {
			t.Errorf("nextIndent(%q) = %q, want %q", code, got, want)
		}
	}
}
