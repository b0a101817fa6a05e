package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stylelab/stylelab/internal/services"
	"github.com/stylelab/stylelab/store"
)

// cluster is a CLI whose sweeps go to the test Slurm cluster and log to a
// fresh PostgreSQL database (db) with an artifacts folder of its own;
// cli.db is still the private SQLite file, the default store.
type cluster struct {
	*cli
	slurm         *services.Slurm
	db, artifacts string
	jobs          string // the job folder
}

// newCluster starts (or reuses) the services: PostgreSQL always, Slurm
// when withSlurm.
func newCluster(t *testing.T, withSlurm bool) *cluster {
	if testing.Short() {
		t.Skip("-short: starts PostgreSQL and a Slurm cluster")
	}
	pg, err := testPG.Get()
	if err != nil {
		t.Fatalf("the cluster tests need PostgreSQL: %v", err)
	}
	url, err := pg.CreateDatabase(context.Background(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{cli: newCLI(t), db: url}
	c.artifacts, c.jobs = filepath.Join(c.dir, "artifacts"), filepath.Join(c.dir, "jobs")
	c.env = append(c.env, store.ArtifactsEnv+"="+c.artifacts)
	if !withSlurm {
		return c
	}
	if c.slurm, err = testSlurm.Get(); err != nil {
		t.Fatalf("the cluster tests need Slurm: %v", err)
	}
	c.env = append(c.env, "SLURM_CONF="+c.slurm.Conf())
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(c.jobs, "slurm-*.out"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s:\n%s", filepath.Base(l), b)
			}
			t.Log(c.slurm.Log())
		}
	})
	return c
}

// sweepArgs is a sweep of the given points at 32 px, iterations each.
func (c *cluster) sweepArgs(experiment string, iterations int, ratios string, extra ...string) []string {
	return append([]string{"sweep", "-engine", "slurm", "-db", c.db, "-experiment", experiment, "-job-dir", c.jobs,
		"-content", c.content, "-style", c.style, "-size", "32", "-iterations", fmt.Sprint(iterations),
		"-axis", "ratio=" + ratios}, extra...)
}

var jobLine = regexp.MustCompile(`submitted job (\d+): (\d+) array tasks for the (\d+) of (\d+) points`)

// submit runs a Slurm sweep and returns its job id and how many points it submitted.
func (c *cluster) submit(args []string) (job string, points int) {
	c.t.Helper()
	out := c.ok(args...)
	m := jobLine.FindStringSubmatch(out)
	if m == nil {
		c.t.Fatalf("no job id in the sweep's output:\n%s", out)
	}
	fmt.Sscan(m[3], &points)
	return m[1], points
}

// openStore opens the cluster's store from the test.
func (c *cluster) openStore() *store.Store {
	c.t.Helper()
	s, err := store.OpenWith(context.Background(), c.db, store.Options{Artifacts: c.artifacts})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { s.Close() })
	return s
}

