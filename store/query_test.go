package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/store/query"
)

func names(runs []RunSummary) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.Name)
	}
	return out
}

func TestQueryFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
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
	})
}

// TestQueryErrors checks that a mistake in a query reaches the caller as
// a *query.Error under the store's prefix, caret and all, from every
// method that takes a query.
func TestQueryErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		ctx := context.Background()
		const bad = "status = \"FAILED\"\nand foo = 1"
		const want = "store: query: unknown field \"foo\"; expected a run field"
		const caret = "(at line 2, column 5)\n  and foo = 1\n      ^"
		_, runsErr := s.Runs(ctx, bad)
		for name, err := range map[string]error{
			"Runs":       runsErr,
			"ExportCSV":  s.ExportCSV(ctx, io.Discard, bad),
			"ExportJSON": s.ExportJSON(ctx, io.Discard, bad),
		} {
			var qe *query.Error
			if !errors.As(err, &qe) || qe.Line != 2 || qe.Column != 5 {
				t.Errorf("%s: error %v, want a *query.Error at line 2, column 5", name, err)
				continue
			}
			if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), caret) {
				t.Errorf("%s: error text\n%s\nwant it to start with %q and end with\n%s", name, err, want, caret)
			}
		}
	})
}

// TestQueryStatuses checks that the query language knows every status the
// store records, and no other.
func TestQueryStatuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		for _, st := range []Status{StatusRunning, StatusFinished, StatusFailed, StatusInterrupted} {
			if _, err := s.Runs(context.Background(), fmt.Sprintf("status = %q", st)); err != nil {
				t.Errorf("status %s: %v", st, err)
			}
		}
		if _, err := s.Runs(context.Background(), `status = "PAUSED"`); err == nil {
			t.Error("status PAUSED accepted")
		}
	})
}
