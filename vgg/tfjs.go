package vgg

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// tfjsModel is the part of a TensorFlow.js layers model.json that holds weights.
type tfjsModel struct {
	Format          string `json:"format"`
	WeightsManifest []struct {
		Paths   []string     `json:"paths"`
		Weights []tfjsWeight `json:"weights"`
	} `json:"weightsManifest"`
}

type tfjsWeight struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	Dtype        string `json:"dtype"`
	Quantization *struct {
		Dtype string  `json:"dtype"`
		Scale float64 `json:"scale"`
		Min   float64 `json:"min"`
	} `json:"quantization"`
}

// LoadTFJS reads a Keras VGG-19 saved as a TensorFlow.js layers model
// (model.json and its binary shards), float32 or quantized to uint8, uint16
// or float16. dir is the model's directory or its model.json. Keras' VGG-19
// takes Caffe-style BGR input; the result is converted to the canonical RGB form.
func LoadTFJS(dir string) (*Weights, error) {
	jsonPath := dir
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		jsonPath = filepath.Join(dir, "model.json")
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, fmt.Errorf("vgg: reading TensorFlow.js model: %w", err)
	}
	var m tfjsModel
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("vgg: %s: not a TensorFlow.js model.json: %w", jsonPath, err)
	}
	if m.Format != "layers-model" || len(m.WeightsManifest) == 0 {
		return nil, fmt.Errorf("vgg: %s: format %q with %d weight groups, want a \"layers-model\" with weights", jsonPath, m.Format, len(m.WeightsManifest))
	}
	hash := sha256.New()
	hash.Write(raw)
	tensors := map[string][]float32{}
	shapes := map[string][]int{}
	base := filepath.Dir(jsonPath)
	for _, group := range m.WeightsManifest {
		stream, err := newShardReader(base, group.Paths, hash)
		if err != nil {
			return nil, err
		}
		for _, w := range group.Weights {
			vals, err := readTFJSTensor(stream, w)
			if err != nil {
				return nil, fmt.Errorf("vgg: %s: tensor %s: %w", jsonPath, w.Name, err)
			}
			name := kerasName(w.Name)
			tensors[name], shapes[name] = vals, w.Shape
		}
		if n, _ := io.Copy(io.Discard, stream); n > 0 {
			return nil, fmt.Errorf("vgg: %s: %d bytes left in the shards after the last tensor: the manifest does not match its shards", jsonPath, n)
		}
	}
	w, err := fromKeras(tensors, shapes)
	if err != nil {
		return nil, fmt.Errorf("vgg: %s: %w", jsonPath, err)
	}
	w.Source = jsonPath
	w.SHA256 = hex.EncodeToString(hash.Sum(nil))
	return w, w.Validate()
}

// kerasName strips scopes and ":0" suffixes: "vgg19/block1_conv1/kernel:0" -> "block1_conv1/kernel".
func kerasName(name string) string {
	name = strings.TrimSuffix(name, ":0")
	parts := strings.Split(name, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}

// newShardReader concatenates a weight group's shards, hashing what it reads.
func newShardReader(base string, paths []string, hash io.Writer) (io.Reader, error) {
	readers := make([]io.Reader, len(paths))
	for i, p := range paths {
		f, err := os.ReadFile(filepath.Join(base, p))
		if err != nil {
			return nil, fmt.Errorf("vgg: TensorFlow.js shard %d of %d: %w", i+1, len(paths), err)
		}
		hash.Write(f)
		readers[i] = bytes.NewReader(f)
	}
	return io.MultiReader(readers...), nil
}

func readTFJSTensor(r io.Reader, w tfjsWeight) ([]float32, error) {
	n := 1
	for _, d := range w.Shape {
		if d <= 0 {
			return nil, fmt.Errorf("bad shape %v", w.Shape)
		}
		n *= d
	}
	dtype, scale, min := w.Dtype, 1.0, 0.0
	if q := w.Quantization; q != nil {
		dtype, scale, min = q.Dtype, q.Scale, q.Min
	}
	size := map[string]int{"float32": 4, "uint8": 1, "uint16": 2, "float16": 2}[dtype]
	if size == 0 {
		return nil, fmt.Errorf("unsupported dtype %q (float32, uint8, uint16 or float16 expected)", dtype)
	}
	buf := make([]byte, n*size)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("shards end before this tensor's %d bytes: truncated or missing shard", len(buf))
		}
		return nil, err
	}
	out := make([]float32, n)
	for i := range out {
		switch dtype {
		case "float32":
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		case "uint8":
			out[i] = float32(float64(buf[i])*scale + min)
		case "uint16":
			out[i] = float32(float64(binary.LittleEndian.Uint16(buf[2*i:]))*scale + min)
		case "float16":
			out[i] = halfToFloat(binary.LittleEndian.Uint16(buf[2*i:]))
		}
	}
	return out, nil
}

