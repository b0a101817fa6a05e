package query

import (
	"strconv"
	"strings"
)

// check matches a comparison's value with its field and returns the value
// to bind: status in upper case, a time with T between date and time.
func check(q string, n *cmpNode) (any, error) {
	f, v := n.field, n.val
	isLike := strings.HasSuffix(n.op, "like")
	switch f.kind {
	case fieldTag:
		if n.op != "=" && n.op != "!=" && !isLike {
			return nil, errorAt(q, n.opPos, "tag supports = != like and not like, not %s", n.op)
		}
		if v.kind != tString {
			return nil, errorAt(q, v.pos, "tag compares with a quoted string, got %s", v.describe())
		}
		return v.str, nil
	case fieldParam:
		if v.kind == tNumber && !isLike {
			return v.num, nil
		}
		return v.str, nil
	case fieldMetric:
		if isLike || v.kind != tNumber {
			return nil, errorAt(q, v.pos, "metrics.%s compares with a number, e.g. < 1e4; got %s %s", f.key, n.op, v.describe())
		}
		return v.num, nil
	}
	switch f.col.typ {
	case colNum:
		if isLike || v.kind != tNumber {
			return nil, errorAt(q, v.pos, "%s compares with a number, got %s %s", f.text, n.op, v.describe())
		}
		return v.num, nil
	case colStatus:
		if v.kind != tString {
			return nil, errorAt(q, v.pos, "status compares with a quoted status such as \"FINISHED\", got %s", v.describe())
		}
		s := strings.ToUpper(v.str)
		if !isLike && !validStatus(s) {
			return nil, errorAt(q, v.pos, "unknown status %q; expected one of RUNNING, FINISHED, FAILED, INTERRUPTED", v.str)
		}
		return s, nil
	case colTime:
		if v.kind != tString {
			return nil, errorAt(q, v.pos, "%s compares with a quoted time such as \"2025-01-31\" or \"2025-01-31 14:00\", got %s", f.text, v.describe())
		}
		if !isLike {
			return strings.Replace(v.str, " ", "T", 1), nil
		}
		return v.str, nil
	}
	if v.kind != tString {
		return nil, errorAt(q, v.pos, "%s compares with a quoted string, got %s (write %q)", f.text, v.describe(), v.text)
	}
	return v.str, nil
}

// validStatus reports whether s is a status the store records.
func validStatus(s string) bool {
	switch s {
	case "RUNNING", "FINISHED", "FAILED", "INTERRUPTED":
		return true
	}
	return false
}

// SQL compiles the query for dialect d into a SELECT of columns (a list of
// expressions over the runs table, aliased r) and the arguments to bind.
// Every user value, param key and metric key is an argument; only
// whitelisted names and fixed fragments are written into the text. Runs
// come in the query's order, then newest first.
func (q *Query) SQL(d Dialect, columns string) (string, []any) {
	w := &sqlWriter{d: d}
	w.WriteString("SELECT " + columns + " FROM runs r")
	// Params and metrics to order by are joined (at most one row each, by
	// their primary key), so that an engine may join them in bulk rather
	// than look each up per run.
	keys := make([][]string, len(q.order))
	for i, o := range q.order {
		alias := "o" + strconv.Itoa(i+1)
		switch o.field.kind {
		case fieldParam:
			w.WriteString(" LEFT JOIN params " + alias + " ON " + alias + ".run = r.id AND " + alias + ".key = " + w.bind(o.field.key))
			keys[i] = w.d.ParamOrder(alias)
		case fieldMetric:
			w.WriteString(" LEFT JOIN metric_summary " + alias + " ON " + alias + ".run = r.id AND " + alias + ".key = " + w.bind(o.field.key))
			keys[i] = []string{alias + "." + o.field.agg}
		default:
			keys[i] = []string{o.field.col.sql}
		}
	}
	if q.where != nil {
		w.WriteString(" WHERE ")
		w.expr(q.where)
	}
	w.WriteString(" ORDER BY ")
	for i, o := range q.order {
		dir := " ASC NULLS LAST, "
		if o.desc {
			dir = " DESC NULLS LAST, "
		}
		for _, k := range keys[i] {
			w.WriteString(k + dir)
		}
	}
	w.WriteString("r.id DESC")
	if q.limit >= 0 {
		w.WriteString(" LIMIT " + w.bind(q.limit))
	}
	return w.String(), w.args
}

// sqlWriter builds a statement and its arguments in step.
type sqlWriter struct {
	strings.Builder
	d    Dialect
	args []any
}

// bind adds an argument and returns its placeholder.
func (w *sqlWriter) bind(v any) string {
	w.args = append(w.args, v)
	return w.d.Placeholder(len(w.args))
}

func (w *sqlWriter) expr(n exprNode) {
	switch n := n.(type) {
	case boolNode:
		join := " OR "
		if n.and {
			join = " AND "
		}
		w.WriteByte('(')
		for i, k := range n.kids {
			if i > 0 {
				w.WriteString(join)
			}
			w.expr(k)
		}
		w.WriteByte(')')
	case notNode:
		w.WriteString("(NOT ")
		w.expr(n.kid)
		w.WriteByte(')')
	case *cmpNode:
		w.cmp(n)
	}
}

// compare writes left op arg, the argument bound (as a number when it is
// one); the operator set is closed (= != < <= > >= like, not like).
func (w *sqlWriter) compare(left, op string, arg any) string {
	ph := w.bind(arg)
	if _, num := arg.(float64); num {
		ph = w.d.Number(ph)
	}
	switch op {
	case "like":
		return w.d.Like(left, ph)
	case "not like":
		return "NOT " + w.d.Like(left, ph)
	}
	return left + " " + op + " " + ph // checked by the lexer
}

func (w *sqlWriter) cmp(n *cmpNode) {
	f := n.field
	switch f.kind {
	case fieldTag:
		// "!=" and "not like" mean: has no such tag.
		op := "="
		if strings.HasSuffix(n.op, "like") {
			op = "like"
		}
		if n.op == "!=" || n.op == "not like" {
			w.WriteString("NOT ")
		}
		w.WriteString("EXISTS (SELECT 1 FROM tags t WHERE t.run = r.id AND " + w.compare("t.tag", op, n.arg) + ")")
	case fieldParam:
		col := "p.text"
		if _, num := n.arg.(float64); num {
			col = "p.num"
		}
		w.WriteString("EXISTS (SELECT 1 FROM params p WHERE p.run = r.id AND p.key = " + w.bind(f.key) +
			" AND " + w.compare(col, n.op, n.arg) + ")")
	case fieldMetric:
		w.WriteString("EXISTS (SELECT 1 FROM metric_summary m WHERE m.run = r.id AND m.key = " + w.bind(f.key) +
			" AND " + w.compare("m."+f.agg, n.op, n.arg) + ")")
	case fieldRun:
		w.WriteString("coalesce(" + w.compare(f.col.sql, n.op, n.arg) + ", FALSE)")
	}
}
