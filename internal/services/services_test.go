package services

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
