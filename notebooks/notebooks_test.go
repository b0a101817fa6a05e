// Package notebooks holds the Go notebooks that reproduce the figures of
// Gatys et al. (CVPR 2016) in the Stylelab kernel; its test executes each of
// them with real Jupyter.
package notebooks

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/store"
)

// notebook is the part of an executed .ipynb the test reads.
type notebook struct {
	Cells []struct {
		CellType string `json:"cell_type"`
		Metadata struct {
			Tags []string `json:"tags"`
		} `json:"metadata"`
		Outputs []struct {
			OutputType string         `json:"output_type"`
			Data       map[string]any `json:"data"`
			Ename      string         `json:"ename"`
			Evalue     string         `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

// TestNotebooksExecute runs every notebook with `jupyter nbconvert --execute`
// in the Stylelab kernel, shrunk by STYLELAB_QUICK, and checks that each
// showed its figure and logged its runs.
func TestNotebooksExecute(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "stylelab")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/stylelab").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	prefix := filepath.Join(tmp, "jupyter")
	if out, err := exec.Command(bin, "kernel", "install", "-prefix", prefix).CombinedOutput(); err != nil {
		t.Fatalf("kernel install: %v\n%s", err, out)
	}
	shared, err := filepath.Abs(testenv.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(tmp, "runs.db")
	env := append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"),
		"STYLELAB_QUICK=1", "STYLELAB_SHARED="+shared, "STYLELAB_DB="+db, "STYLELAB_CACHE="+filepath.Join(tmp, "cache"))
	tests := []struct {
		file string
		runs map[string]int // finished runs by experiment
	}{
		{"01-tour.ipynb", map[string]int{"tour": 2}},
		{"02-style-reconstructions.ipynb", map[string]int{"fig1-content-reconstructions": 5, "fig1-style-reconstructions": 5}},
		{"03-four-styles.ipynb", map[string]int{"fig3-four-styles": 4}},
		{"04-layers-by-ratio.ipynb", map[string]int{"fig4-layers-by-ratio": 20}},
		{"05-content-layer.ipynb", map[string]int{"fig5-content-layer": 2}},
		{"06-initialisation.ipynb", map[string]int{"fig6-initialisation": 6}},
		{"07-which-layers.ipynb", map[string]int{"which-layers-weights": 3, "which-layers-single": 5, "which-layers-terms": 1}},
		{"08-ratios.ipynb", map[string]int{"ratios": 14}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cmd := exec.Command("/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute",
				"--ExecutePreprocessor.timeout=600", "--output-dir", tmp, tc.file)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nbconvert --execute %s: %v\n%s", tc.file, err, out)
			}
			data, err := os.ReadFile(filepath.Join(tmp, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var nb notebook
			if err := json.Unmarshal(data, &nb); err != nil {
				t.Fatal(err)
			}
			figures := 0
			for i, c := range nb.Cells {
				for _, o := range c.Outputs {
					if o.OutputType == "error" {
						t.Errorf("cell %d: %s: %s", i, o.Ename, o.Evalue)
					}
				}
				if len(c.Metadata.Tags) == 0 || c.Metadata.Tags[0] != "grid" {
					continue
				}
				for _, o := range c.Outputs {
					html := text(o.Data["text/html"])
					if _, ok := o.Data["image/png"]; ok || strings.Contains(html, "<img") {
						figures++
					}
				}
			}
			if figures == 0 {
				t.Error("the figure cell (tagged grid) shows no image")
			}
			s, err := store.Open(db)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for experiment, want := range tc.runs {
				runs, err := s.Runs(context.Background(), `experiment = "`+experiment+`" and status = "FINISHED"`)
				if err != nil {
					t.Fatal(err)
				}
				if len(runs) != want {
					t.Errorf("%d finished runs of %s in the store, want %d", len(runs), experiment, want)
				}
			}
		})
	}
}

// text is a notebook output's text: nbformat stores it as one string or as
// a list of lines.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, line := range v {
			s, _ := line.(string)
			b.WriteString(s)
		}
		return b.String()
	}
	return ""
}
