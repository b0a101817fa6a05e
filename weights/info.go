package weights

import (
	"fmt"
	"strings"

	"github.com/stylelab/stylelab/vgg"
)

// LayerInfo describes one layer of loaded weights.
type LayerInfo struct {
	Name   string
	Shape  []int // conv: [Cout Cin 3 3]; fc: [Out In]
	Params int64 // weights and biases
}

// Info summarises a weights file.
type Info struct {
	Path       string
	Format     string // "tfjs", "torch", "caffe" or "cache"
	SHA256     string // of the source the weights were converted from
	Verified   bool   // see vgg.Weights.Verified
	Provenance string // what was checked, "verified: ..." or "unverified: ..."
	Preprocess vgg.Preprocessing
	Layers     []LayerInfo
	Params     int64
}

// Inspect loads path (through the cache, like Load) and summarises it.
func Inspect(path string) (*Info, error) {
	format, _, err := detectFormat(path)
	if err != nil {
		return nil, err
	}
	w, err := Load(path)
	if err != nil {
		return nil, err
	}
	info := &Info{Path: path, Format: format, SHA256: w.SHA256, Verified: w.Verified, Provenance: w.Provenance, Preprocess: w.Preprocess}
	for _, c := range w.Conv {
		info.Layers = append(info.Layers, LayerInfo{c.Name, []int{c.Cout, c.Cin, 3, 3}, int64(len(c.Kernel) + len(c.Bias))})
	}
	for _, f := range w.FC {
		info.Layers = append(info.Layers, LayerInfo{f.Name, []int{f.Out, f.In}, int64(len(f.Weight) + len(f.Bias))})
	}
	for _, l := range info.Layers {
		info.Params += l.Params
	}
	return info, nil
}

// String renders the summary as a few lines of text.
func (i *Info) String() string {
	var b strings.Builder
	classifier := "no classifier (conv layers only)"
	if len(i.Layers) > len(vgg.ConvNames) {
		classifier = "with the ImageNet classifier (fc6-fc8)"
	}
	p := i.Preprocess
	fmt.Fprintf(&b, "path:        %s\nformat:      %s, %s\nsha256:      %s\nprovenance:  %s\nparameters:  %d\n", i.Path, i.Format, classifier, i.SHA256, i.Provenance, i.Params)
	fmt.Fprintf(&b, "input:       RGB in [0,1] x %g, minus mean %v, divided by std %v\nlayers:\n", p.Scale, p.Mean, p.Std)
	for _, l := range i.Layers {
		fmt.Fprintf(&b, "  %-8s %-18s %d\n", l.Name, fmt.Sprint(l.Shape), l.Params)
	}
	return b.String()
}
