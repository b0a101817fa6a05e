package analysis

import (
	"context"
	"github.com/stylelab/stylelab/internal/testmodel"
	"image"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/vgg"
)

func painting(t testing.TB, name string) image.Image {
	img, err := imaging.Load(testenv.Path(t, "images", name))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// flipped mirrors img left to right.
func flipped(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(b.Dx()-1-x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// TestStyleDistances: the matrices are symmetric with a zero diagonal, and
// a painting is nearer its own mirror image than any other painting at
// every layer.
func TestStyleDistances(t *testing.T) {
	m := testmodel.Model(t)
	names := []string{"starry_night", "starry_night mirrored", "shipwreck", "the_scream", "composition_vii"}
	starry := painting(t, "starry_night.jpg")
	images := []image.Image{starry, flipped(starry), painting(t, "shipwreck.jpg"), painting(t, "the_scream.jpg"), painting(t, "composition_vii.jpg")}
	layers := []string{"conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"}
	d, err := StyleDistances(m, images, names, layers, 96, vgg.AvgPool)
	if err != nil {
		t.Fatal(err)
	}
	for l, layer := range layers {
		v := d.Values[l]
		for i := range names {
			if v[i][i] != 0 {
				t.Errorf("%s: d(%s, itself) = %g", layer, names[i], v[i][i])
			}
			for j := range names {
				if v[i][j] != v[j][i] || (i != j && !(v[i][j] > 0)) {
					t.Errorf("%s: d(%d,%d) = %g, d(%d,%d) = %g", layer, i, j, v[i][j], j, i, v[j][i])
				}
			}
		}
		if near := d.Nearest(l, 0); near[0] != 1 {
			t.Errorf("%s: the nearest to The Starry Night is %s (%.3f), not its mirror image (%.3f)", layer, names[near[0]], v[0][near[0]], v[0][1])
		}
	}
	t.Logf("\n%s", d)
	if _, err := StyleDistances(m, images[:1], names[:1], layers, 96, vgg.AvgPool); err == nil {
		t.Error("one image was accepted")
	}
	if _, err := StyleDistances(m, images, names, []string{"conv9_1"}, 96, vgg.AvgPool); err == nil || !strings.Contains(err.Error(), "conv9_1") {
		t.Errorf("unknown layer: %v", err)
	}
}

// TestSharesOfARun: the loss shares of a logged run are w_l E_l over their
// sum at every step, and the gradient shares of its snapshots sum to 1.
func TestSharesOfARun(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lab := &experiments.Lab{Model: testmodel.Model(t), Store: s}
	cfg := transfer.Defaults()
	cfg.ContentPath = testenv.Path(t, "images", "tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: testenv.Path(t, "images", "starry_night.jpg")}}
	cfg.StyleLayers = []transfer.LayerWeight{{Layer: "conv1_1", Weight: 0.5}, {Layer: "conv3_1", Weight: 0.3}, {Layer: "conv5_1", Weight: 0.2}}
	cfg.Size, cfg.Iterations, cfg.SnapshotEvery = 48, 4, 2
	ctx := context.Background()
	res, err := lab.Run(ctx, cfg, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.Get(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	shares, err := LossShares(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(shares.Steps) != 4 || strings.Join(shares.Layers, ",") != "conv1_1,conv3_1,conv5_1" {
		t.Fatalf("steps %v layers %v", shares.Steps, shares.Layers)
	}
	for i, step := range res.Steps {
		var sum float64
		for _, l := range cfg.StyleLayers {
			sum += l.Weight * step.Layers["style/"+l.Layer]
		}
		for k, l := range cfg.StyleLayers {
			want := l.Weight * step.Layers["style/"+l.Layer] / sum
			if got := shares.Values[k][i]; math.Abs(got-want) > 1e-12 {
				t.Errorf("step %d %s: share %g, want %g", step.Iteration, l.Layer, got, want)
			}
		}
	}
	steps, images, err := Snapshots(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0] != 2 || steps[1] != 4 {
		t.Fatalf("snapshot steps %v, want [2 4] (the final image is step 4's snapshot)", steps)
	}
	g, err := GradientShares(lab.Model, res.Plan, steps, images)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Steps {
		var sum float64
		for _, v := range g.At(i) {
			if !(v > 0) {
				t.Errorf("step %d: a layer has no share: %v", g.Steps[i], g.At(i))
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("step %d: shares %v sum to %g", g.Steps[i], g.At(i), sum)
		}
	}
	t.Logf("%s\n%s", shares, g)

	noStyle := *rec
	noStyle.Metrics = nil
	if _, err := LossShares(&noStyle); err == nil || !strings.Contains(err.Error(), "logged no style/conv1_1") {
		t.Errorf("a run without style metrics: %v", err)
	}
}
