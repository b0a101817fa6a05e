package kernel_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/store"
)

// meanStdCell defines a loss term in a cell: each channel's mean and
// standard deviation at conv2_1 matched to the style image's, as a
// gorgonia expression, with the cell's own text as its source.
const meanStdCell = `import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
	"github.com/stylelab/stylelab/transfer"
)
stats := func(f *G.Node) (*G.Node, *G.Node) {
	s := f.Shape()
	flat := G.Must(G.Reshape(f, tensor.Shape{s[0], s[1] * s[2]}))
	mu := G.Must(G.Mean(flat, 1))
	d := G.Must(G.BroadcastSub(flat, mu, nil, []byte{1}))
	v := G.Must(G.Add(G.Must(G.Mean(G.Must(G.Square(d)), 1)), G.NewConstant(float32(1e-5))))
	return mu, G.Must(G.Sqrt(v))
}
meanStd := transfer.Term{Name: "meanstd", Layer: "conv2_1", Weight: 1e3, Source: display.CellSource(ctx),
	Build: func(in transfer.TermInput) (*G.Node, error) {
		mu, sd := stats(in.Features)
		muS, sdS := stats(in.Styles[0])
		a := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(mu, muS))))))
		b := G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(sd, sdS))))))
		return G.Add(a, b)
	}}`

// TestCellDefinesLossTerm runs, in the kernel process through a Jupyter
// client, a cell that defines a mean/std loss term and a cell that runs a
// transfer with it in place of the Gram loss: the term falls, and the store
// records it with the sha256 of the defining cell and that cell's text.
func TestCellDefinesLossTerm(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the kernel process and runs a transfer; skipped with -short")
	}
	db := filepath.Join(t.TempDir(), "runs.db")
	t.Setenv("STYLELAB_DB", db)
	t.Setenv("STYLELAB_CACHE", t.TempDir())
	c := startKernel(t, stylelabBinary(t), t.TempDir())
	defer c.close()
	run := `import "github.com/stylelab/stylelab/experiments"
lab, err := experiments.OpenLab(` + "`" + testenv.WeightsDir(t) + "`" + `, "")
if err != nil {
	panic(err)
}
cfg := transfer.Defaults()
cfg.Experiment, cfg.Name = "cell-term", "meanstd"
cfg.ContentPath = ` + "`" + testenv.Path(t, "images", "tubingen.jpg") + "`" + `
cfg.Styles = []transfer.Style{{Path: ` + "`" + testenv.Path(t, "images", "starry_night.jpg") + "`" + `}}
cfg.Ratio, cfg.Beta = 0, 0 // the term replaces the Gram loss
cfg.Terms = []transfer.Term{meanStd}
cfg.Size, cfg.Iterations = 48, 8
res, err := lab.Run(ctx, cfg, transfer.Hooks{})
if err != nil {
	panic(err)
}`
	for _, cell := range []struct {
		code  string
		exprs map[string]string
	}{
		{meanStdCell, nil},
		{run, map[string]string{"falls": "res.Last().Terms < res.Steps[0].Terms/2", "style": "res.Last().Style",
			"values": `fmt.Sprint(res.Steps[0].Terms, res.Last().Terms, res.Steps[0].Content, res.Last().Content)`}},
	} {
		c.send(t, c.signer, "execute_request", map[string]any{"code": cell.code, "silent": false, "store_history": true,
			"user_expressions": cell.exprs, "allow_stdin": false, "stop_on_error": true})
		m, err := c.reply(3 * time.Minute)
		if err != nil {
			t.Fatalf("%v\n%s", err, c.log)
		}
		var content struct {
			Status          string `json:"status"`
			EName           string `json:"ename"`
			EValue          string `json:"evalue"`
			UserExpressions map[string]struct {
				Data map[string]string `json:"data"`
			} `json:"user_expressions"`
		}
		if err := m.Decode(&content); err != nil {
			t.Fatal(err)
		}
		if content.Status != "ok" {
			t.Fatalf("cell failed: %s: %s\n%s", content.EName, content.EValue, c.log)
		}
		if cell.exprs != nil {
			t.Logf("terms first, last; content first, last: %s", content.UserExpressions["values"].Data["text/plain"])
		}
		for key, want := range map[string]string{"falls": "true", "style": "0"} {
			if cell.exprs == nil {
				break
			}
			if got := content.UserExpressions[key].Data["text/plain"]; got != want {
				t.Errorf("%s = %q, want %q", cell.exprs[key], got, want)
			}
		}
	}
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.Runs(context.Background(), `experiment = "cell-term"`)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != store.StatusFinished {
		t.Fatalf("runs %+v, want one FINISHED", runs)
	}
	rec, err := s.Get(context.Background(), runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(meanStdCell))
	if v, _ := rec.Param("terms"); v != "meanstd:conv2_1:1000:"+hex.EncodeToString(sum[:])[:16] {
		t.Errorf("terms param %q, want the hash of the defining cell", v)
	}
	var source string
	for _, a := range rec.Artifacts {
		if a.Kind == store.KindSource {
			data, err := os.ReadFile(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			source = string(data)
		}
	}
	if source != meanStdCell {
		t.Errorf("stored source %q, want the defining cell", strings.TrimSpace(source))
	}
}
