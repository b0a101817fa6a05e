package torch

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// pickler writes the few pickle opcodes a state dict needs (protocol 2).
type pickler struct{ bytes.Buffer }

func (p *pickler) op(b ...byte) *pickler { p.Write(b); return p }

func (p *pickler) str(s string) *pickler {
	p.op('X').op(binary.LittleEndian.AppendUint32(nil, uint32(len(s)))...)
	p.WriteString(s)
	return p
}

func (p *pickler) int(v int64) *pickler {
	if v == int64(int32(v)) {
		return p.op('J').op(binary.LittleEndian.AppendUint32(nil, uint32(int32(v)))...)
	}
	return p.op(0x8a, 8).op(binary.LittleEndian.AppendUint64(nil, uint64(v))...)
}

func (p *pickler) global(mod, name string) *pickler {
	p.op('c')
	p.WriteString(mod + "\n" + name + "\n")
	return p
}

func (p *pickler) ints(vs []int64) *pickler {
	p.op('(')
	for _, v := range vs {
		p.int(v)
	}
	return p.op('t')
}

// craftedTensor is one state dict entry: a float32 tensor in storage key.
type craftedTensor struct {
	name, key     string
	numel, offset int64
	shape, stride []int64
}

// conv0 is features.0.weight as torch saves it, in storage "0".
func conv0() craftedTensor {
	return craftedTensor{"features.0.weight", "0", 64 * 27, 0, []int64{64, 3, 3, 3}, []int64{27, 9, 3, 1}}
}

// statePickle pickles an OrderedDict of tensors, as torch.save does.
func statePickle(tensors ...craftedTensor) []byte {
	p := &pickler{}
	p.op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '(')
	for _, t := range tensors {
		p.str(t.name).global("torch._utils", "_rebuild_tensor_v2").op('(')
		p.op('(').str("storage").global("torch", "FloatStorage").str(t.key).str("cpu").int(t.numel).op('t', 'Q')
		p.int(t.offset).ints(t.shape).ints(t.stride).op(0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R')
	}
	return p.op('u', '.').Bytes()
}

// zipEntry is one member of a crafted archive; a header, when set, is
// written raw with whatever sizes it claims.
type zipEntry struct {
	name   string
	data   []byte
	header *zip.FileHeader
}

