package kernel

import (
	"fmt"
	"go/format"
	"strings"
)

// gofmtMagic recognises a cell whose first line is %gofmt and returns its
// code with that line left empty, so that lines keep their numbers.
func gofmtMagic(code string) (string, bool) {
	first, rest, _ := strings.Cut(code, "\n")
	if strings.TrimSpace(first) != "%gofmt" {
		return "", false
	}
	return "\n" + rest, true
}

// gofmtCell formats a cell's code as gofmt would: a file, or a list of
// declarations or statements. A cell that mixes them (imports, then
// statements) is formatted piece by piece: its leading declarations, then
// the rest.
func gofmtCell(cell string) (string, error) {
	code := strings.Trim(cell, "\r\n")
	if strings.TrimSpace(code) == "" {
		return "", nil
	}
	out, err := format.Source([]byte(code))
	if err == nil {
		return strings.TrimRight(string(out), "\n"), nil
	}
	if decls, stmts, ok := splitDecls(code); ok {
		d, derr := format.Source([]byte(decls))
		s, serr := format.Source([]byte(stmts))
		if derr == nil && serr == nil {
			return strings.TrimRight(string(d), "\n") + "\n\n" + strings.TrimRight(string(s), "\n"), nil
		}
	}
	if _, _, perr := parse("cell", cell); perr != nil {
		err = perr // positions in the cell, not in gofmt's wrapper
	}
	return "", fmt.Errorf("%%gofmt: %w", err)
}

// splitDecls splits code after its leading import, type, const, var and
// func declarations, at the first line (outside brackets) that starts
// none: the statements a cell runs.
func splitDecls(code string) (decls, stmts string, ok bool) {
	lines := strings.SplitAfter(code, "\n")
	depth, off := 0, 0
	for _, line := range lines {
		t := strings.TrimSpace(line)
		if depth == 0 && t != "" && !strings.HasPrefix(t, "//") {
			word, _, _ := strings.Cut(t, " ")
			word, _, _ = strings.Cut(word, "(")
			switch word {
			case "import", "type", "const", "var", "func":
			default:
				if off == 0 {
					return "", "", false
				}
				return code[:off], code[off:], true
			}
		}
		depth += netBrackets(line)
		off += len(line)
	}
	return "", "", false
}

// netBrackets is the number of brackets line opens less those it closes
// (brackets in strings and comments are counted too: the split is only
// tried where formatting the whole cell failed).
func netBrackets(line string) int {
	n := 0
	for _, r := range line {
		switch r {
		case '(', '[', '{':
			n++
		case ')', ']', '}':
			n--
		}
	}
	return n
}

// nextIndent is the indentation of the line after code, as gofmt would
// have it: the last line's leading tabs, and one tab more after an opening
// bracket (jupyter console starts the next line with it).
func nextIndent(code string) string {
	code = strings.TrimRight(code, " \t\r\n")
	last := code[strings.LastIndexByte(code, '\n')+1:]
	indent := last[:len(last)-len(strings.TrimLeft(last, " \t"))]
	if strings.HasSuffix(last, "{") || strings.HasSuffix(last, "(") || strings.HasSuffix(last, "[") {
		indent += "\t"
	}
	return indent
}
