package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/internal/atomicfile"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/weights"
)

// slurmFlags are a Slurm sweep's requests to the scheduler.
type slurmFlags struct {
	partition, time string
	cpus, perTask   int
}

// sweepManifest is the record of a sweep submitted to Slurm, kept in its
// job folder: what the points are (their identities, which each task
// checks before it runs) and which array task of which job runs which.
type sweepManifest struct {
	Experiment    string          `json:"experiment"`
	DB            string          `json:"db"` // as the tasks open it (the file is private to its user)
	Artifacts     string          `json:"artifacts,omitempty"`
	Weights       string          `json:"weights"`
	WeightsSHA256 string          `json:"weights_sha256"`
	Cache         string          `json:"cache"`
	Points        []manifestPoint `json:"points"`
	Jobs          []manifestJob   `json:"jobs"`
}

type manifestPoint struct {
	Name     string `json:"name"`
	Identity string `json:"identity"`
}

type manifestJob struct {
	ID        string    `json:"id"`
	Submitted time.Time `json:"submitted"`
	Script    string    `json:"script"`
	Tasks     [][]int   `json:"tasks"` // the points of each array task, by index
}

const manifestName = "sweep.json"

// defaultJobDir is where a sweep's job files go unless -job-dir says.
func defaultJobDir(experiment string) string {
	return filepath.Join("stylelab-jobs", strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r < ' ' {
			return '_'
		}
		return r
	}, experiment))
}

// submitSweep submits the points that have not FINISHED as a Slurm job
// array and prints the job's id. Each array task runs its share of the
// points with `stylelab sweep -points ...`, the same code as a local
// sweep, and logs to the same store.
func submitSweep(ctx context.Context, f *sweepFlags, cfg transfer.Config, points []experiments.Point, stdout, stderr io.Writer) error {
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		return errors.New("sweep: sbatch is not here: -engine slurm submits to a Slurm cluster, from one of its login nodes (or use -engine local)")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("sweep: find this program for the tasks to run: %w", err)
	}
	loc, err := f.store.location()
	if err != nil {
		return err
	}
	if !store.IsURL(loc) {
		loc = absPath(loc)
		fmt.Fprintf(stderr, "sweep: the store %s is an SQLite file: fine on a one-node cluster; tasks on several nodes need a shared PostgreSQL store (-db postgres://...)\n", loc)
	}
	weightsPath, err := weights.Locate(f.weightsPath)
	if err != nil {
		return err
	}
	weightsPath = absPath(weightsPath)
	cache, err := weights.CacheDir()
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "loading VGG-19 (converted into the cache once, for every task)")
	lab, err := openLab(ctx, weightsPath, &f.store)
	if err != nil {
		return err
	}
	defer lab.Close()
	m := sweepManifest{Experiment: cfg.Experiment, DB: loc, Weights: weightsPath, WeightsSHA256: lab.Model.Weights().SHA256, Cache: absPath(cache)}
	if store.IsURL(loc) {
		m.Artifacts = lab.Store.ArtifactDir()
	}
	var pending []int
	for i, pt := range points {
		id, err := pointIdentity(lab, pt)
		if err != nil {
			return fmt.Errorf("sweep: point %d (%s): %w", i, pt.Name(), err)
		}
		m.Points = append(m.Points, manifestPoint{Name: pt.Name(), Identity: id})
		if _, done, err := lab.Store.FindIdentity(ctx, cfg.Experiment, id); err != nil {
			return err
		} else if !done {
			pending = append(pending, i)
		}
	}
	if len(pending) == 0 {
		fmt.Fprintf(stdout, "sweep %s: all %d points FINISHED; nothing to submit\n", cfg.Experiment, len(points))
		return nil
	}
	dir := f.jobDir
	if dir == "" {
		dir = defaultJobDir(cfg.Experiment)
	}
	dir = absPath(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sweep: job folder: %w", err)
	}
	if old, err := readManifest(dir); err == nil && samePoints(old, &m) {
		m.Jobs = old.Jobs // the same sweep again: keep its earlier jobs for status
	}
	var tasks [][]int
	for i := 0; i < len(pending); i += f.slurm.perTask {
		tasks = append(tasks, pending[i:min(i+f.slurm.perTask, len(pending))])
	}
	_, taskArgs, err := takeFlags(f.args, append(engineFlags, "db", "artifacts", "weights")...)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	script := filepath.Join(dir, fmt.Sprintf("sweep-%d.sh", len(m.Jobs)+1))
	text := sbatchScript(exe, dir, &m, f.slurm, tasks, taskArgs)
	if err := atomicfile.Write(script, 0o600, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	}); err != nil {
		return fmt.Errorf("sweep: write the job script: %w", err)
	}
	var out, errOut strings.Builder
	cmd := exec.CommandContext(ctx, sbatch, "--parsable", script)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("sweep: sbatch %s: %w: %s", script, err, strings.TrimSpace(errOut.String()))
	}
	jobID, _, _ := strings.Cut(strings.TrimSpace(out.String()), ";") // "id;cluster" on federated clusters
	m.Jobs = append(m.Jobs, manifestJob{ID: jobID, Submitted: time.Now().UTC(), Script: script, Tasks: tasks})
	if err := writeManifest(dir, &m); err != nil {
		return fmt.Errorf("sweep: job %s is submitted, but its record was not written: %w", jobID, err)
	}
	fmt.Fprintf(stdout, "submitted job %s: %d array tasks for the %d of %d points not FINISHED (logs in %s)\n", jobID, len(tasks), len(pending), len(points), dir)
	fmt.Fprintf(stdout, "follow it with: stylelab sweep status -experiment %s", shellQuote(cfg.Experiment))
	if f.jobDir != "" {
		fmt.Fprintf(stdout, " -job-dir %s", shellQuote(f.jobDir))
	}
	fmt.Fprintln(stdout)
	return nil
}

