package torch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/internal/floats"
)

// torchFixture writes VGG-19 state dicts with the real torch.save, and for
// each a .raw file with every tensor as contiguous float32 (the values torch
// holds) and a .keys file listing "key numel" in the same order.
const torchFixture = `
import collections, sys, torch
out = sys.argv[1]
features = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]
widths = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512]

def convs(views):
    sd, cin = collections.OrderedDict(), 3
    for f, c in zip(features, widths):
        sd['features.%d.weight' % f] = torch.randn(c, cin, 3, 3)
        sd['features.%d.bias' % f] = torch.randn(c)
        cin = c
    if views:  # non-contiguous strides and storage offsets, as torch.save keeps them
        sd['features.0.weight'] = torch.randn(3, 3, 3, 64).permute(3, 2, 0, 1)
        sd['features.0.bias'] = torch.randn(100)[10:74]
        sd['features.2.weight'] = torch.randn(64, 64, 3, 3).transpose(2, 3)
    return sd

def dump(name, sd, **kw):
    torch.save(sd, '%s/%s.pth' % (out, name), **kw)
    with open('%s/%s.raw' % (out, name), 'wb') as raw, open('%s/%s.keys' % (out, name), 'w') as keys:
        for k, t in sd.items():
            raw.write(t.float().contiguous().numpy().tobytes())
            keys.write('%s %d\n' % (k, t.numel()))

torch.manual_seed(1)
full = convs(True)
full['classifier.0.weight'] = torch.randn(4096, 25088)
full['classifier.0.bias'] = torch.randn(4096)
full['classifier.3.weight'] = torch.randn(4096, 4096)
full['classifier.3.bias'] = torch.randn(4096)
full['classifier.6.weight'] = torch.randn(4096, 1000).t()
full['classifier.6.bias'] = torch.randn(1000)
dump('full', full)
del full
dump('half', collections.OrderedDict((k, v.half()) for k, v in convs(True).items()))
dump('legacy', convs(False), _use_new_zipfile_serialization=False)
dump('legacybf16', collections.OrderedDict((k, v.bfloat16()) for k, v in convs(False).items()), _use_new_zipfile_serialization=False)
def small(**tensors):
    return collections.OrderedDict((k.replace('_', '.', 2), v) for k, v in tensors.items())
torch.save(small(features_0_weight=torch.randn(64, 1, 3, 3)), out + '/wrongshape.pth')
torch.save(small(features_0_weight=torch.randn(64, 3, 3, 3), features_0_bias=torch.randn(64)), out + '/missing.pth')
torch.save(small(features_0_weight=torch.randn(64, 3, 3, 3), features_0_bias=torch.randn(64), features_1_running_mean=torch.randn(64)), out + '/bn.pth')
torch.save(small(features_0_weight=torch.randint(0, 9, (64, 3, 3, 3))), out + '/int.pth')
torch.save(torch.randn(5), out + '/tensor.pth')
`

// makeTorchFixtures runs /usr/bin/python3 with torch to write the fixtures into dir.
func makeTorchFixtures(t *testing.T, dir string) {
	t.Helper()
	script := filepath.Join(dir, "fixture.py")
	if err := os.WriteFile(script, []byte(torchFixture), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("generating torch fixtures failed (%v): %s\nthis test needs PyTorch for /usr/bin/python3: apt-get install python3-torch", err, out)
	}
}

// torchLayerArrays maps state dict keys to the arrays of w they load into.
func torchLayerArrays(w *vgg.Weights) map[string][]float32 {
	m := map[string][]float32{}
	features := []int{0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34}
	for i, c := range w.Conv {
		m[fmt.Sprintf("features.%d.weight", features[i])] = c.Kernel
		m[fmt.Sprintf("features.%d.bias", features[i])] = c.Bias
	}
	for i, f := range w.FC {
		m[fmt.Sprintf("classifier.%d.weight", 3*i)] = f.Weight
		m[fmt.Sprintf("classifier.%d.bias", 3*i)] = f.Bias
	}
	return m
}

