package vgg

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/stylelab/stylelab/internal/blas"
)

// Class is one ImageNet prediction.
type Class struct {
	Index int
	Prob  float32
}

// Classify runs the whole network, classifier included, on a 224x224 RGB
// image in [0,1] (channel-major) and returns the class probabilities
// (Caffe/Keras class order), sorted by index.
func (m *Model) Classify(rgb []float32) ([]float32, error) {
	if len(m.w.FC) == 0 {
		return nil, fmt.Errorf("vgg: %s has no classifier layers (fc6-fc8): load a model with include_top", m.w.Source)
	}
	if len(rgb) != 3*224*224 {
		return nil, fmt.Errorf("vgg: classification needs a 224x224 RGB image, got %d values", len(rgb))
	}
	feats, err := m.Features(m.w.Preprocess.Preprocess(rgb), 224, 224, []string{"pool5"}, MaxPool)
	if err != nil {
		return nil, err
	}
	h := feats["pool5"].Data
	for i, fc := range m.w.FC {
		out := append([]float32(nil), fc.Bias...)
		blas.Sgemv(false, fc.Out, fc.In, 1, fc.Weight, fc.In, h, 1, out)
		if i < len(m.w.FC)-1 {
			for j, v := range out {
				out[j] = max(v, 0)
			}
		}
		h = out
	}
	return softmax(h), nil
}

func softmax(z []float32) []float32 {
	peak := z[0]
	for _, v := range z {
		peak = max(peak, v)
	}
	var sum float64
	p := make([]float32, len(z))
	for i, v := range z {
		e := math.Exp(float64(v - peak))
		p[i] = float32(e)
		sum += e
	}
	for i := range p {
		p[i] = float32(float64(p[i]) / sum)
	}
	return p
}

// Top returns the k most probable classes.
func Top(probs []float32, k int) []Class {
	cs := make([]Class, len(probs))
	for i, p := range probs {
		cs[i] = Class{Index: i, Prob: p}
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].Prob > cs[b].Prob })
	return cs[:min(k, len(cs))]
}

// LoadLabels reads an ImageNet class list such as synset_words.txt (line n is
// class n-1, "n02115641 dingo, warrigal, ..."), returning each class's first name.
func LoadLabels(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vgg: class labels: %w", err)
	}
	var labels []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		_, name, _ := strings.Cut(strings.TrimSpace(line), " ")
		name, _, _ = strings.Cut(name, ",")
		labels = append(labels, name)
	}
	if len(labels) != 1000 {
		return nil, fmt.Errorf("vgg: %s has %d classes, want the 1000 ImageNet classes", path, len(labels))
	}
	return labels, nil
}