// pointIdentity is the point's identity as SweepPoints claims it.
func pointIdentity(lab *experiments.Lab, pt experiments.Point) (string, error) {
	m, err := lab.ModelFor(pt.Plan)
	if err != nil {
		return "", err
	}
	return pt.Plan.Identity(m.Weights().SHA256), nil
}

// sbatchScript is the job array's batch script: each array task runs the
// points of its line in POINTS with the sweep's own flags.
func sbatchScript(exe, dir string, m *sweepManifest, s slurmFlags, tasks [][]int, args []string) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", shellWord("stylelab-"+m.Experiment))
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", len(tasks)-1)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", shellWord(filepath.Join(dir, "slurm-%A_%a.out")))
	if wd, err := os.Getwd(); err == nil {
		fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", shellWord(wd)) // relative image paths mean what they meant here
	}
	if s.partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", shellWord(s.partition))
	}
	if s.time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", shellWord(s.time))
	}
	if s.cpus > 0 {
		fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", s.cpus)
	}
	b.WriteString("# Written by stylelab sweep: each array task runs its points of the sweep,\n")
	b.WriteString("# claiming each in the store first; a point FINISHED or running elsewhere is skipped.\n")
	b.WriteString("set -eu\n")
	fmt.Fprintf(&b, "export STYLELAB_CACHE=%s\n", shellQuote(m.Cache))
	if m.Artifacts != "" {
		fmt.Fprintf(&b, "export %s=%s\n", store.ArtifactsEnv, shellQuote(m.Artifacts))
	}
	b.WriteString("if [ -n \"${SLURM_CPUS_PER_TASK:-}\" ]; then export GOMAXPROCS=$SLURM_CPUS_PER_TASK; fi\n")
	b.WriteString("POINTS=(")
	for _, t := range tasks {
		ids := make([]string, len(t))
		for i, p := range t {
			ids[i] = strconv.Itoa(p)
		}
		b.WriteString(" " + strings.Join(ids, ","))
	}
	b.WriteString(" )\n")
	cmd := []string{exe, "sweep", "-db", m.DB, "-weights", m.Weights, "-manifest", filepath.Join(dir, manifestName)}
	for i := range cmd {
		cmd[i] = shellQuote(cmd[i])
	}
	for _, a := range args {
		cmd = append(cmd, shellQuote(a))
	}
	cmd = append(cmd, `-points "${POINTS[$SLURM_ARRAY_TASK_ID]}"`)
	b.WriteString("exec " + strings.Join(cmd, " ") + "\n")
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellWord is s for an #SBATCH line, which Slurm splits at spaces.
func shellWord(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' {
			return '_'
		}
		return r
	}, s)
}

func readManifest(dir string) (*sweepManifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m sweepManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, manifestName), err)
	}
	return &m, nil
}

func writeManifest(dir string, m *sweepManifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, manifestName), 0o600, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// samePoints reports whether two records describe the same sweep.
func samePoints(a, b *sweepManifest) bool {
	if a.Experiment != b.Experiment || len(a.Points) != len(b.Points) {
		return false
	}
	for i := range a.Points {
		if a.Points[i] != b.Points[i] {
			return false
		}
	}
	return true
}

// checkManifest makes sure a task sees the points as they were submitted:
// the same weights and images (their hashes are in each identity), found
// through the shared folders.
func checkManifest(path string, lab *experiments.Lab, points []experiments.Point) error {
	m, err := readManifest(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("the sweep's record: %w", err)
	}
	if sha := lab.Model.Weights().SHA256; sha != m.WeightsSHA256 {
		return fmt.Errorf("the weights here (%s, sha256 %s) are not those the sweep was submitted with (sha256 %s): put them on the shared file system", lab.Model.Weights().Source, sha, m.WeightsSHA256)
	}
	for _, pt := range points {
		id, err := pointIdentity(lab, pt)
		if err != nil {
			return err
		}
		found := false
		for _, mp := range m.Points {
			if mp.Name == pt.Name() {
				found = true
				if mp.Identity != id {
					return fmt.Errorf("point %s is not the one submitted: its images differ here (identity %s, submitted %s); put the images on the shared file system", pt.Name(), id, mp.Identity)
				}
			}
		}
		if !found {
			return fmt.Errorf("point %s is not in the sweep submitted (%s)", pt.Name(), path)
		}
	}
	return nil
}
