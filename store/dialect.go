package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"github.com/stylelab/stylelab/store/query"
)

// backend is what differs between the engines a Store runs on: the
// statements are written once, with ? placeholders, and a backend rewrites
// them and supplies the few fragments that differ.
type backend interface {
	// name is "sqlite" or "postgres".
	name() string
	// query is the query language's dialect.
	query() query.Dialect
	// rebind rewrites ? placeholders for the engine.
	rebind(q string) string
	// idList is a subquery of the ids in a JSON array argument (one ?).
	idList() string
	// serialWrites is true where one process must write one transaction
	// at a time (SQLite: a second writer would only wait on the lock).
	serialWrites() bool
	// migrations are the schema steps; steps[i] takes version i to i+1.
	migrations() []string
	// lockSchema, version and setVersion read and write the schema
	// version inside a migration's transaction, which lockSchema makes
	// the only one.
	lockSchema(ctx context.Context, tx *sql.Tx) error
	version(ctx context.Context, tx *sql.Tx) (int, error)
	setVersion(ctx context.Context, tx *sql.Tx, v int) error
	// lockPoint makes the transaction the only one that may claim the
	// point (experiment, identity) until it ends.
	lockPoint(ctx context.Context, tx *sql.Tx, experiment, identity string) error
	// violation says which constraint an insert broke: "unique",
	// "foreign key" or "".
	violation(err error) string
}

// rebindDollar rewrites ? as $1, $2, ... outside quoted text.
func rebindDollar(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

type sqliteBackend struct{}

func (sqliteBackend) name() string           { return "sqlite" }
func (sqliteBackend) query() query.Dialect   { return query.SQLite{} }
func (sqliteBackend) rebind(q string) string { return q }
func (sqliteBackend) idList() string         { return "SELECT value FROM json_each(?)" }
func (sqliteBackend) serialWrites() bool     { return true }
func (sqliteBackend) migrations() []string   { return sqliteMigrations }

// lockSchema is a no-op: the transaction began IMMEDIATE (see dsn), so it
// already holds SQLite's write lock.
func (sqliteBackend) lockSchema(context.Context, *sql.Tx) error { return nil }

func (sqliteBackend) version(ctx context.Context, tx *sql.Tx) (v int, err error) {
	err = tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

func (sqliteBackend) setVersion(ctx context.Context, tx *sql.Tx, v int) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
	return err
}

// lockPoint is a no-op: SQLite has one writer at a time, and a write
// transaction here begins IMMEDIATE, holding the lock from its start.
func (sqliteBackend) lockPoint(context.Context, *sql.Tx, string, string) error { return nil }

func (sqliteBackend) violation(err error) string {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return ""
	}
	switch se.ExtendedCode {
	case sqlite3.ErrConstraintPrimaryKey, sqlite3.ErrConstraintUnique:
		return "unique"
	case sqlite3.ErrConstraintForeignKey:
		return "foreign key"
	}
	return ""
}

type postgresBackend struct{}

func (postgresBackend) name() string           { return "postgres" }
func (postgresBackend) query() query.Dialect   { return query.Postgres{} }
func (postgresBackend) rebind(q string) string { return rebindDollar(q) }
func (postgresBackend) idList() string {
	return "SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(? AS JSON))"
}
func (postgresBackend) serialWrites() bool   { return false }
func (postgresBackend) migrations() []string { return postgresMigrations }

// Advisory lock keys: the schema's is fixed; a point's is a hash of its
// experiment and identity (a collision only serialises two claims).
const schemaLockKey = 0x5354594c454c4142 // "STYLELAB"

func (postgresBackend) lockSchema(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLockKey)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS stylelab_schema (version INTEGER NOT NULL);
		INSERT INTO stylelab_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM stylelab_schema)`)
	return err
}

func (postgresBackend) version(ctx context.Context, tx *sql.Tx) (v int, err error) {
	err = tx.QueryRowContext(ctx, "SELECT version FROM stylelab_schema").Scan(&v)
	return v, err
}

func (postgresBackend) setVersion(ctx context.Context, tx *sql.Tx, v int) error {
	_, err := tx.ExecContext(ctx, "UPDATE stylelab_schema SET version = $1", v)
	return err
}

func (postgresBackend) lockPoint(ctx context.Context, tx *sql.Tx, experiment, identity string) error {
	h := sha256.Sum256([]byte(experiment + "\x00" + identity))
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(binary.BigEndian.Uint64(h[:8])))
	return err
}

func (postgresBackend) violation(err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return ""
	}
	switch pe.Code {
	case "23505":
		return "unique"
	case "23503":
		return "foreign key"
	}
	return ""
}
