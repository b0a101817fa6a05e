package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "STYLELAB_STORE_HELPER"

// TestHelperProcess is not a test: it is the body of the child processes
// that the process tests start from this same binary. Without helperEnv
// it returns at once.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	s, err := Open(os.Getenv("STYLELAB_STORE_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r, err := s.StartRun(context.Background(), RunSpec{Experiment: "procs", Name: os.Getenv("STYLELAB_STORE_NAME"), Exclusive: mode == "claim"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if mode == "claim" { // hold the point until killed
		if err := r.LogStep(0, 0, map[string]float64{"total": 1}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		select {}
	}
	steps, err := strconv.Atoi(os.Getenv("STYLELAB_STORE_STEPS"))
	if err != nil && mode == "count" {
		fmt.Fprintln(os.Stderr, "STYLELAB_STORE_STEPS:", err)
		os.Exit(2)
	}
	start := time.Now()
	switch mode {
	case "schedule", "schedule-select-1":
		op := func(step int, since time.Duration) error { return r.LogStep(step, since.Seconds(), eightMetrics(step)) }
		if mode == "schedule-select-1" {
			op = func(int, time.Duration) error {
				_, err := s.db.Exec("SELECT 1")
				return err
			}
		}
		if err := onScheduleFromStdin(op, steps); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	default:
		for i := 0; mode == "forever" || i < steps; i++ {
			if err := r.LogStep(i, time.Since(start).Seconds(), eightMetrics(i)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
			if mode == "forever" {
				time.Sleep(time.Millisecond)
			}
		}
	}
	if err := r.Finish(StatusFinished, ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(4)
	}
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(5)
	}
	os.Exit(0)
}

// onScheduleFromStdin is a benchmark's writer process: it calls op for
// step 0, says "ready" on stdout, reads the time of its first timed step
// (Unix nanoseconds) and the interval from stdin, calls op for steps 1 to
// steps on that schedule and prints each call's latency in nanoseconds on
// one line. op gets the step and the time since the start.
func onScheduleFromStdin(op func(step int, since time.Duration) error, steps int) error {
	start := time.Now()
	if err := op(0, 0); err != nil { // a connection, before the clock starts
		return err
	}
	fmt.Println("ready")
	var first int64
	var interval time.Duration
	if _, err := fmt.Scan(&first, &interval); err != nil {
		return fmt.Errorf("read the schedule: %w", err)
	}
	latencies, err := timedSteps(time.Unix(0, first), interval, steps, func(step int) error { return op(step, time.Since(start)) })
	if err != nil {
		return err
	}
	ns := make([]string, len(latencies))
	for i, l := range latencies {
		ns[i] = strconv.FormatInt(int64(l), 10)
	}
	fmt.Println(strings.Join(ns, " "))
	return nil
}

// helper starts this test binary as a child in the given mode.
func helper(t *testing.T, be *testBackend, db, mode, name string, steps int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(append(os.Environ(), be.env(db)...), helperEnv+"="+mode, "STYLELAB_STORE_DB="+db,
		"STYLELAB_STORE_NAME="+name, "STYLELAB_STORE_STEPS="+strconv.Itoa(steps))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("%s helper stderr: %s", name, stderr.String())
		}
	})
	return cmd
}

// stepsOf returns the run called name (nil if not there yet).
func runNamed(t *testing.T, s *Store, name string) *RunSummary {
	runs, err := s.Runs(context.Background(), fmt.Sprintf("name = %q", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 {
		return nil
	}
	return &runs[0]
}

func TestSIGKILLKeepsLoggedSteps(t *testing.T) {
	eachBackend(t, testSIGKILLKeepsLoggedSteps)
}

func testSIGKILLKeepsLoggedSteps(t *testing.T, be *testBackend) {
	const want = 50
	db := be.location(t)
	watch := be.openAt(t, db)
	cmd := helper(t, be, db, "forever", "victim", 0)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r := runNamed(t, watch, "victim"); r != nil && r.LastStep+1 >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child did not log %d steps in 30s", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A second process opening the store must not judge the live run dead.
	other := be.openAt(t, db)
	if r := runNamed(t, other, "victim"); r.Status != StatusRunning {
		t.Fatalf("live run marked %s by Open", r.Status)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	seen := runNamed(t, watch, "victim").LastStep + 1 // every step it returned from
	// A store that stays open learns of it by sweeping.
	if err := watch.SweepStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := runNamed(t, watch, "victim"); r.Status != StatusInterrupted {
		t.Errorf("after SweepStale the killed run is %s; want INTERRUPTED", r.Status)
	}

	after := be.openAt(t, db)
	r := runNamed(t, after, "victim")
	rec, err := after.Get(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusInterrupted || !strings.Contains(rec.Message, "ended without finishing") || rec.Ended.IsZero() {
		t.Errorf("killed run: status %s, message %q, ended %v", rec.Status, rec.Message, rec.Ended)
	}
	// Every step visible before the kill is kept. A step the child had
	// sent when it was killed may still commit after it died (a server
	// finishes a statement it has received), so one more step may appear,
	// whole.
	kept := rec.LastStep + 1
	if len(rec.Metrics) != 8*kept || kept < seen || kept > seen+1 || seen < want {
		t.Errorf("kept %d points up to step %d; %d steps were visible before reopening, want >= %d", len(rec.Metrics), rec.LastStep, seen, want)
	}
	for i, m := range rec.Metrics { // steps 0..seen-1, none missing
		if m.Step != i/8 {
			t.Fatalf("point %d is step %d: a step is missing", i, m.Step)
		}
	}
}

func TestConcurrentWriterProcesses(t *testing.T) {
	eachBackend(t, testConcurrentWriterProcesses)
}

func testConcurrentWriterProcesses(t *testing.T, be *testBackend) {
	const steps = 2000
	db := be.location(t)
	s := be.openAt(t, db) // create the schema once, as a user would
	cmds := []*exec.Cmd{helper(t, be, db, "count", "w1", steps), helper(t, be, db, "count", "w2", steps)}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("writer %d: %v", i+1, err)
		}
	}
	w1, w2 := runNamed(t, s, "w1"), runNamed(t, s, "w2")
	if !w1.Started.Before(w2.Ended) || !w2.Started.Before(w1.Ended) {
		t.Logf("writers did not overlap in time (%v-%v, %v-%v); contention untested this time", w1.Started, w1.Ended, w2.Started, w2.Ended)
	}
	for _, name := range []string{"w1", "w2"} {
		r := runNamed(t, s, name)
		rec, err := s.Get(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != StatusFinished || len(rec.Metrics) != 8*steps || rec.LastStep != steps-1 {
			t.Errorf("%s: status %s, %d points, last step %d; want FINISHED, %d, %d", name, rec.Status, len(rec.Metrics), rec.LastStep, 8*steps, steps-1)
		}
	}
}

func TestConcurrentWriterGoroutines(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		const runs, steps = 4, 100
		s := be.open(t)
		var wg sync.WaitGroup
		errs := make(chan error, runs)
		ids := make([]int64, runs)
		for g := 0; g < runs; g++ {
			r := mustStart(t, s, RunSpec{Experiment: "goroutines"})
			ids[g] = r.ID()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < steps; i++ {
					if err := r.LogStep(i, 0, eightMetrics(i)); err != nil {
						errs <- err
						return
					}
				}
				errs <- r.Finish(StatusFinished, "")
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range ids {
			if rec, err := s.Get(context.Background(), id); err != nil || len(rec.Metrics) != 8*steps {
				t.Errorf("run %d: %v", id, err)
			}
		}
	})
}
