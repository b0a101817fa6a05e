package torch

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"slices"
	"strings"

	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/internal/checked"
	"github.com/stylelab/stylelab/weights/internal/floats"
)

// Load reads torchvision's VGG-19 state dict (vgg19-dcbb9e9d.pth or any
// torch.save(model.state_dict())), in the zip format of PyTorch >= 1.6 or
// the older "legacy" format. Storages may be float32, float16, bfloat16 or
// float64. torchvision's network already takes RGB: Preprocess is
// vgg.TorchPreprocessing. Source is path; SHA256 is left to weights.Load.
func Load(path string) (*vgg.Weights, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("torch: opening PyTorch weights: %w", err)
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return nil, fmt.Errorf("torch: %s: too short for a PyTorch file (%v): re-download it", path, err)
	}
	var w *vgg.Weights
	if string(magic[:]) == "PK\x03\x04" {
		w, err = loadTorchZip(path)
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("torch: %s: %w", path, err)
		}
		st, serr := f.Stat()
		if serr != nil {
			return nil, fmt.Errorf("torch: %s: %w", path, serr)
		}
		w, err = loadTorchLegacy(path, newSizedReader(f, st.Size()))
	}
	if err != nil {
		return nil, err
	}
	w.Source, w.Preprocess = path, vgg.TorchPreprocessing
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// torchStorage is one storage a pickled tensor refers to.
type torchStorage struct {
	key   string
	dtype string // FloatStorage, HalfStorage, BFloat16Storage, DoubleStorage
	numel int64
	data  []float32 // filled once read
	view  *torchView
}

// torchView is a legacy storage view: a window into a root storage.
type torchView struct {
	root         *torchStorage
	offset, size int64
}

// torchTensor is a tensor as torch._utils._rebuild_tensor_v2 describes it.
type torchTensor struct {
	storage       *torchStorage
	offset        int64
	shape, stride []int64
}

func storageElemSize(dtype string) int64 {
	switch dtype {
	case "FloatStorage":
		return 4
	case "HalfStorage", "BFloat16Storage":
		return 2
	case "DoubleStorage":
		return 8
	}
	return 0
}

// torchStorageFromPID decodes a persistent id ('storage', type, key, location, numel[, view]).
func torchStorageFromPID(pid any, storages map[string]*torchStorage) (*torchStorage, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) < 5 || t[0] != "storage" {
		return nil, fmt.Errorf("persistent id %v is not a tensor storage", pid)
	}
	g, ok1 := t[1].(pyGlobal)
	key, ok2 := t[2].(string)
	numel, ok3 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("malformed storage reference %v", pid)
	}
	if storageElemSize(g.name) == 0 {
		return nil, fmt.Errorf("storage type %s.%s is not supported (float32, float16, bfloat16 or float64 expected)", g.module, g.name)
	}
	s := storages[key]
	if s == nil {
		s = &torchStorage{key: key, dtype: g.name, numel: numel}
		storages[key] = s
	}
	if len(t) >= 6 && t[5] != nil {
		v, ok := t[5].(pyTuple)
		if !ok || len(v) != 3 {
			return nil, fmt.Errorf("malformed storage view %v", t[5])
		}
		vkey, _ := v[0].(string)
		off, _ := v[1].(int64)
		size, _ := v[2].(int64)
		if vs := storages[vkey]; vs != nil {
			return vs, nil
		}
		vs := &torchStorage{key: vkey, dtype: g.name, numel: size, view: &torchView{root: s, offset: off, size: size}}
		storages[vkey] = vs
		return vs, nil
	}
	return s, nil
}

