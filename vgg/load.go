package vgg

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Weight file formats DetectFormat reports.
const (
	FormatTFJS  = "tfjs"  // TensorFlow.js layers model: a directory with model.json and shards
	FormatTorch = "torch" // PyTorch state dict (.pth/.pt), zip or legacy format
	FormatCaffe = "caffe" // Caffe NetParameter (.caffemodel), V1 or V2 layers
	FormatCache = "cache" // stylelab's converted-weights cache (.slw)
)

const supportedFormats = "supported: a TensorFlow.js layers model (directory with model.json), " +
	"a PyTorch state dict (.pth/.pt), a Caffe model (.caffemodel), or a stylelab cache file (.slw)"

// Load reads VGG-19 weights in any supported format and returns them in
// canonical form. Everything but a cache file is converted once and kept in
// CacheDir under the source's sha256, so loading the same source again only
// hashes it and reads the cache. A cache that cannot be written is skipped.
func Load(path string) (*Weights, error) { return load(path, true) }

// LoadFeatures is Load without the classifier (fc6-fc8): the convolutions
// that style transfer uses, in a fifth of the memory once cached.
func LoadFeatures(path string) (*Weights, error) { return load(path, false) }

func load(path string, classifier bool) (*Weights, error) {
	format, root, err := DetectFormat(path)
	if err != nil {
		return nil, err
	}
	if format == FormatCache {
		return loadCache(root, classifier)
	}
	sum, err := sourceSHA256(format, root)
	if err != nil {
		return nil, err
	}
	cp, cerr := cachePath(sum)
	if cerr == nil {
		if w, err := loadCache(cp, classifier); err == nil && w.SHA256 == sum {
			w.Source = path
			return w, nil
		}
	}
	var w *Weights
	switch format {
	case FormatTFJS:
		w, err = LoadTFJS(root)
	case FormatTorch:
		w, err = loadTorch(root, sum)
	case FormatCaffe:
		w, err = loadCaffe(root, sum)
	}
	if err != nil {
		return nil, err
	}
	w.Source, w.SHA256 = path, sum
	if cerr == nil {
		_ = SaveCache(w, cp) // best effort: a read-only cache only costs speed
	}
	if !classifier {
		w.FC = nil
	}
	return w, nil
}

// DetectFormat says which format path holds (one of the Format constants)
// and the path its loader takes (a model.json's directory for tfjs).
func DetectFormat(path string) (format, root string, err error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("vgg: weights %s do not exist: check the path, or download them with `stylelab weights fetch MODEL` (`stylelab weights list` shows the models)", path)
	}
	if err != nil {
		return "", "", fmt.Errorf("vgg: weights %s: %w", path, err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "model.json")); err != nil {
			return "", "", fmt.Errorf("vgg: %s is a directory without model.json; %s", path, supportedFormats)
		}
		return FormatTFJS, path, nil
	}
	if st.Size() == 0 {
		return "", "", fmt.Errorf("vgg: weights file %s is empty: the download was probably interrupted; fetch it again", path)
	}
	if filepath.Base(path) == "model.json" {
		return FormatTFJS, filepath.Dir(path), nil
	}
	head := make([]byte, 16)
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("vgg: weights %s: %w", path, err)
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case bytes.HasPrefix(head, []byte(cacheMagic)):
		return FormatCache, path, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return FormatTorch, path, nil
	case bytes.HasPrefix(head, []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}):
		return FormatTorch, path, nil // legacy torch.save: pickled magic number
	case ext == ".caffemodel":
		return FormatCaffe, path, nil
	}
	return "", "", fmt.Errorf("vgg: %s: unknown weights format (starts with % x); %s", path, head, supportedFormats)
}

// sourceSHA256 hashes a source: the file, or for tfjs model.json followed by
// every shard in manifest order (the same digest LoadTFJS reports).
func sourceSHA256(format, root string) (string, error) {
	if format != FormatTFJS {
		return fileSHA256(root)
	}
	raw, err := os.ReadFile(filepath.Join(root, "model.json"))
	if err != nil {
		return "", fmt.Errorf("vgg: reading TensorFlow.js model: %w", err)
	}
	var m tfjsModel
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", fmt.Errorf("vgg: %s: not a TensorFlow.js model.json: %w", filepath.Join(root, "model.json"), err)
	}
	h := sha256.New()
	h.Write(raw)
	for _, g := range m.WeightsManifest {
		for _, p := range g.Paths {
			if err := hashFile(h, filepath.Join(root, p)); err != nil {
				return "", fmt.Errorf("vgg: TensorFlow.js shard: %w (is the download complete? `stylelab weights verify %s`)", err, root)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileSHA256 is the hex sha256 of a file's contents.
func fileSHA256(path string) (string, error) {
	h := sha256.New()
	if err := hashFile(h, path); err != nil {
		return "", fmt.Errorf("vgg: hashing weights: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, bufio.NewReaderSize(f, 1<<20))
	return err
}

// LayerInfo describes one layer of loaded weights.
type LayerInfo struct {
	Name   string
	Shape  []int // conv: [Cout Cin 3 3]; fc: [Out In]
	Params int64 // weights and biases
}

// WeightsInfo summarises a weights file.
type WeightsInfo struct {
	Path       string
	Format     string // one of the Format constants
	SHA256     string // of the source the weights were converted from
	Preprocess Preprocessing
	Layers     []LayerInfo
	Params     int64
}

// Info loads path (through the cache, like Load) and summarises it.
func Info(path string) (*WeightsInfo, error) {
	format, _, err := DetectFormat(path)
	if err != nil {
		return nil, err
	}
	w, err := Load(path)
	if err != nil {
		return nil, err
	}
	info := &WeightsInfo{Path: path, Format: format, SHA256: w.SHA256, Preprocess: w.Preprocess}
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
func (i *WeightsInfo) String() string {
	var b strings.Builder
	classifier := "no classifier (conv layers only)"
	if len(i.Layers) > len(ConvNames) {
		classifier = "with the ImageNet classifier (fc6-fc8)"
	}
	p := i.Preprocess
	fmt.Fprintf(&b, "path:        %s\nformat:      %s, %s\nsha256:      %s\nparameters:  %d\n", i.Path, i.Format, classifier, i.SHA256, i.Params)
	fmt.Fprintf(&b, "input:       RGB in [0,1] x %g, minus mean %v, divided by std %v\nlayers:\n", p.Scale, p.Mean, p.Std)
	for _, l := range i.Layers {
		fmt.Fprintf(&b, "  %-8s %-18s %d\n", l.Name, fmt.Sprint(l.Shape), l.Params)
	}
	return b.String()
}
