package query

import (
	"strings"
)

// Limits that keep every accepted query inside SQLite's expression depth.
const (
	maxTerms = 100 // comparisons in one query
	maxDepth = 40  // nested parentheses and nots
)

type exprNode interface{ isExpr() }

type boolNode struct {
	and  bool // false: or
	kids []exprNode
}

type notNode struct{ kid exprNode }

type cmpNode struct {
	field fieldRef
	op    string // = != < <= > >= like "not like"
	opPos int
	val   token // tNumber or tString
	arg   any   // the value to bind, checked against the field (see check)
}

func (boolNode) isExpr() {}
func (notNode) isExpr()  {}
func (*cmpNode) isExpr() {}

type orderTerm struct {
	field fieldRef
	desc  bool
}

// Query is a parsed query: which runs, in which order, how many.
type Query struct {
	text  string
	where exprNode // nil: all runs
	order []orderTerm
	limit int // -1: none
}

// String returns the query's text.
func (q *Query) String() string { return q.text }

// Ordered reports whether the query has an order by clause; without one,
// runs come newest first.
func (q *Query) Ordered() bool { return len(q.order) > 0 }

type parser struct {
	q       string
	toks    []token
	i       int
	terms   int
	typeErr error // the first comparison of mismatched types
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// Parse reads a query; an empty one selects every run. A mistake is an
// *Error. Syntax is checked before types, so a misspelt keyword is
// reported before a comparison of mismatched types earlier in the query.
func Parse(q string) (*Query, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{q: q, toks: toks}
	pq := &Query{text: q, limit: -1}
	if t := p.peek(); t.kind != tEOF && !t.keyword("order") && !t.keyword("limit") {
		if pq.where, err = p.parseOr(0); err != nil {
			return nil, err
		}
	}
	if p.peek().keyword("order") {
		if pq.order, err = p.parseOrder(); err != nil {
			return nil, err
		}
	}
	if p.peek().keyword("limit") {
		p.next()
		t := p.next()
		if t.kind != tNumber || t.num != float64(int(t.num)) || t.num < 0 || t.num > 1e9 {
			return nil, errorAt(q, t.pos, "expected a whole number of runs after limit, got %s", t.describe())
		}
		pq.limit = int(t.num)
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errorAt(q, t.pos, "unexpected %s; expected and, or, order by, limit or the end of the query", t.describe())
	}
	if p.typeErr != nil {
		return nil, p.typeErr
	}
	return pq, nil
}

func (p *parser) parseOr(depth int) (exprNode, error) {
	return p.parseBool(depth, false)
}

// parseBool parses kids joined by and (and=true) or or (and=false).
func (p *parser) parseBool(depth int, and bool) (exprNode, error) {
	word, sub := "or", func() (exprNode, error) { return p.parseBool(depth, true) }
	if and {
		word, sub = "and", func() (exprNode, error) { return p.parseNot(depth) }
	}
	first, err := sub()
	if err != nil {
		return nil, err
	}
	kids := []exprNode{first}
	for p.peek().keyword(word) {
		p.next()
		k, err := sub()
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return boolNode{and: and, kids: kids}, nil
}

func (p *parser) parseNot(depth int) (exprNode, error) {
	t := p.peek()
	if depth > maxDepth {
		return nil, errorAt(p.q, t.pos, "query nests deeper than %d parentheses or nots; simplify it", maxDepth)
	}
	if t.keyword("not") {
		p.next()
		k, err := p.parseNot(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{kid: k}, nil
	}
	if t.kind == tLParen {
		p.next()
		e, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, errorAt(p.q, c.pos, "expected ) to close the ( at column %d, got %s", errorAt(p.q, t.pos, "").Column, c.describe())
		}
		return e, nil
	}
	return p.parseCmp()
}

// field reads a field name; want says what was expected, for the error.
func (p *parser) field(want string) (token, fieldRef, error) {
	t := p.next()
	if t.kind != tIdent || isReserved(t) {
		return t, fieldRef{}, errorAt(p.q, t.pos, "expected %s, got %s", want, t.describe())
	}
	f, err := resolveField(p.q, t)
	return t, f, err
}

func (p *parser) parseCmp() (exprNode, error) {
	t, f, err := p.field("a field (a run field such as status, params.KEY, metrics.KEY or tag)")
	if err != nil {
		return nil, err
	}
	p.terms++
	if p.terms > maxTerms {
		return nil, errorAt(p.q, t.pos, "query has more than %d comparisons; split it into several queries", maxTerms)
	}
	opTok := p.next()
	op := opTok.text
	switch {
	case opTok.kind == tOp:
	case opTok.keyword("like"):
		op = "like"
	case opTok.keyword("not") && p.peek().keyword("like"):
		p.next()
		op = "not like"
	default:
		return nil, errorAt(p.q, opTok.pos, "expected a comparison (= != < <= > >= like) after %s, got %s", t.text, opTok.describe())
	}
	v := p.next()
	if v.kind != tNumber && v.kind != tString {
		hint := ""
		if v.kind == tIdent {
			hint = " (quote text values: \"" + v.text + "\")"
		}
		return nil, errorAt(p.q, v.pos, "expected a number or a quoted string after %s, got %s%s", op, v.describe(), hint)
	}
	if strings.HasSuffix(op, "like") && v.kind != tString {
		return nil, errorAt(p.q, v.pos, "like needs a quoted pattern such as \"conv%%\", got %s", v.describe())
	}
	n := &cmpNode{field: f, op: op, opPos: opTok.pos, val: v}
	if n.arg, err = check(p.q, n); err != nil && p.typeErr == nil {
		p.typeErr = err
	}
	return n, nil
}

func (p *parser) parseOrder() ([]orderTerm, error) {
	p.next() // order
	if b := p.next(); !b.keyword("by") {
		return nil, errorAt(p.q, b.pos, "expected by after order, got %s", b.describe())
	}
	var terms []orderTerm
	for {
		t, f, err := p.field("a field to order by")
		if err != nil {
			return nil, err
		}
		if f.kind == fieldTag {
			return nil, errorAt(p.q, t.pos, "cannot order by tag; order by a run field, params.KEY or metrics.KEY")
		}
		ot := orderTerm{field: f}
		if d := p.peek(); d.keyword("asc") || d.keyword("desc") {
			p.next()
			ot.desc = d.keyword("desc")
		}
		terms = append(terms, ot)
		if len(terms) > maxTerms {
			return nil, errorAt(p.q, t.pos, "too many order by fields (more than %d)", maxTerms)
		}
		if p.peek().kind != tComma {
			return terms, nil
		}
		p.next()
	}
}

func isReserved(t token) bool {
	for _, w := range []string{"and", "or", "not", "like", "order", "by", "asc", "desc", "limit"} {
		if t.keyword(w) {
			return true
		}
	}
	return false
}

// Limited reports whether the query has a limit.
func (q *Query) Limited() bool { return q.limit >= 0 }
