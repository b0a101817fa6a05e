package vgg

import (
	"fmt"
	"math"
)

// ConvParams is one 3x3 convolution layer: stride 1, zero padding 1, bias, ReLU.
// Kernel is laid out [Cout][Cin][3][3] (row-major, kernel column fastest).
type ConvParams struct {
	Name      string // conv1_1 ... conv5_4
	Cin, Cout int
	Kernel    []float32
	Bias      []float32
}

// DenseParams is one fully connected layer of the classifier.
// Weight is laid out [Out][In]; for fc6 the input is pool5 flattened in C,H,W order.
type DenseParams struct {
	Name    string // fc6, fc7, fc8
	In, Out int
	Weight  []float32
	Bias    []float32
}

// Preprocessing maps an RGB pixel p in [0,1] to the network's input:
// v[c] = (p[c]*Scale - Mean[c]) / Std[c], channels in R,G,B order.
// Readers whose source network reads BGR permute conv1_1's input channels,
// so every Weights takes RGB.
type Preprocessing struct {
	Scale float32
	Mean  [3]float32
	Std   [3]float32
}

// CaffePreprocessing is the convention of the original Caffe VGG-19 and of
// Keras' "caffe" mode: 0..255, mean subtracted, no division.
var CaffePreprocessing = Preprocessing{Scale: 255, Mean: [3]float32{123.68, 116.779, 103.939}, Std: [3]float32{1, 1, 1}}

// TorchPreprocessing is torchvision's convention: 0..1, ImageNet mean and std.
var TorchPreprocessing = Preprocessing{Scale: 1, Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}

// Weights is a VGG-19 in canonical form, whatever file it came from.
type Weights struct {
	Source string // what it was loaded from, for humans
	SHA256 string // hex sha256 of the source file (or of the manifest for multi-file models)
	// Verified is true when every file of the source matched the published
	// sha256 of a model that `stylelab weights fetch` knows; Provenance says
	// in a line what was checked ("verified: ..." or "unverified: ..."), for
	// a run to record beside SHA256.
	Verified   bool
	Provenance string
	Preprocess Preprocessing
	Conv       []ConvParams   // the 16 conv layers, conv1_1 first
	FC         []DenseParams  // fc6, fc7, fc8, or empty when the classifier is absent
	Normalised *Normalisation // how the weights were normalised (Normalise), nil for raw weights
}

// ConvNames lists VGG-19's conv layers in order.
var ConvNames = []string{
	"conv1_1", "conv1_2",
	"conv2_1", "conv2_2",
	"conv3_1", "conv3_2", "conv3_3", "conv3_4",
	"conv4_1", "conv4_2", "conv4_3", "conv4_4",
	"conv5_1", "conv5_2", "conv5_3", "conv5_4",
}

// ConvChannels gives the input and output channels of conv layer i (ConvNames[i]).
func ConvChannels(i int) (cin, cout int) {
	widths := []int{64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512}
	cout = widths[i]
	cin = 3
	if i > 0 {
		cin = widths[i-1]
	}
	return cin, cout
}

// Validate checks that w has VGG-19's shapes and finite values.
func (w *Weights) Validate() error {
	if len(w.Conv) != len(ConvNames) {
		return fmt.Errorf("vgg: %s: %d conv layers, VGG-19 has %d", w.Source, len(w.Conv), len(ConvNames))
	}
	for i, c := range w.Conv {
		cin, cout := ConvChannels(i)
		if c.Name != ConvNames[i] || c.Cin != cin || c.Cout != cout ||
			len(c.Kernel) != cout*cin*9 || len(c.Bias) != cout {
			return fmt.Errorf("vgg: %s: layer %d is %s %dx%d (kernel %d, bias %d), want %s %dx%d",
				w.Source, i, c.Name, c.Cin, c.Cout, len(c.Kernel), len(c.Bias), ConvNames[i], cin, cout)
		}
		if err := finite(c.Name, c.Kernel, c.Bias); err != nil {
			return fmt.Errorf("vgg: %s: %w", w.Source, err)
		}
	}
	if len(w.FC) == 0 {
		return nil
	}
	want := []DenseParams{{Name: "fc6", In: 512 * 7 * 7, Out: 4096}, {Name: "fc7", In: 4096, Out: 4096}, {Name: "fc8", In: 4096, Out: 1000}}
	if len(w.FC) != len(want) {
		return fmt.Errorf("vgg: %s: %d classifier layers, want 3 (fc6, fc7, fc8) or none", w.Source, len(w.FC))
	}
	for i, f := range w.FC {
		v := want[i]
		if f.Name != v.Name || f.In != v.In || f.Out != v.Out || len(f.Weight) != v.In*v.Out || len(f.Bias) != v.Out {
			return fmt.Errorf("vgg: %s: classifier layer %s %dx%d, want %s %dx%d", w.Source, f.Name, f.In, f.Out, v.Name, v.In, v.Out)
		}
		if err := finite(f.Name, f.Weight, f.Bias); err != nil {
			return fmt.Errorf("vgg: %s: %w", w.Source, err)
		}
	}
	return nil
}

func finite(name string, vs ...[]float32) error {
	for _, v := range vs {
		for _, x := range v {
			if math.Float32bits(x)&0x7f800000 == 0x7f800000 { // exponent all ones: Inf or NaN
				return fmt.Errorf("layer %s holds a non-finite value %v", name, x)
			}
		}
	}
	return nil
}
