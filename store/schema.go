package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema steps in order; migrations[i] takes the
// database from user_version i to i+1. Append only: never edit a step
// that has shipped.
var migrations = []string{
	// 1: core tables.
	`CREATE TABLE experiments (
		name    TEXT PRIMARY KEY,
		created TEXT NOT NULL
	);
	CREATE TABLE runs (
		id             INTEGER PRIMARY KEY,
		name           TEXT NOT NULL,
		experiment     TEXT NOT NULL REFERENCES experiments(name),
		status         TEXT NOT NULL CHECK (status IN ('RUNNING','FINISHED','FAILED','INTERRUPTED')),
		started        TEXT NOT NULL,
		ended          TEXT,
		duration       REAL,
		version        TEXT NOT NULL DEFAULT '',
		git_commit     TEXT NOT NULL DEFAULT '',
		host           TEXT NOT NULL DEFAULT '',
		pid            INTEGER NOT NULL DEFAULT 0,
		seed           INTEGER NOT NULL DEFAULT 0,
		weights_sha256 TEXT NOT NULL DEFAULT '',
		params_hash    TEXT NOT NULL DEFAULT '',
		message        TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX runs_experiment ON runs(experiment, params_hash, status);
	CREATE INDEX runs_status ON runs(status);
	CREATE TABLE inputs (
		run    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		role   TEXT NOT NULL,
		path   TEXT NOT NULL,
		sha256 TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (run, role, path)
	) WITHOUT ROWID;
	CREATE TABLE params (
		run  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		key  TEXT NOT NULL,
		text TEXT NOT NULL,
		num  REAL,
		PRIMARY KEY (run, key)
	) WITHOUT ROWID;
	CREATE INDEX params_key ON params(key, num);
	CREATE TABLE metrics (
		run   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		key   TEXT NOT NULL,
		step  INTEGER NOT NULL,
		wall  REAL NOT NULL,
		value REAL,
		PRIMARY KEY (run, key, step)
	) WITHOUT ROWID;
	CREATE TABLE artifacts (
		id      INTEGER PRIMARY KEY,
		run     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		kind    TEXT NOT NULL,
		name    TEXT NOT NULL,
		step    INTEGER NOT NULL,
		path    TEXT NOT NULL UNIQUE,
		sha256  TEXT NOT NULL,
		size    INTEGER NOT NULL,
		created TEXT NOT NULL
	);
	CREATE INDEX artifacts_run ON artifacts(run);
	CREATE TABLE tags (
		run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		tag TEXT NOT NULL,
		PRIMARY KEY (run, tag)
	) WITHOUT ROWID;
	CREATE INDEX tags_tag ON tags(tag);
	CREATE TABLE notes (
		id      INTEGER PRIMARY KEY,
		run     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		created TEXT NOT NULL,
		text    TEXT NOT NULL
	);
	CREATE INDEX notes_run ON notes(run);`,

	// 2: per-run summary of every metric key, kept by a trigger so that
	// any writer (even plain SQL) keeps it right; backfilled from metrics.
	`CREATE TABLE metric_summary (
		run       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		key       TEXT NOT NULL,
		last      REAL,
		last_step INTEGER NOT NULL,
		min       REAL,
		min_step  INTEGER,
		max       REAL,
		count     INTEGER NOT NULL,
		PRIMARY KEY (run, key)
	) WITHOUT ROWID;
	CREATE INDEX metric_summary_key ON metric_summary(key, last);
	CREATE TRIGGER metrics_summarise AFTER INSERT ON metrics BEGIN
		INSERT INTO metric_summary (run, key, last, last_step, min, min_step, max, count)
		VALUES (new.run, new.key, new.value, new.step, new.value,
		        CASE WHEN new.value IS NULL THEN NULL ELSE new.step END, new.value, 1)
		ON CONFLICT (run, key) DO UPDATE SET
			last      = CASE WHEN new.step >= last_step THEN new.value ELSE last END,
			last_step = max(last_step, new.step),
			min       = CASE WHEN min IS NULL OR new.value < min THEN coalesce(new.value, min) ELSE min END,
			min_step  = CASE WHEN new.value IS NOT NULL AND (min IS NULL OR new.value < min) THEN new.step ELSE min_step END,
			max       = CASE WHEN max IS NULL OR new.value > max THEN coalesce(new.value, max) ELSE max END,
			count     = count + 1;
	END;
	INSERT INTO metric_summary (run, key, last, last_step, min, min_step, max, count)
	SELECT m.run, m.key,
		(SELECT value FROM metrics l WHERE l.run = m.run AND l.key = m.key ORDER BY step DESC LIMIT 1),
		max(m.step), min(m.value),
		(SELECT step FROM metrics l WHERE l.run = m.run AND l.key = m.key AND l.value IS NOT NULL ORDER BY value, step LIMIT 1),
		max(m.value), count(*)
	FROM metrics m GROUP BY m.run, m.key;`,

	// 3: liveness of RUNNING runs (process identity and heartbeat) and a
	// one-line-per-run view for the sqlite3 CLI.
	`ALTER TABLE runs ADD COLUMN proc_start TEXT NOT NULL DEFAULT '';
	ALTER TABLE runs ADD COLUMN heartbeat TEXT;
	CREATE VIEW run_overview AS
	SELECT r.id, r.name, r.experiment, r.status, r.started, r.duration,
		(SELECT last FROM metric_summary s WHERE s.run = r.id AND s.key = 'total')   AS total,
		(SELECT last FROM metric_summary s WHERE s.run = r.id AND s.key = 'content') AS content,
		(SELECT last FROM metric_summary s WHERE s.run = r.id AND s.key = 'style')   AS style,
		(SELECT group_concat(tag, ',') FROM tags t WHERE t.run = r.id)               AS tags
	FROM runs r;`,

	// 4: queries look params and metric summaries up by run and key (their
	// primary keys). The indexes by key led SQLite's planner astray: with an
	// "order by", a filter such as params.ratio <= 1e-3 scanned every run's
	// ratio for each run (quadratic: 12 s over 10,000 runs). They served no
	// query, and every logged step paid for metric_summary_key.
	`DROP INDEX params_key;
	DROP INDEX metric_summary_key;`,
}

// SchemaVersion is the schema version this package writes.
const SchemaVersion = 4

// migrate brings the database to version target (normally SchemaVersion),
// one step per transaction. It re-reads the version inside each write
// transaction, so processes opening a new file at once do not collide.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	for {
		done, err := migrateOne(ctx, db, target)
		if err != nil || done {
			return err
		}
	}
}

func migrateOne(ctx context.Context, db *sql.DB, target int) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE via the DSN
	if err != nil {
		return false, fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // rollback after commit is a no-op
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("store: read schema version: %w", err)
	}
	if v > len(migrations) {
		return false, fmt.Errorf("store: database schema version %d is newer than this stylelab understands (%d); upgrade stylelab", v, len(migrations))
	}
	if v >= target {
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("store: migrate schema %d -> %d: %w", v, v+1, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("store: set schema version %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: commit schema %d: %w", v+1, err)
	}
	return v+1 >= target, nil
}
