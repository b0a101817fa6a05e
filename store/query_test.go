package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func names(runs []RunSummary) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.Name)
	}
	return out
}

func TestQueryFilters(t *testing.T) {
	s := openTemp(t)
	loadFixture(t, s)
	tests := []struct {
		query string
		want  []string // in result order; default order is newest first
	}{
		{``, []string{"f", "e", "d", "c", "b", "a"}},
		{`params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1" and metrics.style < 1e4 order by metrics.style`, []string{"b", "a"}},
		{`params.ratio = 0.001`, []string{"d", "a"}},
		{`params.ratio = "1e-3"`, []string{"a"}},
		{`params.ratio = 'abc'`, []string{"f"}},
		{`params.ratio like "1e%"`, []string{"c", "b", "a"}},
		{`params.ratio != 1e-3`, []string{"c", "b"}},
		{`not params.ratio = 1e-3`, []string{"f", "e", "c", "b"}},
		{`params.lr = 2`, []string{"c", "b"}},
		{`params.missing = 1`, []string{}},
		{`not params.missing = 1`, []string{"f", "e", "d", "c", "b", "a"}},
		{`params."my key" = "x y"`, []string{"d"}},
		{`params.a.b = "dot" and params."a.b" = 'dot'`, []string{"d"}},
		{`status = "finished"`, []string{"d", "b", "a"}},
		{`status != "FINISHED"`, []string{"f", "e", "c"}},
		{`status = "FAILED" or tag = "best"`, []string{"c", "b"}},
		{`STATUS = "FAILED" OR TAG = "best" ORDER BY ID ASC`, []string{"b", "c"}},
		{`tag = "fig3"`, []string{"b", "a"}},
		{`tag != "fig3"`, []string{"f", "e", "d", "c"}},
		{`not tag = "fig3"`, []string{"f", "e", "d", "c"}},
		{`not not tag = "fig3"`, []string{"b", "a"}},
		{`tags like "b%"`, []string{"b"}},
		{`tag not like "fig%"`, []string{"f", "e", "d", "c"}},
		{`metrics.style > 1e4`, []string{"c"}},
		{`metric.style < 1e4`, []string{"d", "b", "a"}},
		{`metrics.style.min < 1.5e3`, []string{"d"}},
		{`metrics.style.max >= 9e3`, []string{"d", "c"}},
		{`metrics.style.last = 9e3`, []string{"d"}},
		{`metrics.style/conv1_1 < 0.5`, []string{"a"}},
		{`metrics.style/conv1_1.min < 0.5 and metrics.style/conv1_1.max > 0.8`, []string{"a"}},
		{`metrics.total < 1e9`, []string{"d", "c", "b", "a"}}, // f's last total is NaN
		{`metrics.total.min = 7e5`, []string{"f"}},
		{`experiment = "ablation" and not (status = "RUNNING")`, []string{"f", "d"}},
		{`name like "%"`, []string{"f", "e", "d", "c", "b", "a"}},
		{`id >= 3 and id < 5`, []string{"d", "c"}},
		{`message like "%memory%"`, []string{"c"}},
		{`error = "stopped"`, []string{"f"}},
		{`seed = 7`, []string{"a"}},
		{`experiment = "sweep" order by params.ratio desc`, []string{"c", "a", "b"}},
		{`experiment = "sweep" order by metrics.total asc limit 2`, []string{"b", "a"}},
		{`order by metrics.style desc`, []string{"c", "d", "a", "b", "f", "e"}}, // runs without style last
		{`order by params.lr desc, id asc`, []string{"b", "c", "a", "d", "e", "f"}},
		{`order by id asc limit 3`, []string{"a", "b", "c"}},
		{`limit 0`, []string{}},
		{`(params.ratio < 1e-3 or params.ratio > 1e-3) and experiment = "sweep"`, []string{"c", "b"}},
		{`started > "2000-01-01 00:00" and started < "2999-01-01"`, []string{"f", "e", "d", "c", "b", "a"}},
		{`duration >= 0`, []string{"f", "d", "c", "b", "a"}},
		{`not duration >= 0`, []string{"e"}},
		{`ended like "2%"`, []string{"f", "d", "c", "b", "a"}},
		{"experiment = \"sweep\"\n  and tag = \"best\"", []string{"b"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			runs, err := s.Runs(context.Background(), tc.query)
			if err != nil {
				t.Fatalf("Runs(%q): %v", tc.query, err)
			}
			if got := names(runs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Runs(%q) = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	s := openTemp(t)
	deep := strings.Repeat("(", maxQueryDepth+2) + `id = 1` + strings.Repeat(")", maxQueryDepth+2)
	many := strings.TrimSuffix(strings.Repeat("id = 1 or ", maxQueryTerms+1), " or ")
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
		{`(status = "FAILED"`, "expected ) to close the ( at column 1", 1, 19},
		{`status = "FAILED" order metrics.style`, "expected by after order", 1, 25},
		{`limit 1.5`, "expected a whole number of runs after limit", 1, 7},
		{`limit -1`, "expected a whole number of runs after limit", 1, 7},
		{`status = "done"`, `unknown status "done"`, 1, 10},
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
		{deep, "nests deeper than", 1, maxQueryDepth + 2},
		{many, "more than 100 comparisons", 1, 1 + 10*maxQueryTerms},
		{`params.x = 1 and 名 = 2`, "unexpected character '名'", 1, 18},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			_, err := s.Runs(context.Background(), tc.query)
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("Runs(%q) error = %v, want a *QueryError", tc.query, err)
			}
			if !strings.Contains(qe.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", qe.Msg, tc.msg)
			}
			if qe.Line != tc.line || qe.Column != tc.col {
				t.Errorf("position = line %d column %d, want line %d column %d", qe.Line, qe.Column, tc.line, tc.col)
			}
			lines := strings.Split(tc.query, "\n")
			caret := fmt.Sprintf("\n  %s\n  %s^", lines[tc.line-1], strings.Repeat(" ", tc.col-1))
			if !strings.HasPrefix(err.Error(), "store: query: ") || !strings.HasSuffix(err.Error(), caret) {
				t.Errorf("error text does not end with the caret line:\n%s\nwant suffix:%s", err, caret)
			}
		})
	}
}

// TestQueryBindsValues checks that user text reaches SQL only as bound
// arguments: hostile strings neither break nor change the statement.
func TestQueryBindsValues(t *testing.T) {
	s := openTemp(t)
	loadFixture(t, s)
	hostile := `x' OR 1=1; DROP TABLE runs; --`
	for _, q := range []string{
		`name = "` + hostile + `"`,
		`params."` + hostile + `" = 1`,
		`metrics."` + hostile + `" < 1 order by params."` + hostile + `"`,
		`tag like "` + hostile + `"`,
	} {
		c, err := compileQuery(q)
		if err != nil {
			t.Fatalf("compile %q: %v", q, err)
		}
		if strings.Contains(c.sql, "DROP") || strings.Contains(c.sql, "'x'") {
			t.Errorf("user text leaked into SQL: %s", c.sql)
		}
		if n := strings.Count(c.sql, "?"); n != len(c.args) {
			t.Errorf("%d placeholders, %d args in %s", n, len(c.args), c.sql)
		}
		runs, err := s.Runs(context.Background(), q)
		if err != nil || len(runs) != 0 {
			t.Errorf("Runs(%q) = %v, %v; want no runs, no error", q, names(runs), err)
		}
	}
	if all, err := s.Runs(context.Background(), ""); err != nil || len(all) != 6 {
		t.Fatalf("runs table damaged: %d runs, %v", len(all), err)
	}
}
