package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/stylelab/stylelab/store"
)

// taskState is what the scheduler says of one array task.
type taskState struct {
	job    string // job id
	task   int    // array index
	state  string // PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT, FAILED, ...
	reason string
}

// sweepStatus prints each point of a sweep with its state from the store
// (finished, running, failed, interrupted, or pending: no run yet) and,
// for a sweep submitted to Slurm, its array task as the scheduler sees it.
func sweepStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("stylelab sweep status", flag.ContinueOnError)
	fset.SetOutput(stderr)
	experiment := fset.String("experiment", "", "the sweep's experiment")
	jobDir := fset.String("job-dir", "", "the folder of a Slurm sweep's record (default stylelab-jobs/EXPERIMENT)")
	var sf storeFlags
	sf.register(fset)
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("sweep status: %w", err)
	}
	if *experiment == "" || fset.NArg() > 0 {
		return errors.New("sweep status: usage: stylelab sweep status -experiment NAME [-job-dir DIR] [-db DB]")
	}
	dir := *jobDir
	if dir == "" {
		dir = defaultJobDir(*experiment)
	}
	m, err := readManifest(absPath(dir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		m = nil // a local sweep: the store alone knows its points
	case err != nil:
		return fmt.Errorf("sweep status: %w", err)
	case m.Experiment != *experiment:
		return fmt.Errorf("sweep status: %s records the sweep %q, not %q: give its -job-dir", dir, m.Experiment, *experiment)
	}
	if m != nil && sf.db == "" {
		sf.db = m.DB // where its tasks log
		if sf.artifacts == "" {
			sf.artifacts = m.Artifacts
		}
	}
	s, err := sf.open(ctx, true)
	if err != nil {
		return fmt.Errorf("sweep status: %w", err)
	}
	defer s.Close()
	runs, err := s.Runs(ctx, "experiment = "+strconv.Quote(*experiment)+" order by id")
	if err != nil {
		return fmt.Errorf("sweep status: %w", err)
	}
	byIdentity := map[string][]store.RunSummary{}
	var points []manifestPoint
	if m != nil {
		points = m.Points
	}
	for _, r := range runs {
		if m == nil && len(byIdentity[r.ParamsHash]) == 0 {
			points = append(points, manifestPoint{Name: r.Name, Identity: r.ParamsHash})
		}
		byIdentity[r.ParamsHash] = append(byIdentity[r.ParamsHash], r)
	}
	if len(points) == 0 {
		return fmt.Errorf("sweep status: no sweep %q: no runs in %s and no record in %s", *experiment, s.Path(), dir)
	}
	sched := map[int]taskState{} // by point; the latest job wins
	if m != nil {
		for _, j := range m.Jobs {
			states := scontrolStates(ctx, j.ID)
			for t, pts := range j.Tasks {
				st, ok := states[t]
				for _, p := range pts {
					if ok {
						sched[p] = st
					} else {
						delete(sched, p) // the scheduler forgot it: the store tells
					}
				}
			}
		}
	}
	count := map[string]int{}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "POINT\tSTATE\tRUN\tSCHEDULER\tSETTINGS")
	for i, p := range points {
		state, run := pointState(byIdentity[p.Identity])
		st, queued := sched[i]
		if queued && (state == "failed" || state == "interrupted" || state == "pending") &&
			(st.state == "PENDING" || st.state == "RUNNING" || st.state == "CONFIGURING" || st.state == "REQUEUED") {
			state = "pending" // queued again: a task will run it
		}
		count[state]++
		runCol, schedCol := "-", "-"
		if run != 0 {
			runCol = strconv.FormatInt(run, 10)
		}
		if queued {
			schedCol = fmt.Sprintf("job %s_%d %s", st.job, st.task, st.state)
			if st.reason != "" && st.reason != "None" {
				schedCol += " (" + st.reason + ")"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i, state, runCol, schedCol, p.Name)
	}
	var parts []string
	for _, k := range []string{"finished", "running", "pending", "failed", "interrupted"} {
		if count[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[k], k))
		}
	}
	fmt.Fprintf(stdout, "sweep %s: %d points: %s\n", *experiment, len(points), strings.Join(parts, ", "))
	if err := tw.Flush(); err != nil {
		return err
	}
	if count["failed"]+count["interrupted"] > 0 && m != nil {
		fmt.Fprintln(stdout, "submit the same sweep again to run the points not FINISHED")
	}
	return nil
}

// pointState is a point's state from its runs (oldest first): finished
// if one finished, running if one runs, else the last run's end, else
// pending; and the run that says so.
func pointState(runs []store.RunSummary) (string, int64) {
	for _, want := range []store.Status{store.StatusFinished, store.StatusRunning} {
		for _, r := range runs {
			if r.Status == want {
				return strings.ToLower(want), r.ID
			}
		}
	}
	if len(runs) == 0 {
		return "pending", 0
	}
	last := runs[len(runs)-1]
	return strings.ToLower(last.Status), last.ID
}

// scontrolStates asks the scheduler about the array tasks of a job; a job
// it no longer knows (finished long ago) gives none. Without accounting
// (slurmdbd) sacct knows nothing, and squeue forgets finished tasks at
// once; scontrol keeps them for MinJobAge (5 minutes by default).
func scontrolStates(ctx context.Context, job string) map[int]taskState {
	out, err := exec.CommandContext(ctx, "scontrol", "-o", "show", "job", job).Output()
	states := map[int]taskState{}
	if err != nil {
		return states
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := map[string]string{}
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				fields[k] = v
			}
		}
		ids, ok := fields["ArrayTaskId"]
		if !ok {
			continue
		}
		for _, t := range expandIndices(ids) {
			states[t] = taskState{job: job, task: t, state: fields["JobState"], reason: fields["Reason"]}
		}
	}
	return states
}

// expandIndices reads Slurm's array index lists: "3", "2-5", "1,4-6%2".
func expandIndices(s string) []int {
	s, _, _ = strings.Cut(s, "%") // a throttle
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b-a > 1e6 {
				continue
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	return out
}
