package transfer

import (
	"context"
	"github.com/stylelab/stylelab/ops"
	"math"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/internal/testmodel"
	"github.com/stylelab/stylelab/vgg"
)

func sharedModel(t testing.TB) *vgg.Model { return testmodel.Model(t) }

func paperConfig(t testing.TB, size, iterations int) Config {
	cfg := Defaults()
	cfg.ContentPath = testenv.Path(t, "images", "tubingen.jpg")
	cfg.Styles = []Style{{Path: testenv.Path(t, "images", "starry_night.jpg")}}
	cfg.Size, cfg.Iterations = size, iterations
	return cfg
}

// TestTransferReducesStyleLoss is the end-to-end run of the paper's setting
// at 128 px on the shared images.
func TestTransferReducesStyleLoss(t *testing.T) {
	cfg := paperConfig(t, 128, 40)
	res, err := Transfer(context.Background(), sharedModel(t), cfg, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.Steps[0], res.Last()
	t.Logf("iterations %d, evaluations %d, %v; style %.4g -> %.4g, content %.4g -> %.4g",
		res.Iterations, res.Evaluations, res.Elapsed, first.Style, last.Style, first.Content, last.Content)
	if res.Iterations != cfg.Iterations {
		t.Errorf("ran %d iterations, want %d", res.Iterations, cfg.Iterations)
	}
	if last.Style*10 > first.Style {
		t.Errorf("style loss fell from %g to %g, want at least 10x", first.Style, last.Style)
	}
	if b := res.Image.Bounds(); b.Dx() != 128 || b.Dy() != 96 {
		t.Errorf("output is %v, want 128x96", b)
	}
}

// TestConvolutionAlgorithmsConverge runs the paper's setting for 400
// iterations at 64 px, near convergence (before it, runs with equal losses
// can take paths apart by a few percent), with direct (GEMM) and the
// default Winograd convolutions: each records its algorithm and the two
// end within 0.5% of each other.
func TestConvolutionAlgorithmsConverge(t *testing.T) {
	m := sharedModel(t)
	final := map[string]float64{}
	for _, conv := range []string{"gemm", "winograd"} {
		a, _ := ops.ParseAlgorithm(conv)
		if err := ops.Supported(a); err != nil {
			t.Logf("%s: %v", conv, err)
			continue
		}
		cfg := paperConfig(t, 64, 400)
		cfg.Convolution = conv
		res, err := Transfer(context.Background(), m, cfg, Hooks{})
		if err != nil {
			t.Fatalf("%s: %v", conv, err)
		}
		recorded := ""
		for _, p := range res.Plan.Params() {
			if p.Key == "convolution" {
				recorded = p.Value
			}
		}
		if recorded != conv {
			t.Errorf("%s: run recorded convolution %q", conv, recorded)
		}
		final[conv] = res.Last().Total
		t.Logf("%-12s final loss %.6g after %d iterations (%v)", conv, res.Last().Total, res.Iterations, res.Stops)
	}
	for conv, f := range final {
		if d := math.Abs(f-final["gemm"]) / final["gemm"]; d > 0.005 {
			t.Errorf("%s ends at %.6g, %.2f%% from gemm's %.6g: want within 0.5%%", conv, f, 100*d, final["gemm"])
		}
	}
}
