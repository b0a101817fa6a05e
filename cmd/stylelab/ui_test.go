package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/ui"
)

// syncBuffer is a bytes.Buffer that a server goroutine and a test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUICommand: stylelab ui prints its URL, serves the store there,
// publishes its address beside the store while it runs, and refuses an
// address other machines can reach unless told.
func TestUICommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runs.db")
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.StartRun(context.Background(), store.RunSpec{Name: "served", Experiment: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(store.StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-db", db, "-addr", "0.0.0.0:0"}, "-allow-remote"},
		{[]string{"-db", filepath.Join(t.TempDir(), "none.db")}, "no run database"},
		{[]string{"-db", db, "extra"}, "unexpected argument"},
	} {
		err := dispatch(context.Background(), append([]string{"ui"}, c.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("stylelab ui %s: %v; want an error with %q", strings.Join(c.args, " "), err, c.want)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- dispatch(ctx, []string{"ui", "-db", db, "-addr", "127.0.0.1:0", "-read-only"}, &stdout, &stderr) }()
	var url string
	for deadline := time.Now().Add(20 * time.Second); url == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q %q", stdout.String(), stderr.String())
		}
		url = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(stdout.String())
	}
	if !strings.Contains(stdout.String(), "read-only") {
		t.Errorf("output %q does not say read-only", stdout.String())
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.Contains(string(body), ">served<") {
		t.Errorf("GET %s: %d", url, res.StatusCode)
	}
	if a, ok := ui.Lookup(db); !ok || a.URL != url || a.PID != os.Getpid() {
		t.Errorf("published address %+v, %v; want %s", a, ok, url)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stylelab ui: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stylelab ui did not stop with its context")
	}
	if _, err := os.Stat(ui.AddressFile(db)); !os.IsNotExist(err) {
		t.Errorf("the address file outlived the page: %v", err)
	}
}
