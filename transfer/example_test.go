package transfer_test

import (
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/transfer"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A Config is checked once into a Plan with typed values; every problem is
// reported at once, with its fix.
func ExampleConfig_Resolve() {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	cfg := transfer.Defaults()
	cfg.ContentImage = img
	cfg.Styles = []transfer.Style{{Image: img}}
	cfg.Ratio = 1e-2
	cfg.Scales = []int{32, 64}
	p, err := cfg.Resolve()
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Alpha, p.Beta, p.Sizes, p.Optimizer, p.Bounded)
	fmt.Println(p.StyleLayerNames())

	cfg.StyleLayers = transfer.EqualWeights("conv1_1", "conv9_9")
	cfg.Optimizer = "sgd"
	_, err = cfg.Resolve()
	fmt.Println(err)
	// Output:
	// 1 100 [32 64] lbfgs true
	// [conv1_1 conv2_1 conv3_1 conv4_1 conv5_1]
	// transfer: unknown optimizer "sgd": use "lbfgs" or "adam"
	// transfer: style layers: vgg: unknown layer "conv9_9": valid layers are conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, relu2_1, conv2_2, relu2_2, pool2, conv3_1, relu3_1, conv3_2, relu3_2, conv3_3, relu3_3, conv3_4, relu3_4, pool3, conv4_1, relu4_1, conv4_2, relu4_2, conv4_3, relu4_3, conv4_4, relu4_4, pool4, conv5_1, relu5_1, conv5_2, relu5_2, conv5_3, relu5_3, conv5_4, relu5_4, pool5
}

// Every setting has one name: its key in the store and in sweep axes, its
// flag (the key with - for _), and its Config field.
func ExampleSettings() {
	for _, s := range transfer.Settings() {
		switch s.Key {
		case "tv_weight", "lbfgs_history", "ratio":
			fmt.Printf("%s -%s Config.%s default %q\n", s.Key, s.Flag, s.Field, s.Default)
		}
	}
	cfg := transfer.Defaults()
	if err := cfg.Set("tv_weight", "1e-3"); err != nil {
		panic(err)
	}
	fmt.Println(cfg.TVWeight)
	// Output:
	// ratio -ratio Config.Ratio default "0.001"
	// tv_weight -tv-weight Config.TVWeight default "0"
	// lbfgs_history -lbfgs-history Config.LBFGSHistory default "20"
	// 0.001
}

// A custom loss term written as a gorgonia expression: each channel's mean
// matched to the style image's at conv3_1, beside the paper's terms. The
// run records the term by name, layer, weight and the hash of its Source
// (in a notebook, the cell's text; in Go, whatever names the code).
func ExampleTerm() {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	means := func(in transfer.TermInput) (*G.Node, error) {
		mean := func(f *G.Node) *G.Node {
			s := f.Shape()
			return G.Must(G.Mean(G.Must(G.Reshape(f, tensor.Shape{s[0], s[1] * s[2]})), 1))
		}
		return G.Sum(G.Must(G.Square(G.Must(G.Sub(mean(in.Features), mean(in.Styles[0]))))))
	}
	cfg := transfer.Defaults()
	cfg.ContentImage = img
	cfg.Styles = []transfer.Style{{Image: img}}
	cfg.Terms = []transfer.Term{{Name: "means", Layer: "conv3_1", Weight: 100, Source: "ExampleTerm in transfer/example_test.go", Build: means}}
	p, err := cfg.Resolve()
	if err != nil {
		panic(err)
	}
	for _, q := range p.Params() {
		if q.Key == "terms" {
			fmt.Println(q.Value)
		}
	}
	fmt.Println(p.Taps())
	// Output:
	// means:conv3_1:100:43ef55fec0b88a0e
	// [conv4_2 conv1_1 conv2_1 conv3_1 conv4_1 conv5_1 conv3_1]
}

// Where each style layer acts on an image: the gradient of its part of the
// objective with respect to the pixels, one map per layer.
func ExampleLayerGradients() {
	shared := os.Getenv("STYLELAB_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "..", "shared")
	}
	w, err := weights.LoadFeatures(filepath.Join(shared, "weights", "vgg19-imagenet-tfjs-uint8"))
	if err != nil {
		panic(err)
	}
	m, err := vgg.New(w)
	if err != nil {
		panic(err)
	}
	cfg := transfer.Defaults()
	cfg.ContentPath = filepath.Join(shared, "images", "tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: filepath.Join(shared, "images", "starry_night.jpg")}}
	p, err := cfg.Resolve()
	if err != nil {
		panic(err)
	}
	start := imaging.Noise(64, 48, 0).Image() // where a run from noise begins
	maps, err := transfer.LayerGradients(m, p, start)
	if err != nil {
		panic(err)
	}
	for _, lm := range maps {
		fmt.Println(lm.Layer, lm.W, lm.H, len(lm.Values), lm.Norm > 0)
	}
	// Output:
	// conv1_1 64 48 3072 true
	// conv2_1 64 48 3072 true
	// conv3_1 64 48 3072 true
	// conv4_1 64 48 3072 true
	// conv5_1 64 48 3072 true
}
