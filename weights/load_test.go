package weights

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stylelab/stylelab/internal/testenv"
	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/tfjs"
	"github.com/stylelab/stylelab/weights/torch"
)

// sharedDigest is the sha256 of the shared TensorFlow.js model: model.json
// followed by its 138 shards in manifest order. It names the cache file, so
// it must not change.
const sharedDigest = "d24ccb9849a68bb8621e0562897dc9a7a38190fbb135e45df908a2959853b49c"

var shared struct {
	once sync.Once
	w    *vgg.Weights
	err  error
}

// sharedWeights reads the shared TensorFlow.js model once per test binary,
// with the reader alone (no cache).
func sharedWeights(t testing.TB) *vgg.Weights {
	shared.once.Do(func() { shared.w, shared.err = tfjs.Load(testenv.WeightsDir(t)) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.w
}

// TestLoadSharedTFJS loads the shared TensorFlow.js weights through Load:
// the first Load converts and caches, the second reads the cache, and both
// must equal tfjs.Load bit for bit, with the source's sha256.
func TestLoadSharedTFJS(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("STYLELAB_CACHE", cache)
	dir := testenv.WeightsDir(t)
	want := *sharedWeights(t)
	want.SHA256 = sharedDigest
	check := func(path string) {
		t.Helper()
		w, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameWeights(&want, w); err != nil { // SHA256 included
			t.Fatal(err)
		}
		if w.Source != path {
			t.Fatalf("source %q, want %q", w.Source, path)
		}
		if !w.Verified || w.Provenance != "verified: vgg19-imagenet-tfjs-uint8, 139 file(s) match their published sha256" {
			t.Fatalf("verified %v, provenance %q; want the registered model's 139 files verified", w.Verified, w.Provenance)
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
	info, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	// 143,667,240 parameters: SOURCE.md's byte count of the uint8 shards.
	if info.Format != formatTFJS || info.Params != 143667240 || len(info.Layers) != 19 ||
		info.SHA256 != want.SHA256 || info.Preprocess != vgg.CaffePreprocessing {
		t.Fatalf("Inspect = %+v", info)
	}
	text := info.String()
	if !info.Verified {
		t.Fatalf("Inspect: not verified (%s)", info.Provenance)
	}
	for _, s := range []string{"tfjs", "143667240", "conv5_4", "[4096 25088]", "with the ImageNet classifier", want.SHA256, "provenance:  verified: vgg19-imagenet-tfjs-uint8"} {
		if !strings.Contains(text, s) {
			t.Errorf("Inspect's text lacks %q:\n%s", s, text)
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
		{"tfjs dir", shared, formatTFJS, shared, ""},
		{"model.json", filepath.Join(shared, "model.json"), formatTFJS, shared, ""},
		{"zip", write("w.bin", []byte("PK\x03\x04rest")), formatTorch, "", ""},
		{"legacy pickle", write("old.pth", legacy), formatTorch, "", ""},
		{"caffemodel", write("x.caffemodel", []byte{0x0a, 0x01, 'x'}), formatCaffe, "", ""},
		{"cache by content", write("any.name", []byte(cacheMagic+"....")), formatCache, "", ""},
		{"missing", filepath.Join(dir, "nope.pth"), "", "", "do not exist"},
		{"empty", write("empty.pth", nil), "", "", "is empty"},
		{"unknown", write("w.h5", []byte("\x89HDF\r\n\x1a\n")), "", "", "unknown weights format"},
		{"dir without model.json", noJSON, "", "", "directory without model.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			format, root, err := detectFormat(tc.path)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "weights: ") || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, tc.path, tc.err)
				}
				if _, lerr := Load(tc.path); lerr == nil || lerr.Error() != err.Error() {
					t.Fatalf("Load error %v, want detectFormat's %v", lerr, err)
				}
				return
			}
			if tc.root == "" {
				tc.root = tc.path
			}
			if err != nil || format != tc.format || root != tc.root {
				t.Fatalf("detectFormat = %q, %q, %v; want %q, %q", format, root, err, tc.format, tc.root)
			}
		})
	}
	_, _, err := detectFormat(filepath.Join(dir, "w.h5"))
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

// torchFixture saves a VGG-19 state dict (convolutions only) with the real
// torch.save, in the legacy format.
const torchFixture = `
import collections, sys, torch
torch.manual_seed(2)
sd, cin = collections.OrderedDict(), 3
for f, c in zip([0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34],
                [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512]):
    sd['features.%d.weight' % f] = torch.randn(c, cin, 3, 3)
    sd['features.%d.bias' % f] = torch.randn(c)
    cin = c
torch.save(sd, sys.argv[1], _use_new_zipfile_serialization=False)
`

// TestLoadTorchCaches loads a PyTorch file through Load: the reader's
// weights with the file's sha256, kept in the cache, from which a second
// Load reads them.
func TestLoadTorchCaches(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("STYLELAB_CACHE", filepath.Join(dir, "cache"))
	path := filepath.Join(dir, "vgg19.pth")
	if out, err := exec.Command("/usr/bin/python3", "-c", torchFixture, path).CombinedOutput(); err != nil {
		t.Fatalf("torch.save failed (%v): %s\nthis test needs PyTorch for /usr/bin/python3: apt-get install python3-torch", err, out)
	}
	want, err := torch.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want.SHA256, _, err = hashSource(formatTorch, path); err != nil {
		t.Fatal(err)
	}
	w, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameWeights(want, w); err != nil {
		t.Fatal(err)
	}
	cp, err := cachePath(w.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cp); err != nil {
		t.Fatalf("Load did not populate the cache: %v", err)
	}
	// A second Load must come from the cache: plant a recognisable entry.
	w.Conv[3].Bias[7] = 12345
	if err := saveCache(w, cp, ""); err != nil {
		t.Fatal(err)
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Conv[3].Bias[7] != 12345 || again.Source != path || again.SHA256 != want.SHA256 {
		t.Fatalf("second Load did not read the cache (bias %v, source %q)", again.Conv[3].Bias[7], again.Source)
	}
	for _, got := range []*vgg.Weights{w, again} { // a state dict of no known model
		if got.Verified || !strings.HasPrefix(got.Provenance, "unverified: not a model") {
			t.Fatalf("verified %v, provenance %q; want unverified, not a known model", got.Verified, got.Provenance)
		}
	}

	// A corrupt cache file is converted again, not used: through the
	// source, and when named directly, from the source it records.
	flip := func(at int64) {
		t.Helper()
		b, err := os.ReadFile(cp)
		if err != nil {
			t.Fatal(err)
		}
		b[int64(len(b))+at] ^= 0x10
		if err := os.WriteFile(cp, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flip(-1000)
	if _, err := loadCache(cp, true); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("flipped cache byte not detected: %v", err)
	}
	rebuilt, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameWeights(want, rebuilt); err != nil {
		t.Fatalf("Load used the corrupt cache: %v", err)
	}
	if c, err := loadCache(cp, true); err != nil || sameWeights(want, c) != nil {
		t.Fatalf("the corrupt cache was not rewritten: %v", err)
	}
	flip(-5)
	direct, err := LoadFeatures(cp)
	if err != nil {
		t.Fatalf("corrupt cache named directly: %v", err)
	}
	abs, _ := filepath.Abs(path)
	if direct.Source != abs || direct.SHA256 != want.SHA256 || !slices.Equal(direct.Conv[15].Bias, want.Conv[15].Bias) {
		t.Fatalf("corrupt cache named directly: source %q, sha256 %s; want it converted again from %s", direct.Source, direct.SHA256, abs)
	}
	if _, err := loadCache(cp, true); err != nil {
		t.Fatalf("the corrupt cache named directly was not rewritten: %v", err)
	}
	// A cache of the previous format, which recorded no origin, is
	// converted again from its absolute source path.
	b, err := os.ReadFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(b[8:], 1)
	b = bytes.Replace(b, []byte(`"origin":`), []byte(`"origjn":`), 1)
	if err := os.WriteFile(cp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if old, err := LoadFeatures(cp); err != nil || old.SHA256 != want.SHA256 || old.Source != path {
		t.Fatalf("version 1 cache named directly: %v", err)
	}
	if _, err := loadCache(cp, true); err != nil {
		t.Fatalf("the version 1 cache was not rewritten: %v", err)
	}
}
