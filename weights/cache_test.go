package weights

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/vgg"
)

// sameWeights reports the first difference between a and b, bit for bit.
func sameWeights(a, b *vgg.Weights) error {
	if a.SHA256 != b.SHA256 || a.Preprocess != b.Preprocess {
		return fmt.Errorf("metadata differs: %s %+v vs %s %+v", a.SHA256, a.Preprocess, b.SHA256, b.Preprocess)
	}
	if len(a.Conv) != len(b.Conv) || len(a.FC) != len(b.FC) {
		return fmt.Errorf("layer counts differ: %d+%d vs %d+%d", len(a.Conv), len(a.FC), len(b.Conv), len(b.FC))
	}
	same := func(name string, x, y []float32) error {
		if len(x) != len(y) {
			return fmt.Errorf("%s: %d vs %d values", name, len(x), len(y))
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return fmt.Errorf("%s[%d]: %v vs %v", name, i, x[i], y[i])
			}
		}
		return nil
	}
	for i, c := range a.Conv {
		d := b.Conv[i]
		if c.Name != d.Name || c.Cin != d.Cin || c.Cout != d.Cout {
			return fmt.Errorf("conv %d: %s %dx%d vs %s %dx%d", i, c.Name, c.Cin, c.Cout, d.Name, d.Cin, d.Cout)
		}
		if err := same(c.Name+" kernel", c.Kernel, d.Kernel); err != nil {
			return err
		}
		if err := same(c.Name+" bias", c.Bias, d.Bias); err != nil {
			return err
		}
	}
	for i, f := range a.FC {
		g := b.FC[i]
		if f.Name != g.Name || f.In != g.In || f.Out != g.Out {
			return fmt.Errorf("fc %d: %s %dx%d vs %s %dx%d", i, f.Name, f.In, f.Out, g.Name, g.In, g.Out)
		}
		if err := same(f.Name+" weight", f.Weight, g.Weight); err != nil {
			return err
		}
		if err := same(f.Name+" bias", f.Bias, g.Bias); err != nil {
			return err
		}
	}
	return nil
}

// value is a deterministic pseudo-random value in [-1, 1) for element i of
// a layer's array.
func value(layer, array, i int) float32 {
	x := uint64(layer*2+array)<<40 ^ uint64(i)
	x += 0x9e3779b97f4a7c15 // splitmix64
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float32(int32(x>>32)) / (1 << 31)
}

// convOnlyWeights is a valid conv-only VGG-19 with deterministic values,
// including -0 and subnormals, which the cache must keep exactly.
func convOnlyWeights() *vgg.Weights {
	w := &vgg.Weights{Source: "synthetic", SHA256: strings.Repeat("ab", 32), Preprocess: vgg.TorchPreprocessing}
	for i, name := range vgg.ConvNames {
		cin, cout := vgg.ConvChannels(i)
		c := vgg.ConvParams{Name: name, Cin: cin, Cout: cout, Kernel: make([]float32, cout*cin*9), Bias: make([]float32, cout)}
		for j := range c.Kernel {
			c.Kernel[j] = value(i, 0, j)
		}
		for j := range c.Bias {
			c.Bias[j] = value(i, 1, j)
		}
		c.Bias[0], c.Bias[1] = float32(math.Copysign(0, -1)), math.Float32frombits(1)
		w.Conv = append(w.Conv, c)
	}
	return w
}

