package vgg

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
)

// TestLoadSharedTFJS loads the shared TensorFlow.js weights through Load:
// the first Load converts and caches, the second reads the cache, and both
// must equal LoadTFJS bit for bit.
func TestLoadSharedTFJS(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("STYLELAB_CACHE", cache)
	dir := testenv.WeightsDir(t)
	want := sharedWeights(t)
	check := func(path string) {
		t.Helper()
		w, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameWeights(want, w); err != nil { // SHA256 included: Load hashes like LoadTFJS
			t.Fatal(err)
		}
		if w.Source != path {
			t.Fatalf("source %q, want %q", w.Source, path)
		}
	}
	check(dir)
	cached := filepath.Join(cache, want.SHA256+cacheExt)
	st, err := os.Stat(cached)
	if err != nil {
		t.Fatalf("Load did not write the cache file: %v", err)
	}
	check(filepath.Join(dir, "model.json"))
	if st2, err := os.Stat(cached); err != nil || !st2.ModTime().Equal(st.ModTime()) {
		t.Fatalf("second Load rewrote the cache instead of reading it (%v)", err)
	}
	info, err := Info(dir)
	if err != nil {
		t.Fatal(err)
	}
	// 143,667,240 parameters: SOURCE.md's byte count of the uint8 shards.
	if info.Format != FormatTFJS || info.Params != 143667240 || len(info.Layers) != 19 ||
		info.SHA256 != want.SHA256 || info.Preprocess != CaffePreprocessing {
		t.Fatalf("Info = %+v", info)
	}
	text := info.String()
	for _, s := range []string{"tfjs", "143667240", "conv5_4", "[4096 25088]", "with the ImageNet classifier", want.SHA256} {
		if !strings.Contains(text, s) {
			t.Errorf("Info text lacks %q:\n%s", s, text)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shared := testenv.WeightsDir(t)
	noJSON := filepath.Join(dir, "nojson")
	if err := os.Mkdir(noJSON, 0o755); err != nil {
		t.Fatal(err)
	}
	legacy := []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e}
	for _, tc := range []struct {
		name, path, format, root, err string
	}{
		{"tfjs dir", shared, FormatTFJS, shared, ""},
		{"model.json", filepath.Join(shared, "model.json"), FormatTFJS, shared, ""},
		{"zip", write("w.bin", []byte("PK\x03\x04rest")), FormatTorch, "", ""},
		{"legacy pickle", write("old.pth", legacy), FormatTorch, "", ""},
		{"caffemodel", write("x.caffemodel", []byte{0x0a, 0x01, 'x'}), FormatCaffe, "", ""},
		{"cache by content", write("any.name", []byte(cacheMagic+"....")), FormatCache, "", ""},
		{"missing", filepath.Join(dir, "nope.pth"), "", "", "do not exist"},
		{"empty", write("empty.pth", nil), "", "", "is empty"},
		{"unknown", write("w.h5", []byte("\x89HDF\r\n\x1a\n")), "", "", "unknown weights format"},
		{"dir without model.json", noJSON, "", "", "directory without model.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			format, root, err := DetectFormat(tc.path)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "vgg: ") || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, tc.path, tc.err)
				}
				if _, lerr := Load(tc.path); lerr == nil || lerr.Error() != err.Error() {
					t.Fatalf("Load error %v, want DetectFormat's %v", lerr, err)
				}
				return
			}
			if tc.root == "" {
				tc.root = tc.path
			}
			if err != nil || format != tc.format || root != tc.root {
				t.Fatalf("DetectFormat = %q, %q, %v; want %q, %q", format, root, err, tc.format, tc.root)
			}
		})
	}
	_, _, err := DetectFormat(filepath.Join(dir, "w.h5"))
	for _, f := range []string{"TensorFlow.js", "PyTorch", "Caffe", "cache"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("unknown-format error does not list %s: %v", f, err)
		}
	}
}

// TestLoadFeaturesSkipsClassifier: the cached weights load without fc6-fc8,
// with the same convolutions, and the cache's checksum still covers the file.
func TestLoadFeaturesSkipsClassifier(t *testing.T) {
	t.Setenv("STYLELAB_CACHE", t.TempDir())
	dir := testenv.WeightsDir(t)
	full, err := Load(dir) // converts and caches
	if err != nil {
		t.Fatal(err)
	}
	for _, pass := range []string{"from the cache", "again"} {
		w, err := LoadFeatures(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.FC) != 0 || len(w.Conv) != 16 || w.SHA256 != full.SHA256 {
			t.Fatalf("%s: %d fc layers, %d conv layers, sha256 %s", pass, len(w.FC), len(w.Conv), w.SHA256)
		}
		for i := range w.Conv {
			if !slices.Equal(w.Conv[i].Kernel, full.Conv[i].Kernel) || !slices.Equal(w.Conv[i].Bias, full.Conv[i].Bias) {
				t.Fatalf("%s: %s differs from the full load", pass, w.Conv[i].Name)
			}
		}
	}
}
