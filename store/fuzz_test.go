package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzQuery checks that no query panics, that every rejected query gets a
// positioned *QueryError, and that every accepted query runs without an
// SQL error against a real database. The committed corpus in
// testdata/fuzz/FuzzQuery runs as a normal test.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{
		``,
		`params.ratio <= 1e-3 and params.style_layers = "conv1_1,conv2_1" and metrics.style < 1e4 order by metrics.style`,
		`tag = "fig3" or not (status = "FAILED")`,
		`metrics.style/conv1_1.min < 0.5 order by started desc limit 3`,
	} {
		f.Add(q)
	}
	s := openTemp(f)
	loadFixture(f, s)
	f.Fuzz(func(t *testing.T, q string) {
		runs, err := s.Runs(context.Background(), q)
		if err == nil {
			if c, cerr := compileQuery(q); cerr != nil || strings.Count(c.sql, "?") != len(c.args) {
				t.Fatalf("query %q ran but compiles to %v (%v)", q, c, cerr)
			}
			if len(runs) > 6 {
				t.Fatalf("query %q returned %d runs from 6", q, len(runs))
			}
			return
		}
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Fatalf("query %q parsed but failed to execute: %v", q, err)
		}
		if qe.Offset < 0 || qe.Offset > len(q) || qe.Line < 1 || qe.Column < 1 || qe.Column > utf8.RuneCountInString(q)+1 || qe.Msg == "" {
			t.Fatalf("query %q: bad error position %+v", q, qe)
		}
		if !strings.Contains(err.Error(), "^") {
			t.Fatalf("query %q: error without caret: %v", q, err)
		}
	})
}
