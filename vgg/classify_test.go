package vgg_test

import (
	"fmt"
	"image"
	_ "image/jpeg"
	"os"
	"sync"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/tfjs"
)

var shared struct {
	once sync.Once
	w    *vgg.Weights
	err  error
}

func sharedWeights(t testing.TB) *vgg.Weights {
	shared.once.Do(func() { shared.w, shared.err = tfjs.Load(testenv.WeightsDir(t)) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.w
}

func planarRGB(t *testing.T, path string) []float32 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	n := b.Dx() * b.Dy()
	out := make([]float32, 3*n)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := y*b.Dx() + x
			out[i], out[n+i], out[2*n+i] = float32(r>>8)/255, float32(g>>8)/255, float32(bl>>8)/255
		}
	}
	return out
}

// TestClassifyImageNet is the end-to-end check of loader, preprocessing and
// layer order against the classes stated in imagenet-check/README.md.
func TestClassifyImageNet(t *testing.T) {
	m, err := vgg.New(sharedWeights(t))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := vgg.LoadLabels(testenv.Path(t, "imagenet-check", "synset_words.txt"))
	if err != nil {
		t.Fatal(err)
	}
	isCat := func(c vgg.Class) bool {
		return map[string]bool{"tabby": true, "tiger cat": true, "Persian cat": true, "Egyptian cat": true, "lynx": true}[labels[c.Index]]
	}
	tests := []struct {
		file  string
		check func(top []vgg.Class) bool
		want  string
	}{
		{"dingo.jpg", func(top []vgg.Class) bool {
			return labels[top[0].Index] == "dingo" && top[0].Index == 273 && top[0].Prob > 0.9
		}, "dingo (line 274) with p > 0.9"},
		{"dog2.jpg", func(top []vgg.Class) bool {
			second := labels[top[1].Index]
			return labels[top[0].Index] == "dingo" && (second == "Siberian husky" || second == "Eskimo dog")
		}, "dingo then Siberian husky / Eskimo dog"},
		{"cat1.jpg", func(top []vgg.Class) bool {
			for _, c := range top[:5] {
				if !isCat(c) {
					return false
				}
			}
			return true
		}, "five cat classes"},
		{"cat2.jpg", func(top []vgg.Class) bool { return isCat(top[0]) }, "a cat class first"},
		{"house1.jpg", func(top []vgg.Class) bool {
			return labels[top[0].Index] == "picket fence" && labels[top[1].Index] == "church"
		}, "picket fence then church"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			probs, err := m.Classify(planarRGB(t, testenv.Path(t, "imagenet-check", tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			top := vgg.Top(probs, 5)
			if !tc.check(top) {
				names := make([]string, len(top))
				for i, c := range top {
					names[i] = fmt.Sprintf("%s %.3f", labels[c.Index], c.Prob)
				}
				t.Errorf("top 5 = %v, want %s", names, tc.want)
			}
		})
	}
}
