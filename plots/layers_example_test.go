package plots_test

import (
	"fmt"

	"github.com/stylelab/stylelab/plots"
)

// A field of values coloured from dark (0) to light (the 99th percentile
// and above): how the gradient maps of each layer are shown.
func ExampleHeatMap() {
	values := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	img, err := plots.HeatMap(values, 4, 3, 11)
	if err != nil {
		panic(err)
	}
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy(), img.RGBAAt(0, 0), img.RGBAAt(3, 2))
	// Output:
	// 4 3 {0 0 4 255} {252 255 164 255}
}

// Each layer's share of a whole over a run, as stacked bands.
func ExampleStackedArea() {
	steps := []int{1, 50, 100}
	p, err := plots.StackedArea("share of the style loss", "share", []plots.Series{
		{Label: "conv1_1", Steps: steps, Values: []float64{0.6, 0.3, 0.2}},
		{Label: "conv5_1", Steps: steps, Values: []float64{0.4, 0.7, 0.8}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	// Output:
	// 1 100 0 1
}
