package query

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("(", maxDepth+2) + `id = 1` + strings.Repeat(")", maxDepth+2)
	many := strings.TrimSuffix(strings.Repeat("id = 1 or ", maxTerms+1), " or ")
	tests := []struct {
		query     string
		msg       string
		line, col int
	}{
		{`params.ratio <= `, "expected a number or a quoted string after <=, got end of query", 1, 17},
		{`foo = 1`, `unknown field "foo"`, 1, 1},
		{`status = FINISHED`, `quote text values: "FINISHED"`, 1, 10},
		{`metrics.style < "x"`, "metrics.style compares with a number", 1, 17},
		{`tag < "x"`, "tag supports = != like and not like", 1, 5},
		{`tag = 3`, "tag compares with a quoted string", 1, 7},
		{`(status = "FAILED"`, "expected ) to close the ( at column 1", 1, 19},
		{`status = "FAILED" order metrics.style`, "expected by after order", 1, 25},
		{`limit 1.5`, "expected a whole number of runs after limit", 1, 7},
		{`limit -1`, "expected a whole number of runs after limit", 1, 7},
		{`status = "done"`, `unknown status "done"`, 1, 10},
		{"tag = \"\xff\"", "string holds bytes that are not UTF-8", 1, 7},
		{"params.\"\xfe\" = 1", "string holds bytes that are not UTF-8", 1, 8},
		{"name = 'a\x00'", "string holds a NUL character", 1, 8},
		{`params.x = "abc`, "string is not closed", 1, 12},
		{`params.x = 1e`, "incomplete exponent", 1, 12},
		{`params.x = 1e999`, "out of range", 1, 12},
		{`params.x = 12abc`, "separate it with a space", 1, 14},
		{`params.x # 1`, "unexpected character '#'", 1, 10},
		{`params.x ! 1`, "expected a comparison", 1, 10},
		{`status = "FAILED" extra`, `unexpected "extra"; expected and, or, order by, limit`, 1, 19},
		{`order by tag`, "cannot order by tag", 1, 10},
		{`order by`, "expected a field to order by", 1, 9},
		{`id = "3"`, "id compares with a number", 1, 6},
		{`name = 3`, "name compares with a quoted string", 1, 8},
		{`started > 5`, "started compares with a quoted time", 1, 11},
		{`params. = 1`, "expected a name after '.'", 1, 8},
		{`params.x like 3`, "like needs a quoted pattern", 1, 15},
		{`and = 1`, "expected a field", 1, 1},
		{`status = "x" and`, "expected a field", 1, 17},
		{`params.x = "a\q"`, `unknown escape \q`, 1, 14},
		{"status = \"FAILED\"\nand foo = 1", `unknown field "foo"`, 2, 5},
		{deep, "nests deeper than", 1, maxDepth + 2},
		{many, "more than 100 comparisons", 1, 1 + 10*maxTerms},
		{`params.x = 1 and 名 = 2`, "unexpected character '名'", 1, 18},
		// Syntax before types: the misspelt keyword, not the earlier type mismatch.
		{`id = "3" and name = "a" oder by id`, `unexpected "oder"`, 1, 25},
		// Types in query order: the first mismatch.
		{`id = "3" and name = 4`, "id compares with a number", 1, 6},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(tc.query)
			var qe *Error
			if !errors.As(err, &qe) || q != nil {
				t.Fatalf("Parse(%q) = %v, %v; want a *Error", tc.query, q, err)
			}
			if !strings.Contains(qe.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", qe.Msg, tc.msg)
			}
			if qe.Line != tc.line || qe.Column != tc.col {
				t.Errorf("position = line %d column %d, want line %d column %d", qe.Line, qe.Column, tc.line, tc.col)
			}
			lines := strings.Split(tc.query, "\n")
			caret := fmt.Sprintf("\n  %s\n  %s^", lines[tc.line-1], strings.Repeat(" ", tc.col-1))
			if !strings.HasPrefix(err.Error(), "query: ") || !strings.HasSuffix(err.Error(), caret) {
				t.Errorf("error text does not end with the caret line:\n%s\nwant suffix:%s", err, caret)
			}
		})
	}
}

// TestErrorCaret checks where the caret goes: under the token, with tabs
// kept so that it lines up in a terminal, and the line named when the
// query has several.
func TestErrorCaret(t *testing.T) {
	tests := []struct{ query, want string }{
		{`foo = 1`, "(at column 1)\n  foo = 1\n  ^"},
		{"id = 1 and\tfoo = 2", "(at column 12)\n  id = 1 and\tfoo = 2\n  " + strings.Repeat(" ", 10) + "\t^"},
		{"id = 1\n  and foo = 2", "(at line 2, column 7)\n    and foo = 2\n        ^"},
		{`name = "名前" and x = 1`, "(at column 17)\n  name = \"名前\" and x = 1\n  " + strings.Repeat(" ", 16) + "^"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.query)
		if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error:\n%v\nwant it to end with:\n%s", tc.query, err, tc.want)
		}
	}
}

