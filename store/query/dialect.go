package query

import "strconv"

// A Dialect writes the parts of the SQL that differ between engines; the
// rest is standard SQL over the store's tables. Both dialects give a query
// the same meaning: patterns ignore the case of ASCII letters only and have
// no escape character, numbers compare as numbers, and a parameter that is
// a number in some runs and text in others orders numbers first.
type Dialect interface {
	// Placeholder marks the n-th bound argument, counting from 1: ? or $n.
	Placeholder(n int) string
	// Like matches text against pattern (SQL expressions) with % and _,
	// ignoring the case of ASCII letters, with no escape character.
	Like(text, pattern string) string
	// Number is a bound argument (its placeholder) compared as a number.
	Number(arg string) string
	// ParamOrder are the sort keys of the parameter row named alias, each
	// to be sorted in the term's direction with NULLS LAST: numbers before
	// text ascending (text first descending), equal numbers tying, a
	// missing parameter last either way.
	ParamOrder(alias string) []string
}

// SQLite is the dialect of the store's SQLite database.
type SQLite struct{}

// Placeholder is "?": SQLite numbers arguments by their order.
func (SQLite) Placeholder(int) string { return "?" }

// Like is LIKE, which ignores ASCII case in SQLite and has no escape
// character unless one is named.
func (SQLite) Like(text, pattern string) string { return text + " LIKE " + pattern }

// Number is the argument itself: SQLite compares a REAL argument with any
// numeric column by value.
func (SQLite) Number(arg string) string { return arg }

// ParamOrder is coalesce(num, text): SQLite orders numbers before text.
func (SQLite) ParamOrder(alias string) []string {
	return []string{"coalesce(" + alias + ".num, " + alias + ".text)"}
}

// Postgres is the dialect of a PostgreSQL store.
type Postgres struct{}

// Placeholder is $n.
func (Postgres) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// Like is ILIKE under the "C" collation, which folds A-Z only, as SQLite's
// LIKE does (under another locale ILIKE would fold every letter), with
// LIKE's default escape character (a backslash in PostgreSQL, none in
// SQLite) turned off.
func (Postgres) Like(text, pattern string) string {
	return "(" + text + ` COLLATE "C") ILIKE (` + pattern + ` COLLATE "C") ESCAPE ''`
}

// Number casts the argument to double precision, so that 1.5 compares
// with an integer column instead of failing to convert.
func (Postgres) Number(arg string) string { return "CAST(" + arg + " AS DOUBLE PRECISION)" }

// ParamOrder is whether the param is text (NULL when it is missing), then
// its number, then its text: the order of SQLite's coalesce(num, text), as
// scalars, which sort far faster than a row.
func (Postgres) ParamOrder(alias string) []string {
	return []string{
		"CASE WHEN " + alias + ".key IS NOT NULL THEN " + alias + ".num IS NULL END",
		alias + ".num",
		"CASE WHEN " + alias + ".num IS NULL THEN " + alias + ".text END",
	}
}
