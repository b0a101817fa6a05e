package kernel_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/store"
)

// TestConformance runs the Jupyter kernel conformance suite
// (jupyter_kernel_test, Debian's python3-jupyter-kernel-test) against the
// kernel installed by `stylelab kernel install`: all 12 of its tests must
// pass, none skipped.
func TestConformance(t *testing.T) {
	requireJupyter(t, "jupyter_kernel_test")
	env := installKernel(t)
	runUnittest(t, "conformance", 12, env, 3*time.Minute)
}

// TestInterrupt interrupts long cells (a transfer, by interrupt_request and
// by SIGINT, and an interpreted endless loop): each stops, later cells see
// earlier variables, and the transfers are logged INTERRUPTED. It also
// answers a cell's read of standard input through input_request, aborts
// the cells queued behind a failing one, and restarts the kernel
// (shutdown_request with restart).
func TestInterrupt(t *testing.T) {
	requireJupyter(t)
	db := filepath.Join(t.TempDir(), "stylelab.db")
	env := append(installKernel(t), "STYLELAB_SHARED="+testenv.Shared(t), "STYLELAB_DB="+db, "STYLELAB_CACHE="+t.TempDir())
	runUnittest(t, "interrupt", 8, env, 3*time.Minute)

	runs := storeRuns(t, db)
	for _, name := range []string{"interrupted-by-message", "interrupted-by-sigint"} {
		r, ok := runs[name]
		if !ok {
			t.Errorf("run %s is not in the store", name)
			continue
		}
		if r.Status != store.StatusInterrupted || r.LastStep >= 100000 {
			t.Errorf("run %s: status %s at step %d, want INTERRUPTED part way", name, r.Status, r.LastStep)
		}
	}
}

// TestNotebook executes notebooks/testdata/small_transfer.ipynb with
// `jupyter nbconvert --execute`: a 64 px transfer whose cells show its
// progress, preview and final image, a gonum loss plot and the stored run,
// then a second run compared with it, in the session and from the store.
func TestNotebook(t *testing.T) {
	requireJupyter(t, "nbconvert", "nbclient")
	dir := t.TempDir()
	db := filepath.Join(dir, "stylelab.db")
	env := append(installKernel(t), "STYLELAB_SHARED="+testenv.Shared(t), "STYLELAB_DB="+db, "STYLELAB_CACHE="+t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nb := filepath.Join(repoRoot(t), "notebooks", "testdata", "small_transfer.ipynb")
	cmd := exec.CommandContext(ctx, "/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.timeout=240", "--output-dir", dir, "--output", "executed", nb)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert --execute: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "executed.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var executed struct {
		Cells []struct {
			CellType string `json:"cell_type"`
			Outputs  []struct {
				OutputType string         `json:"output_type"`
				Data       map[string]any `json:"data"`
				EName      string         `json:"ename"`
				EValue     string         `json:"evalue"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &executed); err != nil {
		t.Fatal(err)
	}
	mimes := map[string]int{}
	for _, c := range executed.Cells {
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				t.Errorf("a cell failed: %s: %s", o.EName, o.EValue)
			}
			for mime := range o.Data {
				mimes[mime]++
			}
		}
	}
	// the gonum plot is a PNG output (the previews gave way to the results);
	// the lab's status, the progress bar, the result and the stored run are
	// HTML (with the final image and the loss plot inline).
	if mimes["image/png"] < 1 || mimes["text/html"] < 4 {
		t.Errorf("outputs by MIME type %v: want at least 1 image/png and 4 text/html", mimes)
	}
	text := string(data)
	if !strings.Contains(text, "VGG-19 loaded in") {
		t.Error("the first cell does not say the lab was loaded")
	}
	if !strings.Contains(text, "data:image/png;base64,") {
		t.Error("the result's HTML has no inline image")
	}
	// the two comparisons (results, then stored runs) show the differing beta
	if n := strings.Count(text, "comparison of run 1 notebook-small-transfer, run 2 notebook-small-transfer-beta"); n != 2 {
		t.Errorf("%d comparisons shown, want 2", n)
	}
	runs := storeRuns(t, db)
	for _, name := range []string{"notebook-small-transfer", "notebook-small-transfer-beta"} {
		if r, ok := runs[name]; !ok || r.Status != store.StatusFinished || r.LastStep != 6 {
			t.Errorf("stored run %s: %+v (found %v), want FINISHED at step 6", name, r, ok)
		}
	}
}

// storeRuns reads the runs of a store, by name.
func storeRuns(t *testing.T, path string) map[string]store.RunSummary {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.Runs(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]store.RunSummary{}
	for _, r := range list {
		runs[r.Name] = r
	}
	return runs
}

// TestFaults is the kernel's fault-injection suite through a real Jupyter
// client (kernel/testdata/faults.py): a panic on a goroutine a cell
// started (reported in its output, also after the cell ended), cells
// blocked in time.Sleep and in a receive (interrupted at once, abandoned,
// variables kept), recursion and allocation without end (interrupted by
// the guards), os.Exit (an error; the kernel lives), is_complete on 10,000
// nested brackets, and two crashes that end the process (a fatal stack
// overflow, a panic in a callback of compiled code), whose reason the
// crash monitor publishes to the cell.
func TestFaults(t *testing.T) {
	requireJupyter(t)
	env := append(installKernel(t), "STYLELAB_KERNEL_MEMORY_LIMIT=768MiB")
	runUnittest(t, "faults", 9, env, 5*time.Minute)
}