// torchReduce builds the few Python objects a state dict pickle contains.
func torchReduce(fn pyGlobal, args pyTuple) (any, error) {
	switch fn.module + "." + fn.name {
	case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
		d := &pyDict{}
		if len(args) == 1 { // Python 2 pickles: OrderedDict([[k, v], ...])
			if l, ok := args[0].(*pyList); ok {
				for _, kv := range l.items {
					if p, ok := kv.(*pyList); ok && len(p.items) == 2 {
						d.set(p.items[0], p.items[1])
					} else if p, ok := kv.(pyTuple); ok && len(p) == 2 {
						d.set(p[0], p[1])
					}
				}
			}
		}
		return d, nil
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
		if len(args) < 4 {
			return nil, fmt.Errorf("%s with %d arguments, want at least 4", fn.name, len(args))
		}
		s, ok1 := args[0].(*torchStorage)
		off, ok2 := args[1].(int64)
		shape, ok3 := intTuple(args[2])
		stride, ok4 := intTuple(args[3])
		if !ok1 || !ok2 || !ok3 || !ok4 || len(shape) != len(stride) {
			return nil, fmt.Errorf("malformed tensor (%v, %v, %v, %v)", args[0], args[1], args[2], args[3])
		}
		return &torchTensor{storage: s, offset: off, shape: shape, stride: stride}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(args) == 0 {
			return nil, errors.New("_rebuild_parameter without arguments")
		}
		return args[0], nil
	}
	return &pyObject{class: fn, args: args}, nil
}

func intTuple(v any) ([]int64, bool) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(t))
	for i, x := range t {
		if out[i], ok = x.(int64); !ok {
			return nil, false
		}
	}
	return out, true
}

// loadTorchZip reads the zip format: <prefix>/data.pkl plus <prefix>/data/<key>.
// The zip directory's sizes are checked against the archive's real size
// before a storage is allocated.
func loadTorchZip(path string) (*vgg.Weights, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("torch: %w", err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("torch: %s: corrupt PyTorch zip archive (%v): re-download it", path, err)
	}
	defer zr.Close()
	entries := map[string]*zip.File{}
	prefix := ""
	for _, f := range zr.File {
		entries[f.Name] = f
		if strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			prefix = strings.TrimSuffix(f.Name, "data.pkl")
		}
	}
	if prefix == "" {
		return nil, fmt.Errorf("torch: %s: zip archive without <name>/data.pkl: not a torch.save file", path)
	}
	if bo := entries[prefix+"byteorder"]; bo != nil {
		if b, err := readZipEntry(bo, st.Size()); err == nil && string(b) != "little" {
			return nil, fmt.Errorf("torch: %s: saved with byte order %q; only little-endian files are supported", path, b)
		}
	}
	pkl, err := readZipEntry(entries[prefix+"data.pkl"], st.Size())
	if err != nil {
		return nil, fmt.Errorf("torch: %s: reading data.pkl: %w (re-download it)", path, err)
	}
	storages := map[string]*torchStorage{}
	u := newUnpickler(bufio.NewReader(bytes.NewReader(pkl)), storages)
	obj, err := u.load()
	if err != nil {
		return nil, fmt.Errorf("torch: %s: data.pkl: %w", path, err)
	}
	read := func(s *torchStorage) error {
		e := entries[prefix+"data/"+s.key]
		if e == nil {
			return fmt.Errorf("storage %s is missing from the archive", s.key)
		}
		if err := entryFits(e, st.Size()); err != nil {
			return fmt.Errorf("storage %s: %w (re-download it)", s.key, err)
		}
		want, ok := checked.Mul(s.numel, storageElemSize(s.dtype))
		if !ok {
			return fmt.Errorf("storage %s claims %d values: corrupt", s.key, s.numel)
		}
		if int64(e.UncompressedSize64) < want {
			return fmt.Errorf("storage %s holds %d bytes, want %d (truncated? re-download it)", s.key, e.UncompressedSize64, want)
		}
		rc, err := e.Open()
		if err != nil {
			return fmt.Errorf("storage %s: %w (re-download it)", s.key, err)
		}
		defer rc.Close()
		// A stored entry's bytes are in the archive (entryFits); a
		// compressed one's only arrive as they are inflated.
		s.data, err = readStorage(bufio.NewReaderSize(rc, 1<<20), s.dtype, s.numel, e.Method == zip.Store)
		if err != nil {
			return fmt.Errorf("storage %s: %w (re-download it)", s.key, err)
		}
		return nil
	}
	return torchToWeights(path, obj, read)
}

