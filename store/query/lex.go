package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp
	tLParen
	tRParen
	tComma
)

// segment is one dot-separated part of an identifier; quoted parts may
// hold any character, so params."my key".x is three segments.
type segment struct {
	text   string
	quoted bool
}

type token struct {
	kind tokKind
	pos  int    // byte offset in the query
	text string // source text (for messages)
	segs []segment
	str  string  // tString value
	num  float64 // tNumber value
}

// keyword reports whether t is the bare word w (case-insensitive).
func (t token) keyword(w string) bool {
	return t.kind == tIdent && len(t.segs) == 1 && !t.segs[0].quoted && strings.EqualFold(t.segs[0].text, w)
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tString:
		return "string " + t.text
	case tNumber:
		return "number " + t.text
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isIdentPart allows '/', '-' and ':' so metric keys such as
// style/conv1_1 need no quotes; the language has no arithmetic.
func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '/' || c == '-' || c == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits q into tokens, ending with tEOF.
func lex(q string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(q) && strings.IndexByte(" \t\r\n", q[i]) >= 0 {
			i++
		}
		if i >= len(q) {
			return append(toks, token{kind: tEOF, pos: i}), nil
		}
		c := q[i]
		start := i
		switch {
		case c == '(':
			toks = append(toks, token{kind: tLParen, pos: i, text: "("})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, pos: i, text: ")"})
			i++
		case c == ',':
			toks = append(toks, token{kind: tComma, pos: i, text: ","})
			i++
		case strings.IndexByte("=!<>", c) >= 0:
			op, n := lexOp(q[i:])
			if op == "" {
				return nil, errorAt(q, i, "unexpected %q; expected a comparison (= != < <= > >=)", c)
			}
			toks = append(toks, token{kind: tOp, pos: i, text: op})
			i += n
		case c == '"' || c == '\'':
			s, n, err := lexString(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, pos: i, text: q[i : i+n], str: s})
			i += n
		case isDigit(c) || c == '.' || c == '-' || c == '+':
			t, err := lexNumber(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += len(t.text)
		case isIdentStart(c):
			t, err := lexIdent(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += len(t.text)
		default:
			r, _ := utf8.DecodeRuneInString(q[i:])
			return nil, errorAt(q, start, "unexpected character %q; expected a field, value, operator or parenthesis", r)
		}
	}
}

func lexOp(s string) (string, int) {
	for _, op := range []string{"<=", ">=", "!=", "<>", "==", "=", "<", ">"} {
		if strings.HasPrefix(s, op) {
			switch op {
			case "<>":
				return "!=", 2
			case "==":
				return "=", 2
			}
			return op, len(op)
		}
	}
	return "", 0
}

// lexString reads a quoted string at q[i]; \\ \" \' \n \t are escapes.
func lexString(q string, i int) (string, int, error) {
	quote := q[i]
	var b strings.Builder
	for j := i + 1; j < len(q); j++ {
		switch c := q[j]; {
		case c == quote:
			if !utf8.ValidString(b.String()) {
				return "", 0, errorAt(q, i, "string holds bytes that are not UTF-8; write the text in UTF-8")
			}
			if strings.IndexByte(b.String(), 0) >= 0 {
				return "", 0, errorAt(q, i, "string holds a NUL character, which no stored text contains; leave it out")
			}
			return b.String(), j + 1 - i, nil
		case c == '\\' && j+1 < len(q):
			j++
			switch q[j] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\', '"', '\'':
				b.WriteByte(q[j])
			default:
				return "", 0, errorAt(q, j-1, "unknown escape \\%c in string; use \\\\ \\\" \\' \\n or \\t", q[j])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errorAt(q, i, "string is not closed; add a closing %c", quote)
}

func lexNumber(q string, i int) (token, error) {
	j := i
	if q[j] == '-' || q[j] == '+' {
		j++
	}
	digits := 0
	for j < len(q) && isDigit(q[j]) {
		j, digits = j+1, digits+1
	}
	if j < len(q) && q[j] == '.' {
		j++
		for j < len(q) && isDigit(q[j]) {
			j, digits = j+1, digits+1
		}
	}
	if digits == 0 {
		return token{}, errorAt(q, i, "expected a number after %q", q[i:j])
	}
	if j < len(q) && (q[j] == 'e' || q[j] == 'E') {
		k := j + 1
		if k < len(q) && (q[k] == '-' || q[k] == '+') {
			k++
		}
		if k >= len(q) || !isDigit(q[k]) {
			return token{}, errorAt(q, i, "number %q has an incomplete exponent; write e.g. 1e-3", q[i:k])
		}
		for k < len(q) && isDigit(q[k]) {
			k++
		}
		j = k
	}
	if j < len(q) && (isIdentStart(q[j]) || q[j] == '.') {
		return token{}, errorAt(q, j, "unexpected %q after number %s; separate it with a space", q[j], q[i:j])
	}
	text := q[i:j]
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) {
		return token{}, errorAt(q, i, "number %s is out of range", text)
	}
	return token{kind: tNumber, pos: i, text: text, num: v}, nil
}

// lexIdent reads segments separated by '.', each bare or quoted.
func lexIdent(q string, i int) (token, error) {
	var segs []segment
	j := i
	for {
		if j < len(q) && (q[j] == '"' || q[j] == '\'' || q[j] == '`') {
			if q[j] == '`' {
				end := strings.IndexByte(q[j+1:], '`')
				if end < 0 {
					return token{}, errorAt(q, j, "quoted name is not closed; add a closing `")
				}
				segs = append(segs, segment{text: q[j+1 : j+1+end], quoted: true})
				j += end + 2
			} else {
				s, n, err := lexString(q, j)
				if err != nil {
					return token{}, err
				}
				segs = append(segs, segment{text: s, quoted: true})
				j += n
			}
		} else {
			k := j
			for k < len(q) && isIdentPart(q[k]) {
				k++
			}
			if k == j {
				return token{}, errorAt(q, j, "expected a name after '.' in %q", q[i:j])
			}
			segs = append(segs, segment{text: q[j:k]})
			j = k
		}
		if j >= len(q) || q[j] != '.' {
			break
		}
		j++
	}
	return token{kind: tIdent, pos: i, text: q[i:j], segs: segs}, nil
}