// halfToFloat converts an IEEE 754 half-precision value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		return float32(math.Copysign(float64(mant)/1024*math.Pow(2, -14), float64(int32(sign)|1)))
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// fromKeras converts Keras' HWIO kernels and BGR input to the canonical form.
func fromKeras(t map[string][]float32, shapes map[string][]int) (*Weights, error) {
	w := &Weights{Preprocess: CaffePreprocessing}
	for i, name := range ConvNames {
		cin, cout := convChannels(i)
		kname := "block" + name[4:5] + "_conv" + name[6:] // conv3_4 -> block3_conv4
		k, b := t[kname+"/kernel"], t[kname+"/bias"]
		if k == nil || b == nil {
			return nil, fmt.Errorf("layer %s (%s) is missing: not a Keras VGG-19", name, kname)
		}
		if s := shapes[kname+"/kernel"]; len(s) != 4 || s[0] != 3 || s[1] != 3 || s[2] != cin || s[3] != cout || len(b) != cout {
			return nil, fmt.Errorf("layer %s kernel shape %v, bias %d, want [3 3 %d %d] and %d", kname, s, len(b), cin, cout, cout)
		}
		kernel := make([]float32, len(k))
		for kh := 0; kh < 3; kh++ {
			for kw := 0; kw < 3; kw++ {
				for ci := 0; ci < cin; ci++ {
					src := ci
					if i == 0 {
						src = 2 - ci // BGR -> RGB
					}
					for co := 0; co < cout; co++ {
						kernel[((co*cin+ci)*3+kh)*3+kw] = k[((kh*3+kw)*cin+src)*cout+co]
					}
				}
			}
		}
		w.Conv = append(w.Conv, ConvParams{Name: name, Cin: cin, Cout: cout, Kernel: kernel, Bias: b})
	}
	fcs := []struct{ keras, name string }{{"fc1", "fc6"}, {"fc2", "fc7"}, {"predictions", "fc8"}}
	for i, fc := range fcs {
		k, b := t[fc.keras+"/kernel"], t[fc.keras+"/bias"]
		if k == nil && b == nil && i == 0 {
			return w, nil // no classifier: include_top=False
		}
		s := shapes[fc.keras+"/kernel"]
		if k == nil || b == nil || len(s) != 2 || s[1] != len(b) {
			return nil, fmt.Errorf("classifier layer %s is missing or malformed (shape %v)", fc.keras, s)
		}
		in, out := s[0], s[1]
		weight := make([]float32, in*out)
		for j := 0; j < in; j++ {
			dst := j
			if i == 0 && in == 7*7*512 { // H,W,C -> C,H,W
				hw, c := j/512, j%512
				dst = c*49 + hw
			}
			for o := 0; o < out; o++ {
				weight[o*in+dst] = k[j*out+o]
			}
		}
		w.FC = append(w.FC, DenseParams{Name: fc.name, In: in, Out: out, Weight: weight, Bias: b})
	}
	return w, nil
}
