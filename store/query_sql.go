package store

import (
	"fmt"
	"strings"
)

// compiled is a query as parameterised SQL: every user value, param key
// and metric key is a bound argument; only whitelisted identifiers and
// fixed fragments are written into the SQL text.
type compiled struct {
	sql  string
	args []any
}

// compileQuery turns a query into a SELECT of runColumns over runs r.
// An empty query selects every run, newest first.
func compileQuery(q string) (*compiled, error) {
	pq, err := parseQuery(q)
	if err != nil {
		return nil, err
	}
	c := &compiled{}
	var b strings.Builder
	b.WriteString("SELECT " + runColumns + " FROM runs r")
	if pq.where != nil {
		b.WriteString(" WHERE ")
		if err := c.expr(&b, q, pq.where); err != nil {
			return nil, err
		}
	}
	b.WriteString(" ORDER BY ")
	for _, o := range pq.order {
		c.orderExpr(&b, o.field)
		if o.desc {
			b.WriteString(" DESC NULLS LAST, ")
		} else {
			b.WriteString(" ASC NULLS LAST, ")
		}
	}
	b.WriteString("r.id DESC")
	if pq.limit >= 0 {
		b.WriteString(" LIMIT ?")
		c.args = append(c.args, pq.limit)
	}
	c.sql = b.String()
	return c, nil
}

func (c *compiled) expr(b *strings.Builder, q string, n exprNode) error {
	switch n := n.(type) {
	case boolNode:
		join := " OR "
		if n.and {
			join = " AND "
		}
		b.WriteByte('(')
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(join)
			}
			if err := c.expr(b, q, k); err != nil {
				return err
			}
		}
		b.WriteByte(')')
	case notNode:
		b.WriteString("(NOT ")
		if err := c.expr(b, q, n.kid); err != nil {
			return err
		}
		b.WriteByte(')')
	case cmpNode:
		return c.cmp(b, q, n)
	}
	return nil
}

// sqlOp maps a query operator to SQL; the operator set is closed.
func sqlOp(op string) string {
	switch op {
	case "like":
		return "LIKE"
	case "not like":
		return "NOT LIKE"
	}
	return op // = != < <= > >= (checked by the lexer)
}

func (c *compiled) cmp(b *strings.Builder, q string, n cmpNode) error {
	f, v, op := n.field, n.val, sqlOp(n.op)
	isLike := strings.HasSuffix(n.op, "like")
	switch f.kind {
	case fieldTag:
		// "!=" and "not like" mean: has no such tag.
		match := map[string]string{"=": "=", "!=": "=", "like": "LIKE", "not like": "LIKE"}[n.op]
		if match == "" {
			return queryErr(q, n.opPos, "tag supports = != like and not like, not %s", n.op)
		}
		if n.op == "!=" || n.op == "not like" {
			b.WriteString("NOT ")
		}
		b.WriteString("EXISTS (SELECT 1 FROM tags t WHERE t.run = r.id AND t.tag " + match + " ?)")
		if v.kind != tString {
			return queryErr(q, v.pos, "tag compares with a quoted string, got %s", v.describe())
		}
		c.args = append(c.args, v.str)
	case fieldParam:
		col := "p.text"
		var arg any = v.str
		if v.kind == tNumber && !isLike {
			col, arg = "p.num", v.num
		}
		b.WriteString("EXISTS (SELECT 1 FROM params p WHERE p.run = r.id AND p.key = ? AND " + col + " " + op + " ?)")
		c.args = append(c.args, f.key, arg)
	case fieldMetric:
		if isLike || v.kind != tNumber {
			return queryErr(q, v.pos, "metrics.%s compares with a number, e.g. < 1e4; got %s %s", f.key, n.op, v.describe())
		}
		b.WriteString("EXISTS (SELECT 1 FROM metric_summary m WHERE m.run = r.id AND m.key = ? AND m." + f.agg + " " + op + " ?)")
		c.args = append(c.args, f.key, v.num)
	case fieldRun:
		arg, err := runArg(q, f, n, isLike)
		if err != nil {
			return err
		}
		b.WriteString("coalesce(" + f.col.sql + " " + op + " ?, 0)")
		c.args = append(c.args, arg)
	}
	return nil
}

// runArg checks a value against a run field's type and normalises it.
func runArg(q string, f fieldRef, n cmpNode, isLike bool) (any, error) {
	v := n.val
	switch f.col.typ {
	case colNum:
		if isLike || v.kind != tNumber {
			return nil, queryErr(q, v.pos, "%s compares with a number, got %s %s", f.text, n.op, v.describe())
		}
		return v.num, nil
	case colStatus:
		if v.kind != tString {
			return nil, queryErr(q, v.pos, "status compares with a quoted status such as \"FINISHED\", got %s", v.describe())
		}
		s := strings.ToUpper(v.str)
		if !isLike && !validStatus(s) {
			return nil, queryErr(q, v.pos, "unknown status %q; expected one of RUNNING, FINISHED, FAILED, INTERRUPTED", v.str)
		}
		return s, nil
	case colTime:
		if v.kind != tString {
			return nil, queryErr(q, v.pos, "%s compares with a quoted time such as \"2025-01-31\" or \"2025-01-31 14:00\", got %s", f.text, v.describe())
		}
		if !isLike {
			return strings.Replace(v.str, " ", "T", 1), nil
		}
		return v.str, nil
	}
	if v.kind != tString {
		return nil, queryErr(q, v.pos, "%s compares with a quoted string, got %s (write %q)", f.text, v.describe(), v.text)
	}
	return v.str, nil
}

func (c *compiled) orderExpr(b *strings.Builder, f fieldRef) {
	switch f.kind {
	case fieldRun:
		b.WriteString(f.col.sql)
	case fieldParam:
		b.WriteString("(SELECT coalesce(p.num, p.text) FROM params p WHERE p.run = r.id AND p.key = ?)")
		c.args = append(c.args, f.key)
	case fieldMetric:
		b.WriteString(fmt.Sprintf("(SELECT m.%s FROM metric_summary m WHERE m.run = r.id AND m.key = ?)", f.agg))
		c.args = append(c.args, f.key)
	}
}
