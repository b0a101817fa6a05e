package tfjs

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/vgg"
)

var shared struct {
	once sync.Once
	w    *vgg.Weights
	err  error
}

// sharedWeights loads the shared TensorFlow.js VGG-19 once per test binary.
func sharedWeights(t testing.TB) *vgg.Weights {
	shared.once.Do(func() { shared.w, shared.err = Load(testenv.WeightsDir(t)) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.w
}

// TestLoadShared reads the shared uint8 model: the whole network with its
// classifier, in Caffe's preprocessing, its source the model.json.
func TestLoadShared(t *testing.T) {
	w := sharedWeights(t)
	dir := testenv.WeightsDir(t)
	if len(w.Conv) != 16 || len(w.FC) != 3 || w.Preprocess != vgg.CaffePreprocessing {
		t.Errorf("%d conv and %d fc layers, preprocessing %+v; want 16, 3 and Caffe's", len(w.Conv), len(w.FC), w.Preprocess)
	}
	if want := filepath.Join(dir, "model.json"); w.Source != want || w.SHA256 != "" {
		t.Errorf("source %q, sha256 %q; want %q and none (weights.Load hashes)", w.Source, w.SHA256, want)
	}
	shards, err := Shards(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) != 138 || shards[0] != filepath.Join(dir, "group1-shard1of138.bin") || shards[137] != filepath.Join(dir, "group1-shard138of138.bin") {
		t.Errorf("Shards = %d paths from %v, want group1-shard1of138.bin ... group1-shard138of138.bin in %s", len(shards), shards[:min(2, len(shards))], dir)
	}
	if _, err := Shards(t.TempDir()); err == nil || !strings.HasPrefix(err.Error(), "tfjs: ") || !strings.Contains(err.Error(), "model.json") {
		t.Errorf("Shards of a directory without model.json: %v", err)
	}
}

// writeTFJS writes the conv layers of w as a TensorFlow.js layers model in
// dtype ("float32", "float16", or quantized "uint8"/"uint16"), split into
// shards of shardSize bytes, and returns its directory.
func writeTFJS(t *testing.T, w *vgg.Weights, dtype string, shardSize int) string {
	dir := t.TempDir()
	var stream []byte
	var specs []map[string]any
	for i, c := range w.Conv {
		kname := "block" + c.Name[4:5] + "_conv" + c.Name[6:]
		hwio := make([]float32, len(c.Kernel))
		for co := 0; co < c.Cout; co++ {
			for ci := 0; ci < c.Cin; ci++ {
				src := ci
				if i == 0 {
					src = 2 - ci // Keras reads BGR
				}
				for k := 0; k < 9; k++ {
					hwio[(k*c.Cin+src)*c.Cout+co] = c.Kernel[(co*c.Cin+ci)*9+k]
				}
			}
		}
		for _, tensor := range []struct {
			suffix string
			shape  []int
			vals   []float32
		}{{"/kernel", []int{3, 3, c.Cin, c.Cout}, hwio}, {"/bias", []int{c.Cout}, c.Bias}} {
			spec := map[string]any{"name": kname + tensor.suffix, "shape": tensor.shape, "dtype": "float32"}
			var data []byte
			data, spec = encodeTFJS(tensor.vals, dtype, spec)
			stream = append(stream, data...)
			specs = append(specs, spec)
		}
	}
	var paths []string
	for i := 0; i*shardSize < len(stream); i++ {
		name := fmt.Sprintf("group1-shard%dof%d.bin", i+1, (len(stream)+shardSize-1)/shardSize)
		end := min(len(stream), (i+1)*shardSize)
		if err := os.WriteFile(filepath.Join(dir, name), stream[i*shardSize:end], 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, name)
	}
	model := map[string]any{"format": "layers-model", "modelTopology": map[string]any{},
		"weightsManifest": []any{map[string]any{"paths": paths, "weights": specs}}}
	data, _ := json.Marshal(model)
	if err := os.WriteFile(filepath.Join(dir, "model.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func encodeTFJS(vals []float32, dtype string, spec map[string]any) ([]byte, map[string]any) {
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	var out []byte
	switch dtype {
	case "float32":
		for _, v := range vals {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	case "float16":
		for _, v := range vals {
			out = binary.LittleEndian.AppendUint16(out, floatToHalf(v))
		}
		spec["quantization"] = map[string]any{"dtype": "float16", "original_dtype": "float32"}
	case "uint8", "uint16":
		levels := 255.0
		if dtype == "uint16" {
			levels = 65535
		}
		scale := math.Max(float64(hi-lo), 1e-12) / levels
		for _, v := range vals {
			q := math.Round(float64(v-lo) / scale)
			if dtype == "uint8" {
				out = append(out, byte(q))
			} else {
				out = binary.LittleEndian.AppendUint16(out, uint16(q))
			}
		}
		spec["quantization"] = map[string]any{"dtype": dtype, "scale": scale, "min": float64(lo), "original_dtype": "float32"}
	}
	return out, spec
}

// floatToHalf rounds to the nearest IEEE half (normal range only, enough for weights).
func floatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b>>23)&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case exp <= 0:
		return sign // flush tiny values to zero
	case exp >= 0x1f:
		return sign | 0x7c00
	}
	h := sign | uint16(exp)<<10 | uint16(mant>>13)
	if mant&0x1000 != 0 {
		h++
	}
	return h
}

// TestLoadDtypes writes the shared weights back in every TensorFlow.js
// dtype and reads them again: float32 exactly, the others within their precision.
func TestLoadDtypes(t *testing.T) {
	src := sharedWeights(t)
	tests := []struct {
		dtype string
		tol   func(spread float64) float64
	}{
		{"float32", func(float64) float64 { return 0 }},
		{"float16", func(float64) float64 { return 1e-3 }},
		{"uint16", func(s float64) float64 { return s / 65535 }},
		{"uint8", func(s float64) float64 { return s / 255 }},
	}
	for _, tc := range tests {
		t.Run(tc.dtype, func(t *testing.T) {
			w, err := Load(writeTFJS(t, src, tc.dtype, 3<<20))
			if err != nil {
				t.Fatal(err)
			}
			if len(w.FC) != 0 || w.Preprocess != vgg.CaffePreprocessing {
				t.Errorf("classifier %d layers, preprocessing %+v", len(w.FC), w.Preprocess)
			}
			for i, c := range w.Conv {
				for _, pair := range [][2][]float32{{c.Kernel, src.Conv[i].Kernel}, {c.Bias, src.Conv[i].Bias}} {
					lo, hi := pair[1][0], pair[1][0]
					for _, v := range pair[1] {
						lo, hi = min(lo, v), max(hi, v)
					}
					tol := tc.tol(float64(hi - lo))
					for j := range pair[0] {
						if d := math.Abs(float64(pair[0][j] - pair[1][j])); d > tol*1.0001+1e-12 && !(tc.dtype == "float16" && d <= 1e-3*math.Abs(float64(pair[1][j]))+6e-8) {
							t.Fatalf("%s[%d] = %g, want %g (tolerance %g)", c.Name, j, pair[0][j], pair[1][j], tol)
						}
					}
				}
			}
		})
	}
}

func TestLoadBadFiles(t *testing.T) {
	src := sharedWeights(t)
	tests := []struct {
		name   string
		break_ func(dir string)
		want   []string
	}{
		{"truncated shard", func(dir string) {
			p := filepath.Join(dir, "group1-shard5of5.bin")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o644)
		}, []string{"block5_conv4", "truncated or missing shard"}},
		{"missing shard", func(dir string) { os.Remove(filepath.Join(dir, "group1-shard2of5.bin")) }, []string{"shard 2 of 5"}},
		{"extra bytes", func(dir string) {
			f, _ := os.OpenFile(filepath.Join(dir, "group1-shard5of5.bin"), os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte{1, 2, 3})
			f.Close()
		}, []string{"3 bytes left", "does not match"}},
		{"not json", func(dir string) { os.WriteFile(filepath.Join(dir, "model.json"), []byte("<html>"), 0o644) }, []string{"model.json", "not a TensorFlow.js model.json"}},
		{"graph model", func(dir string) {
			os.WriteFile(filepath.Join(dir, "model.json"), []byte(`{"format":"graph-model","weightsManifest":[]}`), 0o644)
		}, []string{`"graph-model"`, "layers-model"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTFJS(t, src, "uint8", 4<<20) // five shards
			tc.break_(dir)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
