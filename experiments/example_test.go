package experiments_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stylelab/stylelab/compare"
	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/store"
	"github.com/stylelab/stylelab/transfer"
)

// shared is the project's shared data: weights and images.
func shared() string {
	if dir := os.Getenv("STYLELAB_SHARED"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "shared")
}

// openLab opens the shared VGG-19 with a store in a fresh folder.
func openLab() (*experiments.Lab, func()) {
	dir, err := os.MkdirTemp("", "stylelab-example-")
	if err != nil {
		panic(err)
	}
	lab, err := experiments.OpenLab(filepath.Join(shared(), "weights", "vgg19-imagenet-tfjs-uint8"), filepath.Join(dir, "runs.db"))
	if err != nil {
		panic(err)
	}
	return lab, func() { lab.Close(); os.RemoveAll(dir) }
}

// A transfer with the paper's settings, logged to the store as it runs.
func ExampleLab_Run() {
	lab, done := openLab()
	defer done()

	cfg := transfer.Defaults() // content conv4_2, style conv1_1 ... conv5_1, alpha/beta 1e-3
	cfg.ContentPath = filepath.Join(shared(), "images", "tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: filepath.Join(shared(), "images", "starry_night.jpg")}}
	cfg.Size, cfg.Iterations = 48, 3 // a 48 x 36 image, three L-BFGS iterations
	res, err := lab.Run(context.Background(), cfg, transfer.Hooks{})
	if err != nil {
		panic(err)
	}
	rec, err := lab.Store.Get(context.Background(), res.RunID)
	if err != nil {
		panic(err)
	}
	fmt.Println(rec.Status, rec.LastStep, res.Image.Bounds().Dx(), res.Image.Bounds().Dy())
	fmt.Println(rec.Message, rec.Tags) // OpenLab checks the weights against their published sha256
	// Output:
	// FINISHED 3 48 36
	// stopped by iterations []
}

// A sweep over the ratio alpha/beta; run again, it finds every point done.
func ExampleLab_Sweep() {
	lab, done := openLab()
	defer done()
	ctx := context.Background()

	base := transfer.Defaults()
	base.Experiment = "ratios"
	base.ContentPath = filepath.Join(shared(), "images", "tubingen.jpg")
	base.Styles = []transfer.Style{{Path: filepath.Join(shared(), "images", "the_scream.jpg")}}
	base.Size, base.Iterations = 32, 2
	axes := []experiments.Axis{{Param: "ratio", Values: []string{"1e-4", "1e-2"}}}
	for pass := 1; pass <= 2; pass++ {
		points, err := lab.Sweep(ctx, base, axes, transfer.Hooks{}, nil)
		if err != nil {
			panic(err)
		}
		for _, p := range points {
			fmt.Printf("pass %d: %s skipped=%v\n", pass, p.Name(), p.Skipped)
		}
	}
	// Output:
	// pass 1: ratio=1e-4 skipped=false
	// pass 1: ratio=1e-2 skipped=false
	// pass 2: ratio=1e-4 skipped=true
	// pass 2: ratio=1e-2 skipped=true
}

// Runs found by the store's query language, and compared: the settings
// that differ between them.
func Example_queryAndCompare() {
	lab, done := openLab()
	defer done()
	ctx := context.Background()

	cfg := transfer.Defaults()
	cfg.ContentPath = filepath.Join(shared(), "images", "tubingen.jpg")
	cfg.Styles = []transfer.Style{{Path: filepath.Join(shared(), "images", "shipwreck.jpg")}}
	cfg.Size, cfg.Iterations = 32, 2
	for _, layers := range []string{"conv1_1", "conv1_1,conv2_1"} {
		if err := cfg.Set("style_layers", layers); err != nil {
			panic(err)
		}
		if _, err := lab.Run(ctx, cfg, transfer.Hooks{}); err != nil {
			panic(err)
		}
	}
	runs, err := lab.Store.Runs(ctx, `params.style_layers like "conv1_1%" and status = "FINISHED" order by id`)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(runs), "runs")
	for _, d := range store.DiffParams(runs) { // what differs between them
		fmt.Println(d.Key, d.Values)
	}
	cmp, err := compare.Query(ctx, lab.Store, `status = "FINISHED"`) // for grids, curves and tables
	if err != nil {
		panic(err)
	}
	fmt.Println(len(cmp.Runs), "runs to compare")
	// Output:
	// 2 runs
	// style_layer_weights [1 0.5,0.5]
	// style_layers [conv1_1 conv1_1,conv2_1]
	// 2 runs to compare
}