// TestSQL pins the statement and arguments each kind of comparison
// compiles to.
func TestSQL(t *testing.T) {
	const sel = "SELECT r.id FROM runs r"
	tests := []struct {
		query string
		sql   string
		args  []any
	}{
		{``, sel + " ORDER BY r.id DESC", nil},
		{`params.ratio <= 1e-3`, sel + " WHERE EXISTS (SELECT 1 FROM params p WHERE p.run = r.id AND p.key = ? AND p.num <= ?) ORDER BY r.id DESC",
			[]any{"ratio", 1e-3}},
		{`params.ratio = "1e-3"`, sel + " WHERE EXISTS (SELECT 1 FROM params p WHERE p.run = r.id AND p.key = ? AND p.text = ?) ORDER BY r.id DESC",
			[]any{"ratio", "1e-3"}},
		{`param."a.b" not like "x%"`, sel + " WHERE EXISTS (SELECT 1 FROM params p WHERE p.run = r.id AND p.key = ? AND NOT p.text LIKE ?) ORDER BY r.id DESC",
			[]any{"a.b", "x%"}},
		{`metrics.style/conv1_1.min < 0.5`, sel + " WHERE EXISTS (SELECT 1 FROM metric_summary m WHERE m.run = r.id AND m.key = ? AND m.min < ?) ORDER BY r.id DESC",
			[]any{"style/conv1_1", 0.5}},
		{`tag != "fig3"`, sel + " WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.run = r.id AND t.tag = ?) ORDER BY r.id DESC",
			[]any{"fig3"}},
		{`status = "failed" or not started >= "2025-01-31 14:00"`, sel + " WHERE (coalesce(r.status = ?, FALSE) OR (NOT coalesce(r.started >= ?, FALSE))) ORDER BY r.id DESC",
			[]any{"FAILED", "2025-01-31T14:00"}},
		{`commit like "ab%" order by params.lr desc, metrics.total.max limit 3`,
			sel + " LEFT JOIN params o1 ON o1.run = r.id AND o1.key = ? LEFT JOIN metric_summary o2 ON o2.run = r.id AND o2.key = ?" +
				" WHERE coalesce(r.git_commit LIKE ?, FALSE) ORDER BY coalesce(o1.num, o1.text) DESC NULLS LAST, o2.max ASC NULLS LAST, r.id DESC LIMIT ?",
			[]any{"lr", "total", "ab%", 3}},
	}
	for _, tc := range tests {
		q, err := Parse(tc.query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.query, err)
		}
		sql, args := q.SQL(SQLite{}, "r.id")
		if sql != tc.sql || !reflect.DeepEqual(args, tc.args) {
			t.Errorf("%q compiles to\n%s %#v\nwant\n%s %#v", tc.query, sql, args, tc.sql, tc.args)
		}
		if q.String() != tc.query || q.Ordered() != strings.Contains(tc.query, "order by") {
			t.Errorf("%q: String %q, Ordered %v", tc.query, q.String(), q.Ordered())
		}
	}
}

// TestPostgres checks PostgreSQL's SQL: placeholders numbered in the order
// of the arguments, numbers cast, patterns folding ASCII case only (the C
// collation) with no escape character, and parameters ordered numbers
// first, a missing one last.
func TestPostgres(t *testing.T) {
	q, err := Parse(`params.x = 1 and tag like "a%" and name not like "b%" order by metrics.style, params.x desc limit 2`)
	if err != nil {
		t.Fatal(err)
	}
	sql, args := q.SQL(Postgres{}, "r.id")
	like := func(text, pattern string) string {
		return "(" + text + ` COLLATE "C") ILIKE (` + pattern + ` COLLATE "C") ESCAPE ''`
	}
	want := "SELECT r.id FROM runs r LEFT JOIN metric_summary o1 ON o1.run = r.id AND o1.key = $1 LEFT JOIN params o2 ON o2.run = r.id AND o2.key = $2 " +
		"WHERE (EXISTS (SELECT 1 FROM params p WHERE p.run = r.id AND p.key = $3 AND p.num = CAST($4 AS DOUBLE PRECISION)) AND " +
		"EXISTS (SELECT 1 FROM tags t WHERE t.run = r.id AND " + like("t.tag", "$5") + ") AND " +
		"coalesce(NOT " + like("r.name", "$6") + ", FALSE)) " +
		"ORDER BY o1.last ASC NULLS LAST, CASE WHEN o2.key IS NOT NULL THEN o2.num IS NULL END DESC NULLS LAST, o2.num DESC NULLS LAST, " +
		"CASE WHEN o2.num IS NULL THEN o2.text END DESC NULLS LAST, " +
		"r.id DESC LIMIT $7"
	if sql != want || !reflect.DeepEqual(args, []any{"style", "x", "x", 1.0, "a%", "b%", 2}) {
		t.Errorf("got\n%s %#v\nwant\n%s", sql, args, want)
	}
}
