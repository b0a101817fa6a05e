package store

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens a store in a PostgreSQL database, whose artifacts are
// files in opts.Artifacts named by their sha256.
//
// Sessions run with synchronous_commit off unless the URL says otherwise
// (?synchronous_commit=on): a step is on the server once LogStep returns,
// so it survives the death of the process that logged it, and only a crash
// of the database server itself can lose the last fraction of a second of
// steps, as only a power loss can for SQLite in WAL mode.
func openPostgres(ctx context.Context, location string, opts Options) (*Store, error) {
	shown := redact(location)
	cfg, err := pgx.ParseConfig(location)
	if err != nil {
		return nil, fmt.Errorf("store: PostgreSQL URL %s: %w", shown, err)
	}
	if opts.Artifacts == "" {
		return nil, fmt.Errorf("store: a PostgreSQL store (%s) keeps its images and plots in a folder that every machine logging to it can reach: "+
			"name one with -artifacts DIR or %s=DIR (a folder on the cluster's shared file system)", shown, ArtifactsEnv)
	}
	art, err := filepath.Abs(opts.Artifacts)
	if err != nil {
		return nil, fmt.Errorf("store: artifacts folder %q: %w", opts.Artifacts, err)
	}
	if err := os.MkdirAll(art, 0o755); err != nil {
		return nil, fmt.Errorf("store: artifacts folder: %w (it must be writable by every machine that logs runs)", err)
	}
	if _, ok := cfg.RuntimeParams["synchronous_commit"]; !ok {
		cfg.RuntimeParams["synchronous_commit"] = "off"
	}
	if _, ok := cfg.RuntimeParams["jit"]; !ok {
		cfg.RuntimeParams["jit"] = "off" // compiling costs more than the store's short queries take
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "stylelab"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := newStore(db, postgresBackend{}, shown, art)
	s.cas = true
	if err := s.init(ctx, "is the server running, does the database exist, and may this user create tables in it?"); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// redact is a URL without its password, for messages and Path.
func redact(location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}
