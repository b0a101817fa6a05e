package ops_test

import (
	"math"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/ops"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/tfjs"
)

// TestWinogradPrecisionOnVGG runs VGG-19 with the real weights on a real
// photograph (Tuebingen, 256 px) and compares every conv layer's response
// under each Winograd tile size with direct convolution (GEMM): the
// relative L2 error of each layer must stay within the algorithm's limit.
// Errors compound through the layers, so the deepest taps are the test.
func TestWinogradPrecisionOnVGG(t *testing.T) {
	w, err := tfjs.Load(testenv.WeightsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	w.FC = nil
	m, err := vgg.New(w)
	if err != nil {
		t.Fatal(err)
	}
	img, err := imaging.Load(testenv.Path(t, "images", "tubingen.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	p := imaging.ToPlanar(imaging.FitLongest(img, 256))
	x := w.Preprocess.Preprocess(p.Pix)
	taps := vgg.ConvNames
	features := func(a ops.Algorithm) map[string]vgg.Feature {
		t.Helper()
		if err := m.Workspace().SetAlgorithm(a); err != nil {
			t.Skip(err)
		}
		f, err := m.Features(x, p.H, p.W, taps, ops.AvgPool)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	direct := features(ops.GEMM)
	tests := []struct {
		algo  ops.Algorithm
		limit float64
	}{
		{ops.Winograd, 1e-4},
		{ops.Winograd2, 1e-4},
		{ops.Winograd6, 1e-4},
	}
	for _, tc := range tests {
		t.Run(tc.algo.String(), func(t *testing.T) {
			got := features(tc.algo)
			for _, name := range taps {
				want := direct[name].Data
				var num, den float64
				for i, v := range got[name].Data {
					d := float64(v) - float64(want[i])
					num += d * d
					den += float64(want[i]) * float64(want[i])
				}
				rel := math.Sqrt(num / den)
				t.Logf("%s: relative L2 error %.2e", name, rel)
				if !(rel <= tc.limit) {
					t.Errorf("%s: relative L2 error %.3g exceeds %g", name, rel, tc.limit)
				}
			}
		})
	}
}
