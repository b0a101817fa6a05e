package analysis_test

import (
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/stylelab/stylelab/analysis"
	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights"
)

// Each style layer's share of a run's weighted style loss, step by step,
// from what the store logged (here a record written by hand).
func ExampleLossShares() {
	rec := &store.RunRecord{
		RunSummary: store.RunSummary{ID: 1, Params: []store.Param{
			{Key: "style_layers", Value: "conv1_1,conv5_1"},
			{Key: "style_layer_weights", Value: "0.5,0.5"},
		}},
		Metrics: []store.MetricPoint{
			{Step: 1, Key: "style/conv1_1", Value: 30}, {Step: 1, Key: "style/conv5_1", Value: 10},
			{Step: 2, Key: "style/conv1_1", Value: 2}, {Step: 2, Key: "style/conv5_1", Value: 6},
		},
	}
	s, err := analysis.LossShares(rec)
	if err != nil {
		panic(err)
	}
	for i, step := range s.Steps {
		fmt.Println(step, s.Layers, s.At(i))
	}
	// Output:
	// 1 [conv1_1 conv5_1] [0.75 0.25]
	// 2 [conv1_1 conv5_1] [0.25 0.75]
}

// How far apart paintings' styles are at each layer: a painting is
// nearest its own mirror image (its statistics barely change) at every layer.
func ExampleStyleDistances() {
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
	var images []image.Image
	for _, name := range []string{"starry_night.jpg", "shipwreck.jpg", "the_scream.jpg"} {
		img, err := imaging.Load(filepath.Join(shared, "images", name))
		if err != nil {
			panic(err)
		}
		images = append(images, img)
	}
	mirror := image.NewRGBA(images[0].Bounds())
	b := images[0].Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			mirror.Set(b.Max.X-1-(x-b.Min.X), y, images[0].At(x, y))
		}
	}
	images = append(images, mirror)
	names := []string{"starry night", "shipwreck", "scream", "starry night mirrored"}
	layers := []string{"conv1_1", "conv3_1", "conv5_1"}
	d, err := analysis.StyleDistances(m, images, names, layers, 64, vgg.AvgPool)
	if err != nil {
		panic(err)
	}
	for l, layer := range layers {
		fmt.Printf("%s: nearest to the starry night: %s\n", layer, names[d.Nearest(l, 0)[0]])
	}
	// Output:
	// conv1_1: nearest to the starry night: starry night mirrored
	// conv3_1: nearest to the starry night: starry night mirrored
	// conv5_1: nearest to the starry night: starry night mirrored
}
