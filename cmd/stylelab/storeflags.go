package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/stylelab/stylelab/store"
)

// storeFlags name a store: -db (a file or a postgres:// URL) and, for a
// PostgreSQL store, -artifacts (the shared folder of its images).
type storeFlags struct {
	db, artifacts string
}

// register adds -db and -artifacts to fs.
func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.db, "db", "", "experiment store: a file, or a postgres://user@host/db URL shared by many machines (default $STYLELAB_DB, then the user data directory)")
	fs.StringVar(&s.artifacts, "artifacts", "", "a PostgreSQL store's folder for images and plots, reached by every machine (default $"+store.ArtifactsEnv+")")
}

// location is -db, else $STYLELAB_DB, else the default path.
func (s *storeFlags) location() (string, error) {
	if s.db != "" {
		return s.db, nil
	}
	return store.DefaultPath()
}

// options are the store options: -artifacts, else $STYLELAB_ARTIFACTS for
// a PostgreSQL store.
func (s *storeFlags) options(location string) store.Options {
	opts := store.Options{Artifacts: s.artifacts}
	if opts.Artifacts == "" && store.IsURL(location) {
		opts.Artifacts = os.Getenv(store.ArtifactsEnv)
	}
	return opts
}

// open opens the store; with mustExist an SQLite file that is not there
// yet is an error (reading commands never create one).
func (s *storeFlags) open(ctx context.Context, mustExist bool) (*store.Store, error) {
	loc, err := s.location()
	if err != nil {
		return nil, err
	}
	if mustExist && !store.IsURL(loc) {
		if _, err := os.Stat(loc); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no run database at %s yet; runs appear once an experiment logs one (or pass -db PATH)", loc)
		}
	}
	return store.OpenWith(ctx, loc, s.options(loc))
}
