package vgg_test

import (
	"image"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights"
)

var normalised struct {
	once   sync.Once
	images []image.Image
	w      *vgg.Weights
	n      *vgg.Normalisation
	err    error
}

// sharedNormalised is the shared VGG-19 (classifier included) normalised
// over the standard image set with average pooling at 256 px.
func sharedNormalised(t *testing.T) ([]image.Image, *vgg.Weights, *vgg.Normalisation) {
	w := sharedWeights(t)
	normalised.once.Do(func() {
		t.Setenv("STYLELAB_SHARED", testenv.Shared(t))
		normalised.images, _, normalised.err = weights.LoadStandardSet("")
		if normalised.err == nil {
			normalised.w, normalised.n, normalised.err = vgg.Normalise(w, normalised.images, vgg.AvgPool, 256)
		}
	})
	if normalised.err != nil {
		t.Fatal(normalised.err)
	}
	return normalised.images, normalised.w, normalised.n
}

// TestNormaliseMeansAreOne measures the normalised network over the images
// it was normalised on: every live filter's mean activation is 1, dead
// filters stay dead and are reported, and the record says what was done.
func TestNormaliseMeansAreOne(t *testing.T) {
	raw := sharedWeights(t)
	images, w, n := sharedNormalised(t)
	if n.Version != vgg.NormalisationVersion || n.Images != len(images) || n.Size != 256 || n.Pooling != vgg.AvgPool ||
		n.SourceSHA256 != raw.SHA256 || n.ImageSetSHA256 != vgg.ImageSetSHA256(images) || w.Normalised != n {
		t.Errorf("record %+v does not describe the normalisation of %d images", *n, len(images))
	}
	if w.SHA256 == raw.SHA256 || w.SHA256 != vgg.NormalisedSHA256(raw.SHA256, n.ImageSetSHA256, vgg.AvgPool, 256) {
		t.Errorf("normalised SHA256 %q, want NormalisedSHA256 of the source", w.SHA256)
	}
	m, err := vgg.New(w)
	if err != nil {
		t.Fatal(err)
	}
	means, err := m.FilterMeans(images, vgg.AvgPool, 256)
	if err != nil {
		t.Fatal(err)
	}
	dead := map[string]map[int]bool{}
	for _, d := range n.Dead {
		if dead[d.Layer] == nil {
			dead[d.Layer] = map[int]bool{}
		}
		dead[d.Layer][d.Filter] = true
		t.Logf("dead filter: %s #%d (mean %g)", d.Layer, d.Filter, d.Mean)
	}
	for _, name := range vgg.ConvNames {
		worst := 0.0
		for k, v := range means[name] {
			if dead[name][k] {
				if v != 0 || n.Means[name][k] != 1 {
					t.Errorf("dead filter %s #%d: mean %g after normalising, factor %g; want 0 and 1", name, k, v, n.Means[name][k])
				}
				continue
			}
			worst = max(worst, math.Abs(v-1))
		}
		if worst > 1e-3 {
			t.Errorf("%s: a filter's mean is off 1 by %g, want within 1e-3", name, worst)
		}
	}
}

// TestNormalisedFeaturesAreScaled runs both networks on an image outside
// the set: at every conv tap, with either pooling, the normalised response
// times the filter's factor is the raw response.
func TestNormalisedFeaturesAreScaled(t *testing.T) {
	raw, err := vgg.New(sharedWeights(t))
	if err != nil {
		t.Fatal(err)
	}
	_, w, n := sharedNormalised(t)
	norm, err := vgg.New(w)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := imaging.Load(testenv.Path(t, "images", "tubingen.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	crop := imaging.FitLongest(photo.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(300, 200, 700, 500)), 160) // not an image of the set
	rgb := imaging.ToPlanar(crop)
	x := raw.Weights().Preprocess.Preprocess(rgb.Pix)
	for _, pooling := range []vgg.Pooling{vgg.AvgPool, vgg.MaxPool} {
		t.Run(pooling.String(), func(t *testing.T) {
			want, err := raw.Features(x, rgb.H, rgb.W, vgg.ConvNames, pooling)
			if err != nil {
				t.Fatal(err)
			}
			got, err := norm.Features(x, rgb.H, rgb.W, vgg.ConvNames, pooling)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range vgg.ConvNames {
				r, g := want[name], got[name]
				size := r.H * r.W
				var peak, worst, num, den float64
				for i, v := range r.Data {
					d := math.Abs(float64(g.Data[i])*n.Means[name][i/size] - float64(v))
					peak, worst = max(peak, math.Abs(float64(v))), max(worst, d)
					num, den = num+d*d, den+float64(v)*float64(v)
				}
				if rel := math.Sqrt(num / den); rel > 1e-4 || worst > 1e-4*peak {
					t.Errorf("%s: normalised x factor differs from raw by %.3g (relative, L2) and at most %.3g of the peak; want both within 1e-4", name, rel, worst/peak)
				}
			}
		})
	}
}

// TestNormalisedClassifies: fc6 compensates conv5_4's factors, so the
// normalised network classifies dingo.jpg as the raw one does.
func TestNormalisedClassifies(t *testing.T) {
	raw, err := vgg.New(sharedWeights(t))
	if err != nil {
		t.Fatal(err)
	}
	_, w, _ := sharedNormalised(t)
	norm, err := vgg.New(w)
	if err != nil {
		t.Fatal(err)
	}
	rgb := planarRGB(t, testenv.Path(t, "imagenet-check", "dingo.jpg"))
	want, err := raw.Classify(rgb)
	if err != nil {
		t.Fatal(err)
	}
	got, err := norm.Classify(rgb)
	if err != nil {
		t.Fatal(err)
	}
	r, g := vgg.Top(want, 1)[0], vgg.Top(got, 1)[0]
	t.Logf("raw: class %d p=%.6f; normalised: class %d p=%.6f", r.Index, r.Prob, g.Index, g.Prob)
	if r.Index != 273 || g.Index != r.Index || math.Abs(float64(g.Prob-r.Prob)) > 1e-4 {
		t.Errorf("normalised top-1 is class %d p=%.6f, raw class %d p=%.6f; want the dingo (273) with equal probability", g.Index, g.Prob, r.Index, r.Prob)
	}
}

// TestNormaliseRefuses: bad input is an error naming the problem.
func TestNormaliseRefuses(t *testing.T) {
	raw := sharedWeights(t)
	images, w, _ := sharedNormalised(t)
	tiny := image.NewRGBA(image.Rect(0, 0, 31, 200))
	tests := []struct {
		name    string
		w       *vgg.Weights
		images  []image.Image
		size    int
		wantErr string
	}{
		{"already normalised", w, images, 256, "already normalised"},
		{"no weights", nil, images, 256, "no weights"},
		{"no images", raw, nil, 256, "no images"},
		{"nil image", raw, []image.Image{images[0], nil}, 256, "image 2: it is nil"},
		{"small image", raw, []image.Image{tiny}, 256, "image 1: it is 31x200, too small"},
		{"small size", raw, images, 16, "size 16 is too small"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, n, err := vgg.Normalise(tc.w, tc.images, vgg.AvgPool, tc.size)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || out != nil || n != nil {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
