package tfjs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/internal/floats"
)

// model is the part of a TensorFlow.js layers model.json that holds weights.
type model struct {
	Format          string `json:"format"`
	WeightsManifest []struct {
		Paths   []string     `json:"paths"`
		Weights []tensorSpec `json:"weights"`
	} `json:"weightsManifest"`
}

// tensorSpec is one tensor of a weight group.
type tensorSpec struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	Dtype        string `json:"dtype"`
	Quantization *struct {
		Dtype string  `json:"dtype"`
		Scale float64 `json:"scale"`
		Min   float64 `json:"min"`
	} `json:"quantization"`
}

// Load reads a Keras VGG-19 saved as a TensorFlow.js layers model
// (model.json and its binary shards), float32 or quantized to uint8, uint16
// or float16. dir is the model's directory or its model.json. Keras' VGG-19
// takes Caffe-style BGR input; the result is converted to the canonical RGB
// form. Source is model.json's path; SHA256 is left to weights.Load.
func Load(dir string) (*vgg.Weights, error) {
	jsonPath, m, err := readModel(dir)
	if err != nil {
		return nil, err
	}
	if m.Format != "layers-model" || len(m.WeightsManifest) == 0 {
		return nil, fmt.Errorf("tfjs: %s: format %q with %d weight groups, want a \"layers-model\" with weights", jsonPath, m.Format, len(m.WeightsManifest))
	}
	tensors := map[string][]float32{}
	shapes := map[string][]int{}
	base := filepath.Dir(jsonPath)
	for _, group := range m.WeightsManifest {
		stream, err := newShardReader(base, group.Paths)
		if err != nil {
			return nil, err
		}
		for _, w := range group.Weights {
			vals, err := readTensor(stream, w)
			if err != nil {
				return nil, fmt.Errorf("tfjs: %s: tensor %s: %w", jsonPath, w.Name, err)
			}
			name := kerasName(w.Name)
			tensors[name], shapes[name] = vals, w.Shape
		}
		if n, _ := io.Copy(io.Discard, stream); n > 0 {
			return nil, fmt.Errorf("tfjs: %s: %d bytes left in the shards after the last tensor: the manifest does not match its shards", jsonPath, n)
		}
	}
	w, err := fromKeras(tensors, shapes)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %s: %w", jsonPath, err)
	}
	w.Source = jsonPath
	return w, w.Validate()
}

// Shards lists the paths of the shard files that the model.json in dir
// names, in manifest order.
func Shards(dir string) ([]string, error) {
	jsonPath, m, err := readModel(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, g := range m.WeightsManifest {
		for _, p := range g.Paths {
			paths = append(paths, filepath.Join(filepath.Dir(jsonPath), p))
		}
	}
	return paths, nil
}

// readModel reads dir/model.json (or dir itself when it is the file).
func readModel(dir string) (string, *model, error) {
	jsonPath := dir
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		jsonPath = filepath.Join(dir, "model.json")
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return "", nil, fmt.Errorf("tfjs: reading TensorFlow.js model: %w", err)
	}
	var m model
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", nil, fmt.Errorf("tfjs: %s: not a TensorFlow.js model.json: %w", jsonPath, err)
	}
	return jsonPath, &m, nil
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

// newShardReader concatenates a weight group's shards.
func newShardReader(base string, paths []string) (io.Reader, error) {
	readers := make([]io.Reader, len(paths))
	for i, p := range paths {
		f, err := os.ReadFile(filepath.Join(base, p))
		if err != nil {
			return nil, fmt.Errorf("tfjs: TensorFlow.js shard %d of %d: %w", i+1, len(paths), err)
		}
		readers[i] = bytes.NewReader(f)
	}
	return io.MultiReader(readers...), nil
}

// readTensor decodes one tensor from the shards, dequantizing it.
func readTensor(r io.Reader, w tensorSpec) ([]float32, error) {
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
			out[i] = floats.FromHalf(binary.LittleEndian.Uint16(buf[2*i:]))
		}
	}
	return out, nil
}

// fromKeras converts Keras' HWIO kernels and BGR input to the canonical form.
func fromKeras(t map[string][]float32, shapes map[string][]int) (*vgg.Weights, error) {
	w := &vgg.Weights{Preprocess: vgg.CaffePreprocessing}
	for i, name := range vgg.ConvNames {
		cin, cout := vgg.ConvChannels(i)
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
		w.Conv = append(w.Conv, vgg.ConvParams{Name: name, Cin: cin, Cout: cout, Kernel: kernel, Bias: b})
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
		w.FC = append(w.FC, vgg.DenseParams{Name: fc.name, In: in, Out: out, Weight: weight, Bias: b})
	}
	return w, nil
}
