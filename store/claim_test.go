package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

// claimPoint starts an exclusive run of (experiment, identity).
func claimPoint(s *Store, experiment, identity string) (*Run, error) {
	return s.StartRun(context.Background(), RunSpec{Experiment: experiment, Identity: identity, Exclusive: true})
}

// wantClaimed checks that err is a *ClaimError naming run id with status.
func wantClaimed(t *testing.T, err error, id int64, status Status) {
	t.Helper()
	var ce *ClaimError
	if !errors.As(err, &ce) || ce.RunID != id || ce.Status != status {
		t.Fatalf("claim error %v; want a *ClaimError for run %d, %s", err, id, status)
	}
}

func TestExclusiveClaim(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		first, err := claimPoint(s, "sweep", "p")
		if err != nil {
			t.Fatal(err)
		}
		_, err = claimPoint(s, "sweep", "p")
		wantClaimed(t, err, first.ID(), StatusRunning)
		if ce := (*ClaimError)(nil); errors.As(err, &ce) && (ce.Host != s.self.host || ce.PID != s.self.pid) {
			t.Errorf("claim error names %s/%d, want this process", ce.Host, ce.PID)
		}
		// A run that does not claim may always start, and claims nothing.
		plain := mustStart(t, s, RunSpec{Experiment: "sweep", Identity: "p"})
		mustFinish(t, plain, StatusFailed, "")
		// Another experiment, or another point, is free.
		for _, c := range []struct{ exp, id string }{{"other", "p"}, {"sweep", "q"}} {
			r, err := claimPoint(s, c.exp, c.id)
			if err != nil {
				t.Fatalf("claim %s/%s: %v", c.exp, c.id, err)
			}
			mustFinish(t, r, StatusFailed, "")
		}
		// A FAILED or INTERRUPTED run gives the point up; a FINISHED one keeps it.
		r, err := claimPoint(s, "sweep", "q")
		if err != nil {
			t.Fatalf("claim after a failure: %v", err)
		}
		mustFinish(t, r, StatusInterrupted, "")
		mustFinish(t, first, StatusFinished, "")
		_, err = claimPoint(s, "sweep", "p")
		wantClaimed(t, err, first.ID(), StatusFinished)
		if runs, err := s.Runs(context.Background(), `experiment = "sweep"`); err != nil || len(runs) != 4 {
			t.Errorf("refused claims left runs behind: %d runs, %v", len(runs), err)
		}
	})
}

// TestClaimOnAnotherHost: a RUNNING run of another host holds its point
// while its heartbeat is fresh; once the heartbeat is old the run is dead,
// marked INTERRUPTED, and the point is claimed.
func TestClaimOnAnotherHost(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		s := be.open(t)
		remote, err := claimPoint(s, "sweep", "p")
		if err != nil {
			t.Fatal(err)
		}
		move := func(heartbeat time.Time) {
			t.Helper()
			_, err := s.db.Exec(s.q("UPDATE runs SET host = 'node-7', pid = 4242, proc_start = 'x/1', heartbeat = ? WHERE id = ?"), formatTime(heartbeat), remote.ID())
			if err != nil {
				t.Fatal(err)
			}
		}
		move(time.Now().Add(-30 * time.Second))
		_, err = claimPoint(s, "sweep", "p")
		wantClaimed(t, err, remote.ID(), StatusRunning)
		move(time.Now().Add(-staleAfter - time.Minute))
		r, err := claimPoint(s, "sweep", "p")
		if err != nil {
			t.Fatalf("claim over a run whose heartbeat stopped: %v", err)
		}
		old := mustGet(t, s, remote.ID())
		if old.Status != StatusInterrupted || old.Ended.IsZero() {
			t.Errorf("the dead run is %s (ended %v); want INTERRUPTED", old.Status, old.Ended)
		}
		mustFinish(t, r, StatusFinished, "")
	})
}

// TestClaimOverKilledProcess: a point held by a process on this host is
// free as soon as the process dies (SIGKILL: no Finish), without waiting
// for its heartbeat to age.
func TestClaimOverKilledProcess(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		db := be.location(t)
		s := be.openAt(t, db)
		cmd := helper(t, be, db, "claim", "holder", 0)
		var holder *RunSummary
		deadline := time.Now().Add(30 * time.Second)
		for holder = runNamed(t, s, "holder"); holder == nil || holder.LastStep < 0; holder = runNamed(t, s, "holder") {
			if time.Now().After(deadline) {
				t.Fatal("the child did not start its run in 30 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		_, err := claimPoint(s, "procs", holder.ParamsHash)
		wantClaimed(t, err, holder.ID, StatusRunning)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		r, err := claimPoint(s, "procs", holder.ParamsHash)
		if err != nil {
			t.Fatalf("claim after the holder was killed: %v", err)
		}
		mustFinish(t, r, StatusFinished, "")
		if got := mustGet(t, s, holder.ID); got.Status != StatusInterrupted {
			t.Errorf("killed holder is %s; want INTERRUPTED", got.Status)
		}
	})
}

// TestClaimRace: many writers, each with a store (and connections) of its
// own, try to claim the same points at the same moment; each point is
// claimed exactly once.
func TestClaimRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, be *testBackend) {
		const writers, points = 8, 10
		loc := be.location(t)
		stores := make([]*Store, writers)
		for i := range stores {
			stores[i] = be.openAt(t, loc)
		}
		for p := 0; p < points; p++ {
			identity := fmt.Sprintf("point-%d", p)
			var wg sync.WaitGroup
			start := make(chan struct{})
			won := make(chan *Run, writers)
			errs := make(chan error, writers)
			for _, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r, err := claimPoint(s, "race", identity)
					var ce *ClaimError
					switch {
					case err == nil:
						won <- r
					case !errors.As(err, &ce):
						errs <- err
					}
				}()
			}
			close(start)
			wg.Wait()
			close(won)
			close(errs)
			for err := range errs {
				t.Fatalf("%s: %v", identity, err)
			}
			var winners []*Run
			for r := range won {
				winners = append(winners, r)
			}
			if len(winners) != 1 {
				t.Fatalf("%s was claimed %d times by %d writers at once; want once", identity, len(winners), writers)
			}
			mustFinish(t, winners[0], StatusFinished, "")
		}
	})
}