// entryFits checks a zip entry's declared sizes against the archive's real
// size: packed, it cannot be larger than the archive; stored, it is as large
// unpacked as packed.
func entryFits(e *zip.File, archive int64) error {
	if e.CompressedSize64 > uint64(archive) {
		return fmt.Errorf("zip entry %s claims %d bytes, the whole archive has %d: truncated or corrupt", e.Name, e.CompressedSize64, archive)
	}
	if e.Method == zip.Store && e.UncompressedSize64 != e.CompressedSize64 {
		return fmt.Errorf("zip entry %s is stored uncompressed but claims %d bytes unpacked and %d packed: corrupt", e.Name, e.UncompressedSize64, e.CompressedSize64)
	}
	return nil
}

// legacyMagic is the number torch's legacy format starts with.
const legacyMagic = "1950a86a20f9469cfc6c"

// sizedReader buffers a file of known size and knows how many of its
// bytes are still unread.
type sizedReader struct {
	*bufio.Reader
	size, read int64 // file size; bytes handed to the buffer
}

func newSizedReader(f io.Reader, size int64) *sizedReader {
	s := &sizedReader{size: size}
	s.Reader = bufio.NewReaderSize(readCounter{f, &s.read}, 1<<20)
	return s
}

// left is how many bytes of the file are not yet read.
func (s *sizedReader) left() int64 { return s.size - s.read + int64(s.Buffered()) }

type readCounter struct {
	r io.Reader
	n *int64
}

func (c readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// loadTorchLegacy reads the pre-1.6 format: magic, protocol, sys_info and
// object pickles, the list of storage keys, then each storage as int64
// count + data; a count is checked against the bytes left in the file
// before its storage is allocated.
func loadTorchLegacy(path string, r *sizedReader) (*vgg.Weights, error) {
	storages := map[string]*torchStorage{}
	next := func(what string) (any, error) {
		v, err := newUnpickler(r.Reader, storages).load()
		if err != nil {
			return nil, fmt.Errorf("torch: %s: not a PyTorch file (reading the %s: %w)", path, what, err)
		}
		return v, nil
	}
	magic, err := next("magic number")
	if err != nil {
		return nil, err
	}
	if b, ok := magic.(*big.Int); !ok || b.Text(16) != legacyMagic {
		return nil, fmt.Errorf("torch: %s: pickle without torch's magic number: not a torch.save file", path)
	}
	if _, err := next("protocol version"); err != nil {
		return nil, err
	}
	info, err := next("system info")
	if err != nil {
		return nil, err
	}
	if d, ok := info.(*pyDict); ok {
		if le, ok := d.get("little_endian"); ok && le == false {
			return nil, fmt.Errorf("torch: %s: saved on a big-endian machine; not supported", path)
		}
	}
	obj, err := next("state dict")
	if err != nil {
		return nil, err
	}
	keysObj, err := next("storage key list")
	if err != nil {
		return nil, err
	}
	keys, ok := keysObj.(*pyList)
	if !ok {
		return nil, fmt.Errorf("torch: %s: storage key list is %T, not a list", path, keysObj)
	}
	for _, k := range keys.items {
		key, _ := k.(string)
		s := storages[key]
		if s == nil {
			return nil, fmt.Errorf("torch: %s: storage %v is listed but never referenced", path, k)
		}
		var n int64
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, fmt.Errorf("torch: %s: truncated before storage %s: %w (re-download it)", path, key, err)
		}
		if n != s.numel {
			return nil, fmt.Errorf("torch: %s: storage %s%s holds %d values, its tensors expect %d", path, key, storageUsers(obj, s), n, s.numel)
		}
		if want, ok := checked.Mul(n, storageElemSize(s.dtype)); !ok || want > r.left() {
			return nil, fmt.Errorf("torch: %s: storage %s%s claims %d values, more than the %d bytes left in the file (truncated? re-download it)", path, key, storageUsers(obj, s), n, r.left())
		}
		if s.data, err = readStorage(r, s.dtype, n, true); err != nil {
			return nil, fmt.Errorf("torch: %s: storage %s%s: %w (file truncated? re-download it)", path, key, storageUsers(obj, s), err)
		}
	}
	read := func(s *torchStorage) error { return fmt.Errorf("storage %s has no data in the file", s.key) }
	return torchToWeights(path, obj, read)
}

