package query

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a mistake in a query: what was expected, and where.
type Error struct {
	Query  string // the whole query
	Offset int    // byte offset of the offending token
	Line   int    // 1-based line of the offending token
	Column int    // 1-based column (in characters) of the offending token
	Msg    string // what went wrong and what was expected
}

func errorAt(q string, offset int, format string, args ...any) *Error {
	if offset > len(q) {
		offset = len(q)
	}
	before := q[:offset]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return &Error{Query: q, Offset: offset, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// Error names the problem and draws a caret under the offending token.
func (e *Error) Error() string {
	lines := strings.Split(e.Query, "\n")
	text := ""
	if e.Line-1 < len(lines) {
		text = lines[e.Line-1]
	}
	// Tabs keep their width so the caret lines up in a terminal.
	var pad strings.Builder
	for i, r := range []rune(text) {
		if i >= e.Column-1 {
			break
		}
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	where := fmt.Sprintf("column %d", e.Column)
	if strings.Contains(e.Query, "\n") {
		where = fmt.Sprintf("line %d, column %d", e.Line, e.Column)
	}
	return fmt.Sprintf("query: %s (at %s)\n  %s\n  %s^", e.Msg, where, text, pad.String())
}

// ErrorAt is an Error at byte offset of q, for callers that check a query
// further (a caret under what they refuse).
func ErrorAt(q string, offset int, format string, args ...any) *Error {
	return errorAt(q, offset, format, args...)
}