// waitJob waits until no task of the job is pending or running.
func (c *cluster) waitJob(job string, timeout time.Duration) map[int]taskState {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		cmd := exec.Command("scontrol", "-o", "show", "job", job)
		cmd.Env = c.env
		out, err := cmd.Output()
		if err != nil {
			c.t.Fatalf("scontrol show job %s: %v", job, err)
		}
		states := map[int]taskState{}
		busy := false
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			st := regexp.MustCompile(`JobState=(\S+)`).FindStringSubmatch(line)
			ids := regexp.MustCompile(`ArrayTaskId=(\S+)`).FindStringSubmatch(line)
			if st == nil || ids == nil {
				continue
			}
			for _, i := range expandIndices(ids[1]) {
				states[i] = taskState{job: job, task: i, state: st[1]}
			}
			switch st[1] {
			case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "SUSPENDED":
				busy = true
			}
		}
		if !busy && len(states) > 0 {
			return states
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s still busy after %v:\n%s", job, timeout, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestSlurmSweep submits a 4-point sweep as a job array, waits for it and
// finds the 4 points FINISHED in the PostgreSQL store, with their images
// in the shared folder; submitting it again submits nothing.
func TestSlurmSweep(t *testing.T) {
	c := newCluster(t, true)
	start := time.Now()
	job, n := c.submit(c.sweepArgs("slurm4", 2, "1e-4|1e-3|1e-2|1e-1"))
	if n != 4 {
		t.Fatalf("submitted %d points, want 4", n)
	}
	states := c.waitJob(job, 5*time.Minute)
	t.Logf("job %s: 4 tasks done in %v", job, time.Since(start).Round(time.Second))
	for i := 0; i < 4; i++ {
		if states[i].state != "COMPLETED" {
			t.Errorf("array task %d ended %s, want COMPLETED", i, states[i].state)
		}
	}
	s := c.openStore()
	runs, err := s.Runs(context.Background(), `experiment = "slurm4"`)
	if err != nil {
		t.Fatal(err)
	}
	identities := map[string]bool{}
	for _, r := range runs {
		identities[r.ParamsHash] = true
		rec, err := s.Get(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		final, ok := rec.LastArtifact(store.KindFinal)
		if r.Status != store.StatusFinished || r.LastStep != 2 || !ok || !strings.HasPrefix(final.Path, c.artifacts) {
			t.Errorf("run %d (%s): %s at step %d, final image %q; want FINISHED at 2 with its image in %s", r.ID, r.Name, r.Status, r.LastStep, final.Path, c.artifacts)
		}
		if _, err := os.Stat(final.Path); ok && err != nil {
			t.Errorf("run %d's image: %v", r.ID, err)
		}
	}
	if len(runs) != 4 || len(identities) != 4 {
		t.Errorf("the store holds %d runs of %d points; want 4 FINISHED runs, one per point", len(runs), len(identities))
	}
	status := c.ok("sweep", "status", "-experiment", "slurm4", "-job-dir", c.jobs)
	if !strings.Contains(status, "4 points: 4 finished") || strings.Count(status, "COMPLETED") != 4 {
		t.Errorf("sweep status:\n%s", status)
	}
	again := c.ok(c.sweepArgs("slurm4", 2, "1e-4|1e-3|1e-2|1e-1")...)
	if !strings.Contains(again, "all 4 points FINISHED; nothing to submit") {
		t.Errorf("the same sweep again:\n%s", again)
	}
}

// TestSlurmCancelResubmit cancels one array task while it runs (scancel:
// SIGTERM, as at a time limit or preemption): its run ends INTERRUPTED
// with the steps it logged, and the same sweep submitted again runs that
// point only, so the sweep completes with no point run twice.
func TestSlurmCancelResubmit(t *testing.T) {
	c := newCluster(t, true)
	args := c.sweepArgs("cancel4", 25, "1e-4|1e-3|1e-2|1e-1")
	job, _ := c.submit(args)
	s := c.openStore()
	ctx := context.Background()
	var victim *store.RunSummary
	deadline := time.Now().Add(3 * time.Minute)
	for victim == nil {
		runs, err := s.Runs(ctx, `experiment = "cancel4" and status = "RUNNING"`)
		if err != nil {
			t.Fatal(err)
		}
		for i := range runs {
			if runs[i].LastStep >= 2 {
				victim = &runs[i]
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no task was running a point after 3 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	task := -1
	m, err := readManifest(c.jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Points {
		if p.Identity == victim.ParamsHash {
			for ti, pts := range m.Jobs[0].Tasks {
				if len(pts) == 1 && pts[0] == i {
					task = ti
				}
			}
		}
	}
	if task < 0 {
		t.Fatalf("run %d's point is in no array task of %+v", victim.ID, m.Jobs)
	}
	cancel := exec.Command("scancel", fmt.Sprintf("%s_%d", job, task))
	cancel.Env = c.env
	if out, err := cancel.CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v: %s", err, out)
	}
	states := c.waitJob(job, 5*time.Minute)
	if states[task].state != "CANCELLED" {
		t.Errorf("the cancelled task ended %s", states[task].state)
	}
	killed, err := s.Get(ctx, victim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if killed.Status != store.StatusInterrupted || !strings.Contains(killed.Message, "context canceled") || killed.LastStep < 2 {
		t.Errorf("the cancelled run: %s (%q) at step %d; want INTERRUPTED by SIGTERM, its steps kept", killed.Status, killed.Message, killed.LastStep)
	}
	status := c.ok("sweep", "status", "-experiment", "cancel4", "-job-dir", c.jobs)
	if !strings.Contains(status, "3 finished, 1 interrupted") || !strings.Contains(status, "CANCELLED") {
		t.Errorf("sweep status after the cancel:\n%s", status)
	}

	job2, n := c.submit(args)
	if n != 1 || job2 == job {
		t.Fatalf("resubmitted job %s with %d points; want a new job for the 1 interrupted point", job2, n)
	}
	c.waitJob(job2, 5*time.Minute)
	runs, err := s.Runs(ctx, `experiment = "cancel4" order by id`)
	if err != nil {
		t.Fatal(err)
	}
	finished := map[string]int{}
	for _, r := range runs {
		if r.Status == store.StatusFinished {
			finished[r.ParamsHash]++
		}
		for _, o := range runs { // no point ran twice at once
			if o.ID < r.ID && o.ParamsHash == r.ParamsHash && r.Started.Before(o.Ended) {
				t.Errorf("runs %d and %d of one point overlap in time", o.ID, r.ID)
			}
		}
	}
	if len(finished) != 4 || len(runs) != 5 {
		t.Errorf("after resubmission: %d runs, FINISHED per point %v; want 5 runs (the interrupted one too) and each of the 4 points FINISHED once", len(runs), finished)
	}
	for _, n := range finished {
		if n != 1 {
			t.Errorf("a point FINISHED %d times", n)
		}
	}
	status = c.ok("sweep", "status", "-experiment", "cancel4", "-job-dir", c.jobs)
	if !strings.Contains(status, "4 points: 4 finished") {
		t.Errorf("sweep status after resubmission:\n%s", status)
	}
}

// TestLocalWorkers runs a 4-point sweep as 2 local worker processes on the
// PostgreSQL store: each point runs once, shared out by the claims.
func TestLocalWorkers(t *testing.T) {
	c := newCluster(t, false)
	out := c.ok("sweep", "-engine", "local", "-workers", "2", "-db", c.db, "-experiment", "workers", "-content", c.content, "-style", c.style,
		"-size", "32", "-iterations", "2", "-axis", "ratio=1e-4|1e-3|1e-2|1e-1")
	if !strings.Contains(out, "[worker 1]") || !strings.Contains(out, "[worker 2]") || !strings.Contains(out, "2 workers done") {
		t.Errorf("sweep with 2 workers said:\n%s", out)
	}
	if n := strings.Count(out, "(ran)"); n != 4 {
		t.Errorf("the workers ran %d points between them; want 4:\n%s", n, out)
	}
	runs, err := c.openStore().Runs(context.Background(), `experiment = "workers"`)
	if err != nil {
		t.Fatal(err)
	}
	points := map[string]bool{}
	for _, r := range runs {
		if r.Status != store.StatusFinished || points[r.ParamsHash] {
			t.Errorf("run %d (%s): %s; want each point FINISHED once", r.ID, r.Name, r.Status)
		}
		points[r.ParamsHash] = true
	}
	if len(points) != 4 {
		t.Errorf("%d points in the store; want 4", len(points))
	}
	status := c.ok("sweep", "status", "-experiment", "workers", "-db", c.db)
	if !strings.Contains(status, "4 points: 4 finished") {
		t.Errorf("sweep status:\n%s", status)
	}
}

// TestRunsCopyCLI copies a laptop's runs (an SQLite file) to the shared
// PostgreSQL store twice: the second copy finds them there.
func TestRunsCopyCLI(t *testing.T) {
	c := newCluster(t, false)
	c.ok("sweep", "-experiment", "laptop", "-content", c.content, "-style", c.style, "-size", "32", "-iterations", "2", "-axis", "ratio=1e-3|1e-2")
	first := c.ok("runs", "copy", "-from", c.cli.db, "-to", c.db, "-q", `experiment = "laptop"`)
	if !strings.Contains(first, "2 runs copied") {
		t.Errorf("first copy:\n%s", first)
	}
	second := c.ok("runs", "copy", "-from", c.cli.db, "-to", c.db)
	if !strings.Contains(second, "0 runs copied") || !strings.Contains(second, "2 already there") {
		t.Errorf("second copy:\n%s", second)
	}
	ls := c.ok("runs", "ls", "-db", c.db, "-q", `experiment = "laptop" and status = "FINISHED"`)
	if strings.Count(ls, "laptop") < 2 {
		t.Errorf("runs ls on the shared store:\n%s", ls)
	}
	// A PostgreSQL store needs its artifacts folder.
	c.env = append(c.env, store.ArtifactsEnv+"=")
	if msg := c.fails("runs", "ls", "-db", c.db); !strings.Contains(msg, "-artifacts DIR or STYLELAB_ARTIFACTS=DIR") {
		t.Errorf("runs ls without an artifacts folder: %s", msg)
	}
	if msg := c.fails("runs", "copy", "-from", c.cli.db, "-to", c.db, "-to-artifacts", c.artifacts, "-q", "status ="); !strings.Contains(msg, "expected a number or a quoted string") {
		t.Errorf("runs copy with a bad query: %s", msg)
	}
}

// TestSweepTaskChecksSubmission: a task whose node sees other weights, or
// other images, than the sweep was submitted with refuses to run.
func TestSweepTaskChecksSubmission(t *testing.T) {
	c := newCLI(t)
	args := []string{"sweep", "-experiment", "checked", "-content", c.content, "-style", c.style, "-size", "32", "-iterations", "1", "-axis", "ratio=1e-3|1e-2"}
	c.ok(args...)
	s, err := store.Open(c.db)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(context.Background(), `experiment = "checked" order by id`)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil || len(runs) != 2 {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	dir := filepath.Join(c.dir, "job")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		manifest sweepManifest
		want     string
	}{
		{"other weights", sweepManifest{Experiment: "checked", WeightsSHA256: "feed"}, "are not those the sweep was submitted with"},
		{"other images", sweepManifest{Experiment: "checked", WeightsSHA256: runs[0].WeightsSHA256,
			Points: []manifestPoint{{Name: runs[0].Name, Identity: "other"}}}, "its images differ here"},
		{"not submitted", sweepManifest{Experiment: "checked", WeightsSHA256: runs[0].WeightsSHA256}, "is not in the sweep submitted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := writeManifest(dir, &tc.manifest); err != nil {
				t.Fatal(err)
			}
			msg := c.fails(append(args, "-points", "0", "-manifest", filepath.Join(dir, manifestName))...)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("task said %q; want %q", msg, tc.want)
			}
		})
	}
}
