package query

// A Dialect writes the parts of the SQL that differ between engines; the
// rest is standard SQL over the store's tables. (A PostgreSQL dialect will
// also have to order by a parameter that holds numbers in some runs and
// text in others, which SQLite's coalesce(p.num, p.text) does.)
type Dialect interface {
	// Placeholder marks the n-th bound argument, counting from 1: ? or $n.
	Placeholder(n int) string
	// Like is the case-insensitive pattern match operator: LIKE or ILIKE.
	Like() string
}

// SQLite is the dialect of the store's SQLite database.
type SQLite struct{}

// Placeholder is "?": SQLite numbers arguments by their order.
func (SQLite) Placeholder(int) string { return "?" }

// Like is LIKE, which ignores ASCII case in SQLite.
func (SQLite) Like() string { return "LIKE" }
