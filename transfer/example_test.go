package transfer_test

import (
	"fmt"
	"image"

	"github.com/stylelab/stylelab/transfer"
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
