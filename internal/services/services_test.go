package services

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	pg, err := StartPostgres("fsync=off")
	if err != nil {
		t.Fatal(err)
	}
	dir := pg.dir
	ctx := context.Background()
	urls := map[string]bool{}
	for i := 0; i < 2; i++ {
		url, err := pg.CreateDatabase(ctx, "Test Postgres")
		if err != nil {
			t.Fatal(err)
		}
		urls[url] = true
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var v string
		if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(v, "1") {
			t.Errorf("server_version %q", v)
		}
		if err := conn.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(urls) != 2 {
		t.Errorf("two databases share a URL: %v", urls)
	}
	if err := pg.Stop(); err != nil {
		t.Fatalf("Stop: %v\n%s", err, pg.Log())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the server's folder %s is still there after Stop (%v)", dir, err)
	}
	if _, err := pgx.Connect(ctx, pg.URL("postgres")); err == nil {
		t.Error("the server still answers after Stop")
	}
}

func TestSlurm(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Slurm cluster")
	}
	s, err := StartSlurm()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	out := filepath.Join(s.Dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	sb := exec.Command("sbatch", "--parsable", "--array=0-2", "--output="+filepath.Join(out, "%a.txt"), "--wrap", "echo task $SLURM_ARRAY_TASK_ID")
	sb.Env = s.Env()
	id, err := sb.CombinedOutput()
	if err != nil {
		t.Fatalf("sbatch: %v: %s\n%s", err, id, s.Log())
	}
	for i := 0; i < 3; i++ {
		want := "task " + string(rune('0'+i))
		p := filepath.Join(out, string(rune('0'+i))+".txt")
		if !waitFor(60*time.Second, func() bool { b, _ := os.ReadFile(p); return strings.TrimSpace(string(b)) == want }) {
			b, _ := os.ReadFile(p)
			t.Fatalf("array task %d of job %s wrote %q, want %q\n%s", i, strings.TrimSpace(string(id)), b, want, s.Log())
		}
	}
}

// TestReapsOrphans: a server whose test process was killed (SIGKILL, no
// Stop) is stopped by the next StartPostgres.
func TestReapsOrphans(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL servers")
	}
	if os.Getenv("STYLELAB_SERVICES_ORPHAN") != "" {
		pg, err := StartPostgres("fsync=off")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(pg.dir)
		os.Stdout.Sync()
		select {} // killed by the parent
	}
	child := exec.Command(os.Args[0], "-test.run=^TestReapsOrphans$")
	child.Env = append(os.Environ(), "STYLELAB_SERVICES_ORPHAN=1")
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		child.Process.Kill()
		t.Fatalf("the child did not start a server: %v", err)
	}
	dir := strings.TrimSpace(line)
	pidFile := filepath.Join(dir, "data", "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if syscall.Kill(pid, 0) != nil {
		t.Fatalf("the orphaned server %d is not running; nothing to reap", pid)
	}
	pg, err := StartPostgres("fsync=off")
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return syscall.Kill(pid, 0) != nil }) {
		t.Errorf("the orphaned server %d still runs", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the orphan's folder %s is still there (%v)", dir, err)
	}
}
