package transfer

import (
	"context"
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