// compareRaw checks every array of w bit for bit against the fixture's raw dump.
func compareRaw(t *testing.T, w *vgg.Weights, base string) {
	t.Helper()
	keys, err := os.ReadFile(base + ".keys")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.Open(base + ".raw")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	r := bufio.NewReaderSize(raw, 1<<20)
	arrays := torchLayerArrays(w)
	lines := strings.Split(strings.TrimSpace(string(keys)), "\n")
	if len(lines) != len(arrays) {
		t.Fatalf("fixture has %d tensors, loaded weights %d", len(lines), len(arrays))
	}
	for _, line := range lines {
		var key string
		var n int
		if _, err := fmt.Sscan(line, &key, &n); err != nil {
			t.Fatal(err)
		}
		want := make([]float32, n)
		if err := floats.Read(r, want); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		got := arrays[key]
		if len(got) != n {
			t.Fatalf("%s: loaded %d values, torch has %d", key, len(got), n)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s[%d] = %v, torch has %v", key, i, got[i], want[i])
			}
		}
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("raw dump has data beyond the listed tensors")
	}
}

func TestLoadTorch(t *testing.T) {
	dir := t.TempDir()
	makeTorchFixtures(t, dir)
	t.Run("values", func(t *testing.T) {
		for _, tc := range []struct {
			name       string
			classifier bool
		}{
			{"full", true},        // zip, float32, strided views, classifier
			{"half", false},       // zip, float16 storages
			{"legacy", false},     // pre-1.6 format
			{"legacybf16", false}, // pre-1.6 format, bfloat16
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := filepath.Join(dir, tc.name+".pth")
				w, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				if got := len(w.FC) > 0; got != tc.classifier {
					t.Fatalf("classifier loaded = %v, want %v", got, tc.classifier)
				}
				if w.SHA256 != "" || w.Source != path || w.Preprocess != vgg.TorchPreprocessing {
					t.Fatalf("metadata: source %q sha256 %s preprocess %+v", w.Source, w.SHA256, w.Preprocess)
				}
				compareRaw(t, w, filepath.Join(dir, tc.name))
			})
		}
	})
	t.Run("errors", func(t *testing.T) {
		trunc := filepath.Join(dir, "truncated.pth")
		copyPrefix(t, filepath.Join(dir, "legacy.pth"), trunc, 5<<20)
		truncZip := filepath.Join(dir, "truncated-zip.pth")
		copyPrefix(t, filepath.Join(dir, "half.pth"), truncZip, 5<<20)
		junk := filepath.Join(dir, "junk.pth")
		if err := os.WriteFile(junk, []byte("\x80\x02}q\x00X\x03\x00\x00\x00abcq\x01\xff."), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ file, want string }{
			{"wrongshape.pth", "features.0.weight has shape [64 1 3 3], want [64 3 3 3]"},
			{"missing.pth", "has no features.2.weight"},
			{"bn.pth", "vgg19_bn"},
			{"tensor.pth", "holds a tensor, not a state dict"},
			{"int.pth", "storage type torch.LongStorage is not supported"},
			{"truncated.pth", "re-download it"},
			{"truncated-zip.pth", "re-download it"},
			{"junk.pth", "pickle"},
			{"nonexistent.pth", "no such file"},
		} {
			t.Run(tc.file, func(t *testing.T) {
				path := filepath.Join(dir, tc.file)
				_, err := Load(path)
				if err == nil {
					t.Fatal("loaded without error")
				}
				if msg := err.Error(); !strings.HasPrefix(msg, "torch: ") || !strings.Contains(msg, tc.want) {
					t.Fatalf("error %q, want it to start with \"torch: \" and say %q", msg, tc.want)
				}
				if tc.file != "nonexistent.pth" && !strings.Contains(err.Error(), path) {
					t.Fatalf("error %q does not name the file", err)
				}
			})
		}
	})
}

// copyPrefix writes the first n bytes of src to dst.
func copyPrefix(t *testing.T, src, dst string, n int64) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	b, err := io.ReadAll(io.LimitReader(in, n))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeLong(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte{}, "0"},
		{[]byte{0xff}, "-1"},
		{[]byte{0x7f}, "127"},
		{[]byte{0x00, 0x80}, "-32768"},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, "9223372036854775807"},
		{[]byte{0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}, "119547037146038801333356"},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff}, "-18446744073709551616"},
	} {
		if got := fmt.Sprint(decodeLong(tc.in)); got != tc.want {
			t.Errorf("decodeLong(% x) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
