package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSbatchScript runs a job script's command line with a stand-in for
// stylelab that prints its arguments: every argument arrives as given,
// whatever its quotes and spaces, and each array task gets its points.
func TestSbatchScript(t *testing.T) {
	dir := t.TempDir()
	echo := filepath.Join(dir, "print args")
	if err := os.WriteFile(echo, []byte("#!/bin/sh\nfor a; do printf '%s\\n' \"$a\"; done\necho \"cache=$STYLELAB_CACHE\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &sweepManifest{Experiment: "it's a test", DB: "postgres://u:p'w@h/db", Weights: "/w/vgg 19", Cache: "/c/a b", Artifacts: "/art"}
	args := []string{"-experiment", "it's a test", "-axis", "style_layers=conv1_1|conv1_1,conv2_1", "-content", "my photo.jpg", "-style", `a"b$c.jpg`}
	tasks := [][]int{{0, 1}, {3}}
	script := sbatchScript(echo, dir, m, slurmFlags{partition: "gpu", time: "10:00", cpus: 4}, tasks, args)
	for _, want := range []string{"#SBATCH --array=0-1\n", "#SBATCH --partition=gpu\n", "#SBATCH --time=10:00\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --job-name=stylelab-it's_a_test\n"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	path := filepath.Join(dir, "job.sh")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	for task, points := range []string{"0,1", "3"} {
		cmd := exec.Command("bash", path)
		cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID="+string(rune('0'+task)))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("task %d: %v\n%s", task, err, out)
		}
		want := append([]string{"sweep", "-db", m.DB, "-weights", m.Weights, "-manifest", filepath.Join(dir, manifestName)}, args...)
		want = append(want, "-points", points, "cache="+m.Cache)
		if got := strings.Split(strings.TrimSpace(string(out)), "\n"); !reflect.DeepEqual(got, want) {
			t.Errorf("task %d runs\n%q\nwant\n%q", task, got, want)
		}
	}
}

func TestTakeFlags(t *testing.T) {
	args := []string{"-engine", "slurm", "-axis", "ratio=1|2", "--workers=3", "-per-task", "2", "-size", "32"}
	got, rest, err := takeFlags(args, engineFlags...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, map[string]string{"engine": "slurm", "workers": "3", "per-task": "2"}) ||
		!reflect.DeepEqual(rest, []string{"-axis", "ratio=1|2", "-size", "32"}) {
		t.Errorf("takeFlags = %v, %v", got, rest)
	}
	if _, _, err := takeFlags([]string{"-size", "32", "-engine"}, engineFlags...); err == nil {
		t.Error("a flag without its value was accepted")
	}
}

func TestExpandIndices(t *testing.T) {
	for in, want := range map[string][]int{"3": {3}, "2-4": {2, 3, 4}, "1,5-6%2": {1, 5, 6}, "x": nil} {
		if got := expandIndices(in); !reflect.DeepEqual(got, want) {
			t.Errorf("expandIndices(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestSweepFlagErrors: flags that do not go together are refused before
// anything loads, with the fix.
func TestSweepFlagErrors(t *testing.T) {
	base := []string{"-experiment", "e", "-axis", "ratio=1e-3|1e-2"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-experiment", "e"}, "no -axis given"},
		{[]string{"-axis", "ratio=1"}, "name the experiment"},
		{append([]string{"-engine", "cloud"}, base...), `-engine "cloud": use local or slurm`},
		{append([]string{"-workers", "0"}, base...), "-workers 0"},
		{append([]string{"-engine", "slurm", "-workers", "2"}, base...), "-workers is for -engine local"},
		{append([]string{"-partition", "p"}, base...), "-partition is for -engine slurm"},
		{append([]string{"-engine", "slurm", "-per-task", "0"}, base...), "-per-task 0"},
		{append([]string{"-points", "0"}, "-experiment", "e"), "no -axis given"},
	} {
		_, err := parseSweepFlags(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sweep %v: %v; want %q", c.args, err, c.want)
		}
	}
}

func TestWorkerEnv(t *testing.T) {
	for _, tc := range []struct {
		name       string
		environ    []string
		cpus, n    int
		gomaxprocs string
	}{
		{"two workers share two cores", []string{"HOME=/root"}, 2, 2, "1"},
		{"four cores for two workers", []string{"HOME=/root"}, 4, 2, "2"},
		{"more workers than cores", nil, 2, 5, "1"},
		{"the caller's setting is kept", []string{"GOMAXPROCS=3"}, 2, 2, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, kv := range workerEnv(tc.environ, tc.cpus, tc.n) {
				if v, ok := strings.CutPrefix(kv, "GOMAXPROCS="); ok {
					got = append(got, v)
				}
			}
			if len(got) != 1 || got[0] != tc.gomaxprocs {
				t.Errorf("GOMAXPROCS in the worker's environment: %v, want [%s]", got, tc.gomaxprocs)
			}
		})
	}
}