// TestCacheRoundTrip checks the format; TestLoadSharedTFJS round-trips the
// shared weights with their classifier.
func TestCacheRoundTrip(t *testing.T) {
	w := convOnlyWeights()
	path := filepath.Join(t.TempDir(), "sub", "w"+cacheExt)
	if err := saveCache(w, path, ""); err != nil {
		t.Fatal(err)
	}
	got, err := loadCache(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameWeights(w, got); err != nil {
		t.Fatal(err)
	}
	if got.Source != w.Source {
		t.Fatalf("source %q, want %q", got.Source, w.Source)
	}
}

func TestLoadCacheCorrupt(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good"+cacheExt)
	if err := saveCache(convOnlyWeights(), good, ""); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	jsStart := cacheHeaderLen
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"empty", func([]byte) []byte { return nil }, "not a stylelab weights cache file"},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, "not a stylelab weights cache file"},
		{"other version", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 99); return b }, "cache format version 99"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-4] }, "truncated or corrupt"},
		{"appended", func(b []byte) []byte { return append(b, 0, 0, 0, 0) }, "truncated or corrupt"},
		{"flipped payload bit", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, "checksum"},
		{"bad json", func(b []byte) []byte { b[jsStart] = 'x'; return b }, "cache metadata"},
		{"huge json length", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 1<<30); return b }, "metadata length"},
		{"renamed layer", func(b []byte) []byte { return bytes.Replace(b, []byte(`"conv3_2"`), []byte(`"conv3_9"`), 1) }, "checksum"},
		{"renamed layer, checksum updated", func(b []byte) []byte {
			return reseal(bytes.Replace(b, []byte(`"conv3_2"`), []byte(`"conv3_9"`), 1))
		}, "layer 5 is conv3_9"},
		{"unknown kind", func(b []byte) []byte { return reseal(bytes.Replace(b, []byte(`"conv"`), []byte(`"cnvv"`), 1)) }, `unknown kind "cnvv"`},
		{"float count", func(b []byte) []byte { return bytes.Replace(b, []byte(`"floats":2`), []byte(`"floats":3`), 1) }, "truncated or corrupt"},
		// 4*(2^62+n) wraps around to 4n: the count must be bounded before it
		// is multiplied (the sha256 shrinks to keep the metadata's length).
		{"float count that wraps", func(b []byte) []byte {
			b = bytes.Replace(b, []byte(`"floats":20024384`), []byte(`"floats":4611686018447412288`), 1)
			return bytes.Replace(b, []byte(strings.Repeat("ab", 32)), []byte(strings.Repeat("ab", 32)[:53]), 1)
		}, "truncated or corrupt"},
		{"changed metadata", func(b []byte) []byte { return bytes.Replace(b, []byte(`"Scale":1`), []byte(`"Scale":2`), 1) }, "checksum"},
		{"changed padding", func(b []byte) []byte { // or the payload's first byte when there is none
			b[cacheHeaderLen+binary.LittleEndian.Uint32(b[12:])] = 1
			return b
		}, "checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+cacheExt)
			if err := os.WriteFile(path, tc.edit(bytes.Clone(orig)), 0o644); err != nil {
				t.Fatal(err)
			}
			var err error
			if n := allocated(func() { _, err = loadCache(path, true) }); n > uint64(len(orig))*3/2 {
				t.Errorf("loadCache allocated %d bytes for a %d-byte file", n, len(orig))
			}
			if err == nil {
				t.Fatal("loaded without error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "weights: ") || !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q, want \"weights: \", the path and %q", msg, tc.want)
			}
		})
	}
}

// reseal recomputes a cache file's checksum after an edit.
func reseal(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[cacheHeaderLen:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// allocated is how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestSaveCacheAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w"+cacheExt)
	w := convOnlyWeights()
	if err := saveCache(w, path, ""); err != nil {
		t.Fatal(err)
	}
	w.Conv[2].Bias[3] = 42 // replace the file with a changed copy
	if err := saveCache(w, path, ""); err != nil {
		t.Fatal(err)
	}
	bad := convOnlyWeights()
	bad.Conv[0].Kernel[5] = float32(math.NaN())
	if err := saveCache(bad, path, ""); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Fatalf("saving NaN weights: %v, want a refusal naming the non-finite value", err)
	}
	got, err := loadCache(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Conv[2].Bias[3] != 42 || !math.IsInf(float64(1/got.Conv[0].Bias[0]), -1) {
		t.Fatalf("cache holds bias %v and %v, want the second save's 42 and -0", got.Conv[2].Bias[3], got.Conv[0].Bias[0])
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("cache directory holds %d entries, want only the cache file (temporary files left behind?)", len(entries))
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("STYLELAB_CACHE", "/some/where")
	if d, err := cacheDir(); err != nil || d != "/some/where" {
		t.Fatalf("cacheDir with STYLELAB_CACHE = %q, %v", d, err)
	}
	t.Setenv("STYLELAB_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if d, err := cacheDir(); err != nil || d != "/xdg/stylelab/weights" {
		t.Fatalf("default cacheDir = %q, %v", d, err)
	}
}

// FuzzLoadCache feeds loadCache arbitrary files: an error or weights,
// never a panic, never much more memory than the file holds. The seeds in
// testdata/fuzz/FuzzLoadCache run with go test.
func FuzzLoadCache(f *testing.F) {
	f.Add(smallCache(f, `{"layers":[{"name":"conv1_1","kind":"conv","in":3,"out":2}],"floats":56}`, 56))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "w"+cacheExt)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, classifier := range []bool{true, false} {
			var err error
			if n := allocated(func() { _, err = loadCache(path, classifier) }); n > 4<<20+8*uint64(len(data)) {
				t.Fatalf("loadCache allocated %d bytes for a %d-byte file", n, len(data))
			}
			if err == nil {
				t.Fatal("a fuzzed file loaded as VGG-19")
			}
		}
	})
}

// smallCache is a cache file with metadata js and n float32 values, its
// checksum right: it passes every check but the shapes of VGG-19.
func smallCache(tb testing.TB, js string, n int) []byte {
	path := filepath.Join(tb.TempDir(), "small"+cacheExt)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = value(0, 0, i)
	}
	err = writeCache(f, []byte(js), [][]float32{vals})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	b, rerr := os.ReadFile(path)
	if err != nil || rerr != nil {
		tb.Fatal(err, rerr)
	}
	return b
}