// readStorage decodes n little-endian values of a storage type to float32.
// present says whether the source is known to hold their bytes: then the
// result is allocated at once, else it grows as the bytes arrive.
func readStorage(r io.Reader, dtype string, n int64, present bool) ([]float32, error) {
	if n < 0 {
		return nil, fmt.Errorf("negative storage size %d", n)
	}
	size := storageElemSize(dtype)
	decode := storageDecoder(dtype)
	if decode == nil {
		return nil, fmt.Errorf("storage type %s is not supported", dtype)
	}
	const chunk = 1 << 16
	var out []float32
	if present {
		out = make([]float32, 0, n)
	}
	buf := make([]byte, min(n, chunk)*size)
	for done := int64(0); done < n; {
		m := min(n-done, chunk)
		b := buf[:m*size]
		if _, err := io.ReadFull(r, b); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("%w after %d of %d values", err, done, n)
		}
		out = slices.Grow(out, int(m))[:done+m]
		decode(out[done:], b)
		done += m
	}
	return out, nil
}

// storageDecoder converts a storage type's little-endian bytes to
// float32, len(dst) values; nil for an unsupported type.
func storageDecoder(dtype string) func(dst []float32, b []byte) {
	switch dtype {
	case "FloatStorage":
		return func(dst []float32, b []byte) {
			for i := range dst {
				dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		}
	case "HalfStorage":
		return func(dst []float32, b []byte) {
			for i := range dst {
				dst[i] = floats.FromHalf(binary.LittleEndian.Uint16(b[2*i:]))
			}
		}
	case "BFloat16Storage":
		return func(dst []float32, b []byte) {
			for i := range dst {
				dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			}
		}
	case "DoubleStorage":
		return func(dst []float32, b []byte) {
			for i := range dst {
				dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
			}
		}
	}
	return nil
}

// values returns the tensor's elements in row-major order of its shape.
func (t *torchTensor) values(read func(*torchStorage) error) ([]float32, error) {
	s, off := t.storage, t.offset
	if v := s.view; v != nil {
		if v.offset < 0 || off > math.MaxInt64-v.offset {
			return nil, fmt.Errorf("tensor offset %d in a view at offset %d is corrupt", off, v.offset)
		}
		s, off = v.root, off+v.offset
	}
	if s.data == nil {
		if err := read(s); err != nil {
			return nil, err
		}
	}
	n, ok := checked.Product(t.shape...)
	if !ok {
		return nil, fmt.Errorf("tensor shape %v is corrupt", t.shape)
	}
	if n == 0 {
		return []float32{}, nil
	}
	if n > int64(len(s.data)) { // overlapping strides: a few stored values would make many
		return nil, fmt.Errorf("tensor of shape %v has %d values, more than its storage's %d (overlapping strides are not supported)", t.shape, n, len(s.data))
	}
	// The lowest and highest storage index the tensor reaches, with
	// strides of either sign; any overflow is out of range.
	first, last, ok := off, off, off >= 0
	contiguous, want := true, int64(1)
	for i := len(t.shape) - 1; i >= 0 && ok; i-- {
		if t.shape[i] > 1 && t.stride[i] != want {
			contiguous = false
		}
		want *= t.shape[i] // at most n: no overflow
		stride := t.stride[i]
		if stride < 0 {
			stride = -stride // math.MinInt64 stays negative and fails Mul
		}
		span, ok1 := checked.Mul(t.shape[i]-1, stride)
		ok = ok1 && span <= math.MaxInt64-last && first >= math.MinInt64+span
		if t.stride[i] >= 0 {
			last += span
		} else {
			first -= span
		}
	}
	if !ok || first < 0 || last >= int64(len(s.data)) {
		return nil, fmt.Errorf("tensor (offset %d, shape %v, stride %v) reaches outside its storage of %d values", off, t.shape, t.stride, len(s.data))
	}
	if contiguous {
		if off == 0 && n == int64(len(s.data)) {
			return s.data, nil
		}
		return append([]float32(nil), s.data[off:off+n]...), nil
	}
	out := make([]float32, n)
	idx := make([]int64, len(t.shape))
	pos := off
	for i := range out {
		out[i] = s.data[pos]
		for d := len(idx) - 1; d >= 0; d-- { // odometer over the shape
			idx[d]++
			pos += t.stride[d]
			if idx[d] < t.shape[d] {
				break
			}
			pos -= idx[d] * t.stride[d]
			idx[d] = 0
		}
	}
	return out, nil
}

// torchToWeights maps torchvision's state dict keys to the canonical layers.
func torchToWeights(path string, obj any, read func(*torchStorage) error) (*vgg.Weights, error) {
	dict, ok := obj.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("torch: %s: holds a %s, not a state dict: save the weights with torch.save(model.state_dict(), path)", path, pyTypeName(obj))
	}
	for _, nested := range []string{"state_dict", "model"} { // training checkpoints
		if v, ok := dict.get(nested); ok {
			if d, ok := v.(*pyDict); ok {
				dict = d
			}
		}
	}
	tensor := func(key string, shape ...int64) ([]float32, error) {
		v, ok := dict.get(key)
		if !ok {
			v, ok = dict.get("module." + key)
		}
		if !ok {
			hint := ""
			if _, bn := dict.get("features.1.running_mean"); bn {
				hint = " (this is a batch-normalised vgg19_bn; only the plain vgg19 is supported)"
			}
			return nil, fmt.Errorf("torch: %s: state dict has no %s%s; want torchvision vgg19's keys features.{0,2,...,34}.weight/bias", path, key, hint)
		}
		t, ok := v.(*torchTensor)
		if !ok {
			return nil, fmt.Errorf("torch: %s: %s is a %s, not a tensor", path, key, pyTypeName(v))
		}
		if !slices.Equal(t.shape, shape) {
			return nil, fmt.Errorf("torch: %s: %s has shape %v, want %v (VGG-19)", path, key, t.shape, shape)
		}
		vals, err := t.values(read)
		if err != nil {
			return nil, fmt.Errorf("torch: %s: %s: %w", path, key, err)
		}
		return vals, nil
	}
	w := &vgg.Weights{}
	features := []int{0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34}
	for i, name := range vgg.ConvNames {
		cin, cout := vgg.ConvChannels(i)
		key := fmt.Sprintf("features.%d.", features[i])
		k, err := tensor(key+"weight", int64(cout), int64(cin), 3, 3)
		if err != nil {
			return nil, err
		}
		b, err := tensor(key+"bias", int64(cout))
		if err != nil {
			return nil, err
		}
		w.Conv = append(w.Conv, vgg.ConvParams{Name: name, Cin: cin, Cout: cout, Kernel: k, Bias: b})
	}
	_, top := dict.get("classifier.0.weight")
	if _, m := dict.get("module.classifier.0.weight"); m {
		top = true
	}
	if !top {
		return w, nil
	}
	fcs := []struct {
		name    string
		index   int
		in, out int
	}{{"fc6", 0, 512 * 7 * 7, 4096}, {"fc7", 3, 4096, 4096}, {"fc8", 6, 4096, 1000}}
	for _, fc := range fcs {
		key := fmt.Sprintf("classifier.%d.", fc.index)
		k, err := tensor(key+"weight", int64(fc.out), int64(fc.in))
		if err != nil {
			return nil, err
		}
		b, err := tensor(key+"bias", int64(fc.out))
		if err != nil {
			return nil, err
		}
		w.FC = append(w.FC, vgg.DenseParams{Name: fc.name, In: fc.in, Out: fc.out, Weight: k, Bias: b})
	}
	return w, nil
}

// readZipEntry reads a small entry whole; its buffer grows only as bytes
// arrive, and archive/zip stops at the size the directory declares.
func readZipEntry(f *zip.File, archive int64) ([]byte, error) {
	if err := entryFits(f, archive); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// storageUsers names, in parentheses, the state dict entries whose tensors
// live in s, for errors about a storage.
func storageUsers(obj any, s *torchStorage) string {
	d, ok := obj.(*pyDict)
	if !ok {
		return ""
	}
	var names []string
	for i, v := range d.vals {
		t, ok := v.(*torchTensor)
		if !ok {
			continue
		}
		if t.storage == s || t.storage.view != nil && t.storage.view.root == s {
			names = append(names, fmt.Sprint(d.keys[i]))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}
