package store

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestIsStale(t *testing.T) {
	self := selfProc()
	if self.start == "" {
		t.Skip("no /proc on this system: process identity is not checked here")
	}
	// A pid that surely belongs to no live process: a child, reaped.
	child := exec.Command(os.Args[0], "-test.run=^$")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	dead := child.ProcessState.Pid()
	parentStart, _, err := procStart(os.Getppid())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	fresh, old := now.Add(-5*time.Second), now.Add(-3*time.Minute)
	noProc := procID{host: self.host, pid: self.pid}
	tests := []struct {
		name      string
		self      procID
		host      string
		pid       int
		start     string
		heartbeat time.Time
		want      bool
	}{
		{"this process", self, self.host, self.pid, self.start, old, false},
		{"parent alive", self, self.host, os.Getppid(), parentStart, old, false},
		{"alive, recorded without identity", self, self.host, os.Getppid(), "", old, false},
		{"dead pid, fresh heartbeat", self, self.host, dead, "x/1", fresh, true},
		{"pid recycled: start differs", self, self.host, os.Getppid(), parentStart + "0", fresh, true},
		{"other boot", self, self.host, os.Getppid(), "other-boot/1", fresh, true},
		{"other host, fresh heartbeat", self, "elsewhere", 1, "b/1", fresh, false},
		{"other host, old heartbeat", self, "elsewhere", 1, "b/1", old, true},
		{"no /proc, fresh heartbeat", noProc, self.host, dead, "", fresh, false},
		{"no /proc, old heartbeat", noProc, self.host, dead, "", old, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isStale(tc.self, tc.host, tc.pid, tc.start, tc.heartbeat, now); got != tc.want {
				t.Errorf("isStale = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHeartbeat(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		s.beat = 10 * time.Millisecond
		r := mustStart(t, s, RunSpec{Experiment: "e"})
		const q = "SELECT heartbeat FROM runs WHERE id = ?"
		var first, later string
		scan(t, s, q, []any{r.ID()}, &first)
		deadline := time.Now().Add(10 * time.Second)
		for later <= first && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			scan(t, s, q, []any{r.ID()}, &later)
		}
		if later <= first {
			t.Fatalf("heartbeat did not advance from %s", first)
		}
		mustFinish(t, r, StatusFinished, "")
		time.Sleep(30 * time.Millisecond)
		var after, final string
		scan(t, s, q, []any{r.ID()}, &after)
		time.Sleep(30 * time.Millisecond)
		scan(t, s, q, []any{r.ID()}, &final)
		if after == "" || final != after {
			t.Errorf("heartbeat still beating after Finish: %s -> %s", after, final)
		}
	})
}
