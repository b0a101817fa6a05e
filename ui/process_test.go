package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stylelab/stylelab/store"
)

const helperEnv = "STYLELAB_UI_HELPER_DB"

// TestHelperProcess is not a test: it is the body of a child process that
// logs a run into the store at $STYLELAB_UI_HELPER_DB until it is killed.
func TestHelperProcess(t *testing.T) {
	db := os.Getenv(helperEnv)
	if db == "" {
		return
	}
	st, err := store.Open(db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r, err := st.StartRun(context.Background(), store.RunSpec{Name: "elsewhere", Experiment: "procs",
		Params: []store.Param{{Key: "iterations", Value: "1000000"}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		if err := r.LogStep(i, float64(i)/50, map[string]float64{"total": 1e6 / float64(i+1), "content": 1, "style": 2}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOtherProcess: a run logged by another process shows as it goes, and
// when that process is killed the page says INTERRUPTED without a restart.
func TestOtherProcess(t *testing.T) {
	f := newFixture(t, Options{})
	l, _, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, l) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + l.Addr().String()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+f.st.Path())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("helper stderr: %s", stderr.String())
		}
	}()
	var id int64
	for deadline := time.Now().Add(30 * time.Second); id == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the other process's run did not appear in 30s")
		}
		p, err := f.st.RunsPage(ctx, `name = "elsewhere"`, "", 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Runs) == 1 {
			id = p.Runs[0].ID
		}
	}
	if res := f.get(t, "/"); !strings.Contains(res.body, fmt.Sprintf(`<tr id="run-%d" data-id="%d" data-status="RUNNING">`, id, id)) {
		t.Fatalf("the runs page does not show the other process's run RUNNING")
	}
	steps := map[int]bool{}
	var last runUpdate
	sse(t, fmt.Sprintf("%s/events?id=%d", base, id), func(name string, data []byte) bool {
		if name != "run" {
			return false
		}
		if err := json.Unmarshal(data, &last); err != nil {
			t.Fatal(err)
		}
		steps[last.Step] = true
		if len(steps) == 3 && cmd.ProcessState == nil {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
		}
		return last.Status != store.StatusRunning
	})
	if last.Status != store.StatusInterrupted || !strings.Contains(last.Message, "ended without finishing") {
		t.Errorf("after the kill the run is %s (%q); want INTERRUPTED", last.Status, last.Message)
	}
	res := f.get(t, fmt.Sprintf("/runs/%d", id))
	if res.status != 200 || !strings.Contains(res.body, ">INTERRUPTED<") {
		t.Errorf("run page after the kill: %d", res.status)
	}
}
