package caffe

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// encode writes a pb fragment to bytes.
func encode(p pb) []byte {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	p.write(w)
	w.Flush()
	return b.Bytes()
}

// lyingField is a bytes field whose length claims more than follows.
func lyingField(num protowire.Number, claim uint64, content []byte) pb {
	head := protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.BytesType), claim)
	return pbRaw(append(head, content...))
}

// tinyNet has every VGG-19 conv layer with tiny blobs, conv1_1's first
// blob replaced by first.
func tinyNet(first pb) pb {
	var layers []pb
	for i, name := range vgg19Names() {
		b0 := blob(1)
		if i == 0 {
			b0 = first
		}
		layers = append(layers, encodeLayer(caffeLayout{}, name, true, []pb{b0, blob(1)}))
	}
	return pbCat(layers...)
}

// blob is a BlobProto of shape dims holding four values.
func blob(dims ...uint64) pb {
	var packed []byte
	for _, d := range dims {
		packed = protowire.AppendVarint(packed, d)
	}
	return pbCat(pbField(7, pbField(1, pbRaw(packed))), pbField(5, pbFloats(4, false, func(int) float32 { return 1 })))
}

// hugeShapeNet's conv1_1 claims a shape of 2^120 values.
func hugeShapeNet() pb { return tinyNet(blob(1<<40, 1<<40, 1<<40)) }

func vgg19Names() []string {
	var names []string
	for _, l := range vgg19CaffeLayers(false) {
		names = append(names, l.name)
	}
	return names
}

// allocated is how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadLyingLengths: protobuf lengths and blob shapes that claim more
// than the file holds are refused, naming the file and the layer, without
// allocating what they claim.
func TestLoadLyingLengths(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		file pb
		want []string
	}{
		{"layer claims a terabyte", lyingField(100, 1<<40, []byte("conv1_1")),
			[]string{"protobuf field 100 at byte 0 claims 1099511627776 bytes, 7 remain"}},
		{"length beyond 2^63", lyingField(100, 1<<63+5, []byte("x")),
			[]string{"claims 9223372036854775813 bytes, 1 remain"}},
		{"blob claims a gigabyte", pbCat(pbString(1, "net"), pbField(100, pbCat(pbString(1, "conv1_1"), lyingField(7, 1<<30, make([]byte, 100))))),
			[]string{"layer 1 (conv1_1)", "protobuf field 7", "claims 1073741824 bytes, 100 remain"}},
		{"data claims a gigabyte", tinyNet(lyingField(5, 1<<30, make([]byte, 40))),
			[]string{"layer conv1_1 blob 0: protobuf field 5 at byte 0 claims 1073741824 bytes, 40 remain"}},
		{"huge shape, little data", hugeShapeNet(), []string{"layer conv1_1 blob 0 has shape [1099511627776 1099511627776 1099511627776] and 4 values, want shape [64 3 3 3]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".caffemodel")
			if err := os.WriteFile(path, encode(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			var err error
			if n := allocated(func() { _, err = Load(path) }); n > 1<<20 {
				t.Errorf("Load allocated %d bytes", n)
			}
			if err == nil {
				t.Fatal("loaded without error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "caffe: "+path+": ") {
				t.Errorf("error %q does not start with the file", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}

// FuzzLoad feeds Load arbitrary files: an error or weights, never a panic,
// never much more memory than the file holds. The seeds in
// testdata/fuzz/FuzzLoad run with go test.
func FuzzLoad(f *testing.F) {
	f.Add(encode(hugeShapeNet()))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "w.caffemodel")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		if n := allocated(func() { _, err = Load(path) }); n > 16<<20+16*uint64(len(data)) {
			t.Fatalf("Load allocated %d bytes for a %d-byte file", n, len(data))
		}
		if err == nil {
			t.Fatal("a fuzzed file loaded as VGG-19")
		}
		if !strings.HasPrefix(err.Error(), "caffe: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
	})
}
