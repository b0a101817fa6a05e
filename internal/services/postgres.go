package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a PostgreSQL server of its own: a fresh cluster in a
// temporary folder, listening on 127.0.0.1 at a free port, with a superuser
// "stylelab" that needs no password.
type Postgres struct {
	Port  int
	dir   string // holds data/, the log and the socket
	bin   string // folder of initdb and pg_ctl
	cred  *syscall.Credential
	dbSeq atomic.Int64
}

// pgBinDirs is where Debian installs PostgreSQL's server programs.
var pgBinDirs = []string{"/usr/lib/postgresql/*/bin"}

// StartPostgres creates a cluster with initdb and starts it with pg_ctl.
// settings are extra server settings, such as "fsync=off". As root the
// server runs as the user postgres (initdb refuses root).
func StartPostgres(settings ...string) (*Postgres, error) {
	pgCtl, err := findBinary("pg_ctl", pgBinDirs...)
	if err != nil {
		return nil, fmt.Errorf("services: PostgreSQL's pg_ctl is not installed (%w): run scripts/install-deps.sh (Debian package postgresql)", err)
	}
	p := &Postgres{bin: filepath.Dir(pgCtl)}
	if _, err := os.Stat(filepath.Join(p.bin, "initdb")); err != nil {
		return nil, fmt.Errorf("services: initdb is not beside %s: run scripts/install-deps.sh (Debian package postgresql)", pgCtl)
	}
	reapOrphans(pgPrefix, func(dir string) {
		old := &Postgres{dir: dir, bin: p.bin}
		old.cred, _ = serverUser()
		if run(old.command("pg_ctl", "-D", old.data(), "-m", "immediate", "-w", "-t", "30", "stop")) != nil {
			stopPid(filepath.Join(old.data(), "postmaster.pid"), 10*time.Second)
		}
	})
	if p.dir, err = tempDir(pgPrefix); err != nil {
		return nil, err
	}
	if err := writeOwner(p.dir); err != nil {
		p.cleanup()
		return nil, fmt.Errorf("services: %w", err)
	}
	if p.cred, err = serverUser(); err != nil {
		p.cleanup()
		return nil, err
	}
	if p.cred != nil {
		if err := os.Chown(p.dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			p.cleanup()
			return nil, fmt.Errorf("services: %w", err)
		}
	}
	if err := run(p.command("initdb", "-D", p.data(), "-A", "trust", "-U", "stylelab", "-E", "UTF8", "--no-sync")); err != nil {
		p.cleanup()
		return nil, fmt.Errorf("services: initdb: %w", err)
	}
	var startErr error
	for try := 0; try < 3; try++ { // a free port may be taken between finding and binding it
		if p.Port, err = freePort(); err != nil {
			p.cleanup()
			return nil, err
		}
		opts := []string{"-p " + strconv.Itoa(p.Port), "-k " + p.dir, "-c listen_addresses=127.0.0.1", "-c max_connections=400"}
		for _, s := range settings {
			opts = append(opts, "-c "+s)
		}
		startErr = run(p.command("pg_ctl", "-D", p.data(), "-l", p.logPath(), "-w", "-t", "60", "-o", strings.Join(opts, " "), "start"))
		if startErr == nil {
			return p, nil
		}
	}
	p.cleanup()
	return nil, fmt.Errorf("services: start PostgreSQL: %w\nserver log:\n%s", startErr, tail(p.logPath(), 2000))
}

// pgPrefix starts the names of the servers' folders in the temp directory.
const pgPrefix = "stylelab-pg-"

// serverUser is who the server runs as: this process's user, or as root
// the user postgres (initdb refuses root).
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("services: running as root, PostgreSQL needs an unprivileged user to run as, and there is no user postgres (%w): install the Debian package postgresql, which creates it", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (p *Postgres) data() string    { return filepath.Join(p.dir, "data") }
func (p *Postgres) logPath() string { return filepath.Join(p.dir, "server.log") }

// command runs one of the server programs as the server's user.
func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// URL is the connection URL of a database on this server.
func (p *Postgres) URL(database string) string {
	return fmt.Sprintf("postgres://stylelab@127.0.0.1:%d/%s?sslmode=disable", p.Port, database)
}

// CreateDatabase makes a new, empty database whose name starts with
// prefix and returns its URL.
func (p *Postgres) CreateDatabase(ctx context.Context, prefix string) (string, error) {
	name := fmt.Sprintf("%s_%d", sanitizeName(prefix), p.dbSeq.Add(1))
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("services: connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("services: create database %s: %w", name, err)
	}
	return p.URL(name), nil
}

// sanitizeName keeps a database name to lower-case letters, digits and _,
// short enough for PostgreSQL's 63-byte names.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 40 {
		name = name[:40]
	}
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "db_" + name
	}
	return name
}

// Log is the end of the server's log, for a failing test's message.
func (p *Postgres) Log() string { return tail(p.logPath(), 4000) }

// Stop shuts the server down (fast mode: sessions are ended) and removes
// its folder.
func (p *Postgres) Stop() error {
	err := run(p.command("pg_ctl", "-D", p.data(), "-m", "fast", "-w", "-t", "30", "stop"))
	if err != nil {
		err = fmt.Errorf("services: stop PostgreSQL: %w", err)
		if stopErr := stopPid(filepath.Join(p.data(), "postmaster.pid"), 10*time.Second); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
	}
	p.cleanup()
	return err
}

func (p *Postgres) cleanup() {
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// Shared is a PostgreSQL server started on first use and shared by the
// tests of one test binary, which stop it from TestMain. The zero value is
// ready to use.
type Shared struct {
	Settings []string // server settings for StartPostgres
	once     sync.Once
	pg       *Postgres
	err      error
}

// Get starts the server the first time and returns it (or why it could not
// start, every time).
func (s *Shared) Get() (*Postgres, error) {
	s.once.Do(func() { s.pg, s.err = StartPostgres(s.Settings...) })
	return s.pg, s.err
}

// Stop stops the server if it was started.
func (s *Shared) Stop() error {
	s.once.Do(func() { s.err = errors.New("services: the shared server is stopped") })
	if s.pg == nil {
		return nil
	}
	return s.pg.Stop()
}