func writeZip(t testing.TB, path string, entries ...zipEntry) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var w interface{ Write([]byte) (int, error) }
		var err error
		if e.header != nil {
			e.header.Name = e.name
			w, err = zw.CreateRaw(e.header)
		} else {
			w, err = zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
		}
		if err == nil {
			_, err = w.Write(e.data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// torchZip is a zip-format state dict of tensors with the given storage entries.
func torchZip(t testing.TB, path string, tensors []craftedTensor, storages ...zipEntry) {
	entries := []zipEntry{{name: "archive/data.pkl", data: statePickle(tensors...)}, {name: "archive/byteorder", data: []byte("little")}}
	for _, s := range storages {
		s.name = "archive/data/" + s.name
		entries = append(entries, s)
	}
	writeZip(t, path, entries...)
}

// torchLegacy is a legacy-format file: the pickles, then each storage as
// its declared count and data.
func torchLegacy(t testing.TB, path string, tensors []craftedTensor, count int64, data []byte) {
	var b bytes.Buffer
	magic := []byte{0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}
	b.Write(append([]byte{0x80, 2, 0x8a, byte(len(magic))}, append(magic, '.')...))
	b.Write([]byte{0x80, 2, 'M', 0xe9, 0x03, '.'}) // protocol 1001
	b.Write([]byte{0x80, 2, '}', '.'})             // sys_info
	b.Write(statePickle(tensors...))
	keys := &pickler{}
	keys.op(0x80, 2, ']', '(')
	for _, tt := range tensors {
		keys.str(tt.key)
	}
	b.Write(keys.op('e', '.').Bytes())
	b.Write(binary.LittleEndian.AppendUint64(nil, uint64(count)))
	b.Write(data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rawHeader claims sizes for data that it does not hold.
func rawHeader(method uint16, data []byte, packed, unpacked uint64) *zip.FileHeader {
	return &zip.FileHeader{Method: method, CRC32: crc32.ChecksumIEEE(data), CompressedSize64: packed, UncompressedSize64: unpacked}
}

func deflated(data []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// allocated is how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadLyingFiles: a zip directory, pickle or legacy count that claims
// more than the file holds is refused before anything that large is
// allocated, with an error naming the file and the tensor or storage.
func TestLoadLyingFiles(t *testing.T) {
	dir := t.TempDir()
	small := make([]byte, 64)
	with := func(edit func(*craftedTensor)) []craftedTensor {
		c := conv0()
		edit(&c)
		return []craftedTensor{c}
	}
	full := make([]byte, 4*64*27)
	for _, tc := range []struct {
		name  string
		write func(path string)
		want  []string
	}{
		{"directory claims gigabytes", func(p string) {
			torchZip(t, p, []craftedTensor{conv0()}, zipEntry{name: "0", data: small, header: rawHeader(zip.Store, small, 8<<30, 8<<30)})
		}, []string{"features.0.weight", "zip entry archive/data/0 claims 8589934592 bytes, the whole archive has"}},
		{"stored sizes disagree", func(p string) {
			torchZip(t, p, []craftedTensor{conv0()}, zipEntry{name: "0", data: small, header: rawHeader(zip.Store, small, 64, 1<<40)})
		}, []string{"features.0.weight", "stored uncompressed but claims 1099511627776 bytes unpacked and 64 packed"}},
		{"data.pkl claims gigabytes", func(p string) {
			pkl := statePickle(conv0())
			writeZip(t, p, zipEntry{name: "archive/data.pkl", data: pkl, header: rawHeader(zip.Store, pkl, 1<<33, 1<<33)})
		}, []string{"data.pkl", "claims 8589934592 bytes"}},
		{"numel overflows", func(p string) {
			torchZip(t, p, with(func(c *craftedTensor) { c.numel = 1 << 62 }), zipEntry{name: "0", data: small})
		}, []string{"features.0.weight", "storage 0 claims 4611686018427387904 values"}},
		{"numel beyond entry", func(p string) {
			torchZip(t, p, with(func(c *craftedTensor) { c.numel = 1 << 30 }), zipEntry{name: "0", data: small})
		}, []string{"features.0.weight", "storage 0 holds 64 bytes, want 4294967296"}},
		{"deflated storage claims more than it inflates to", func(p string) {
			packed := deflated(small)
			torchZip(t, p, with(func(c *craftedTensor) { c.numel = 1 << 28 }), zipEntry{name: "0", data: packed, header: rawHeader(zip.Deflate, small, uint64(len(packed)), 1<<30)})
		}, []string{"features.0.weight", "storage 0"}},
		{"stride overflows", func(p string) {
			torchZip(t, p, with(func(c *craftedTensor) { c.stride = []int64{1 << 62, 9, 3, 1} }), zipEntry{name: "0", data: full})
		}, []string{"features.0.weight", "reaches outside its storage of 1728 values"}},
		{"negative stride", func(p string) {
			torchZip(t, p, with(func(c *craftedTensor) { c.stride = []int64{-27, 9, 3, 1} }), zipEntry{name: "0", data: full})
		}, []string{"features.0.weight", "reaches outside its storage"}},
		{"zero strides expand one value", func(p string) {
			torchZip(t, p, with(func(c *craftedTensor) { c.numel, c.stride = 1, []int64{0, 0, 0, 0} }), zipEntry{name: "0", data: small[:4]})
		}, []string{"features.0.weight", "has 1728 values, more than its storage's 1"}},
		{"offset overflows", func(p string) {
			torchZip(t, p, with(func(c *craftedTensor) { c.offset = math.MaxInt64 - 5 }), zipEntry{name: "0", data: full})
		}, []string{"features.0.weight", "reaches outside its storage"}},
		{"legacy count beyond file", func(p string) {
			torchLegacy(t, p, with(func(c *craftedTensor) { c.numel = 1 << 33 }), 1<<33, small)
		}, []string{"storage 0 (features.0.weight) claims 8589934592 values, more than the 64 bytes left in the file"}},
		{"legacy count overflows", func(p string) {
			torchLegacy(t, p, with(func(c *craftedTensor) { c.numel = math.MaxInt64 }), math.MaxInt64, small)
		}, []string{"storage 0 (features.0.weight) claims 9223372036854775807 values"}},
		{"legacy count disagrees", func(p string) {
			torchLegacy(t, p, []craftedTensor{conv0()}, 7, small)
		}, []string{"storage 0 (features.0.weight) holds 7 values, its tensors expect 1728"}},
		{"pickle string claims gigabytes", func(p string) {
			pkl := append([]byte{0x80, 2, 'X', 0xf0, 0xff, 0xff, 0xff}, "short"...)
			writeZip(t, p, zipEntry{name: "archive/data.pkl", data: pkl})
		}, []string{"data.pkl", "pickle truncated", "claims 4294967280 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".pth")
			tc.write(path)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if n := allocated(func() { _, err = Load(path) }); n > 8<<20 { // two 1 MiB read buffers and change
				t.Errorf("Load allocated %d bytes for a file of %d", n, st.Size())
			}
			if err == nil {
				t.Fatal("loaded without error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "torch: "+path+": ") {
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

// TestCraftedTorchLoads: the crafted writers make files the reader gets
// past the first tensor with, so the cases above fail for their lie alone.
func TestCraftedTorchLoads(t *testing.T) {
	dir := t.TempDir()
	full := make([]byte, 4*64*27)
	for _, tc := range []struct {
		name  string
		write func(path string)
	}{
		{"zip", func(p string) { torchZip(t, p, []craftedTensor{conv0()}, zipEntry{name: "0", data: full}) }},
		{"legacy", func(p string) { torchLegacy(t, p, []craftedTensor{conv0()}, 64*27, full) }},
		{"deflated", func(p string) {
			torchZip(t, p, []craftedTensor{conv0()}, zipEntry{name: "0", data: deflated(full), header: rawHeader(zip.Deflate, full, uint64(len(deflated(full))), uint64(len(full)))})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".pth")
			tc.write(path)
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), "has no features.0.bias") {
				t.Fatalf("error %v, want the missing second tensor", err)
			}
		})
	}
}

// TestUnpicklerLies: pickles that claim more than they hold, or that break
// the machine's stack discipline, are errors, not panics or huge buffers.
func TestUnpicklerLies(t *testing.T) {
	for _, tc := range []struct {
		name, pickle, want string
	}{
		{"BINUNICODE claims 4 GB", "\x80\x02X\xff\xff\xff\xffabc", "claims 4294967295 bytes"},
		{"BINUNICODE8 claims 2^62", "\x80\x02\x8d\x00\x00\x00\x00\x00\x00\x00\x40abc", "claims 4611686018427387904 bytes"},
		{"LONG4 claims 4 GB", "\x80\x02\x8b\xff\xff\xff\xffabc", "claims 4294967295 bytes"},
		{"BINBYTES8 negative", "\x80\x02\x8e\xff\xff\xff\xff\xff\xff\xff\xff", "negative length"},
		{"TUPLE1 below MARK", "\x80\x02K\x01(\x85", "stack underflow"},
		{"TUPLE3 below MARK", "\x80\x02K\x01K\x02(K\x03\x87", "stack underflow"},
		{"POP_MARK without MARK", "\x80\x021", "MARK missing"},
		{"SETITEM on a tuple", "\x80\x02)K\x01K\x02s", "SETITEM on a tuple"},
		{"memo read before write", "\x80\x02h\x05", "memo 5 read before written"},
		{"STOP on empty stack", "\x80\x02.", "stack underflow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() {
				_, err = newUnpickler(bufio.NewReader(strings.NewReader(tc.pickle)), map[string]*torchStorage{}).load()
			})
			if n > 1<<20 {
				t.Errorf("allocated %d bytes for a %d-byte pickle", n, len(tc.pickle))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A dict keyed by a tuple (unhashable in Go maps) keeps the entry, unfound.
	u := newUnpickler(bufio.NewReader(strings.NewReader("\x80\x02}(K\x01K\x02tK\x03sK\x04K\x05s.")), map[string]*torchStorage{})
	v, err := u.load()
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*pyDict)
	if len(d.keys) != 2 {
		t.Fatalf("dict holds %d keys, want 2", len(d.keys))
	}
	if got, ok := d.get(int64(4)); !ok || got != int64(5) {
		t.Fatalf("d[4] = %v, %v", got, ok)
	}
}

// FuzzLoad feeds Load arbitrary files (zip or legacy): an error or weights,
// never a panic, never much more memory than the file holds. The seeds in
// testdata/fuzz/FuzzLoad run with go test.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "w.pth")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		if n := allocated(func() { _, err = Load(path) }); n > 64<<20+64*uint64(len(data)) {
			t.Fatalf("Load allocated %d bytes for a %d-byte file", n, len(data))
		}
		if err == nil {
			t.Fatal("a fuzzed file loaded as VGG-19")
		}
		if !strings.HasPrefix(err.Error(), "torch: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
	})
}

// FuzzUnpickle runs the pickle machine on arbitrary bytes: an error or a
// value, never a panic.
func FuzzUnpickle(f *testing.F) {
	f.Add(statePickle(conv0()))
	f.Fuzz(func(t *testing.T, data []byte) {
		storages := map[string]*torchStorage{}
		var err error
		if n := allocated(func() { _, err = newUnpickler(bufio.NewReader(bytes.NewReader(data)), storages).load() }); n > 16<<20+64*uint64(len(data)) {
			t.Fatalf("unpickling %d bytes allocated %d (%v)", len(data), n, err)
		}
	})
}
