package tfjs

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/internal/checked"
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
//
// The manifest is not trusted: shards must lie inside the model's folder
// (see Shards), and no tensor is allocated before the shards are known to
// hold its bytes.
func Load(dir string) (*vgg.Weights, error) {
	jsonPath, m, err := readModel(dir)
	if err != nil {
		return nil, err
	}
	if m.Format != "layers-model" || len(m.WeightsManifest) == 0 {
		return nil, fmt.Errorf("tfjs: %s: format %q with %d weight groups, want a \"layers-model\" with weights", jsonPath, m.Format, len(m.WeightsManifest))
	}
	root, err := os.OpenRoot(filepath.Dir(jsonPath))
	if err != nil {
		return nil, fmt.Errorf("tfjs: %s: %w", jsonPath, err)
	}
	defer root.Close()
	tensors := map[string][]float32{}
	shapes := map[string][]int{}
	for _, group := range m.WeightsManifest {
		stream, err := openShards(root, group.Paths)
		if err != nil {
			return nil, fmt.Errorf("tfjs: %s: %w", jsonPath, err)
		}
		defer stream.Close()
		for _, w := range group.Weights {
			vals, err := readTensor(stream, w)
			if err != nil {
				return nil, fmt.Errorf("tfjs: %s: tensor %s: %w", jsonPath, w.Name, err)
			}
			name := kerasName(w.Name)
			tensors[name], shapes[name] = vals, w.Shape
		}
		if stream.left > 0 {
			return nil, fmt.Errorf("tfjs: %s: %d bytes left in the shards after the last tensor: the manifest does not match its shards", jsonPath, stream.left)
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
// names, in manifest order. A shard path must name a file inside the
// model's folder: an absolute path, one that climbs out with "..", or one
// that reaches a symbolic link pointing outside the folder is an error.
func Shards(dir string) ([]string, error) {
	jsonPath, m, err := readModel(dir)
	if err != nil {
		return nil, err
	}
	base := filepath.Dir(jsonPath)
	root, err := os.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %s: %w", jsonPath, err)
	}
	defer root.Close()
	var paths []string
	for _, g := range m.WeightsManifest {
		for i, p := range g.Paths {
			name, err := localShard(p)
			if err == nil {
				_, err = root.Stat(name)
			}
			if err != nil {
				return nil, fmt.Errorf("tfjs: %s: shard %d of %d: %w", jsonPath, i+1, len(g.Paths), shardError(err))
			}
			paths = append(paths, filepath.Join(base, name))
		}
	}
	return paths, nil
}

// localShard turns a manifest path into a path relative to the model's
// folder, refusing one that is absolute or climbs out of it.
func localShard(p string) (string, error) {
	name := filepath.FromSlash(p)
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("shard path %q is not inside the model's folder (absolute, empty or climbing out with ..): a model.json names its shards relative to its folder", p)
	}
	return name, nil
}

// shardError explains a failure to open a shard through the model's os.Root.
func shardError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w (download incomplete? fetch the model again)", err)
	case strings.Contains(err.Error(), "escapes"):
		return fmt.Errorf("%w: a symbolic link leads out of the model's folder; shards must lie inside it (copy them, or link the whole folder)", err)
	}
	return err
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

// shards reads a weight group's shards as one stream; left is how many
// bytes the shards hold beyond what has been read, by their sizes when
// opened, and bounds every tensor before it is allocated.
type shards struct {
	files []*os.File
	r     io.Reader
	left  int64
}

// openShards opens a group's shards inside root, in manifest order.
func openShards(root *os.Root, paths []string) (*shards, error) {
	s := &shards{}
	readers := make([]io.Reader, len(paths))
	for i, p := range paths {
		name, err := localShard(p)
		var f *os.File
		if err == nil {
			f, err = root.Open(name)
		}
		var st os.FileInfo
		if err == nil {
			s.files = append(s.files, f)
			st, err = f.Stat()
		}
		if err == nil && !st.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", p)
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("TensorFlow.js shard %d of %d: %w", i+1, len(paths), shardError(err))
		}
		readers[i] = io.LimitReader(f, st.Size())
		s.left += st.Size()
	}
	s.r = io.MultiReader(readers...)
	return s, nil
}

func (s *shards) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.left -= int64(n)
	return n, err
}

// Close closes the shard files.
func (s *shards) Close() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	s.files = nil
	return errors.Join(errs...)
}

// readTensor decodes one tensor from the shards, dequantizing it. Its size
// is checked against the bytes the shards still hold before anything is
// allocated.
func readTensor(r *shards, w tensorSpec) ([]float32, error) {
	dims := make([]int64, len(w.Shape))
	for i, d := range w.Shape {
		if d <= 0 {
			return nil, fmt.Errorf("bad shape %v: dimensions must be positive", w.Shape)
		}
		dims[i] = int64(d)
	}
	dtype, scale, min := w.Dtype, 1.0, 0.0
	if q := w.Quantization; q != nil {
		dtype, scale, min = q.Dtype, q.Scale, q.Min
	}
	size := map[string]int64{"float32": 4, "uint8": 1, "uint16": 2, "float16": 2}[dtype]
	if size == 0 {
		return nil, fmt.Errorf("unsupported dtype %q (float32, uint8, uint16 or float16 expected)", dtype)
	}
	n, ok := checked.Product(dims...)
	nbytes, ok2 := checked.Mul(n, size)
	if !ok || !ok2 {
		return nil, fmt.Errorf("shape %v has more elements than any file can hold: the manifest is corrupt", w.Shape)
	}
	if nbytes > r.left {
		return nil, fmt.Errorf("shape %v needs %d bytes of %s, the shards hold %d more: truncated or missing shard, or a manifest that does not match its shards", w.Shape, nbytes, dtype, r.left)
	}
	buf := make([]byte, nbytes)
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
		if len(k) != in*out {
			return nil, fmt.Errorf("classifier layer %s has %d values, its shape %v says %d", fc.keras, len(k), s, in*out)
		}
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
