package weights

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/internal/floats"
)

// The cache file: cacheMagic, uint32 version, uint32 JSON length, uint32
// CRC-32C of everything after the header (metadata, padding and payload),
// uint32 zero, the JSON cacheMeta, zero padding to a multiple of 64 bytes,
// then every array as little-endian float32, in order: conv kernel and
// bias for conv1_1 ... conv5_4, then weight and bias for fc6, fc7, fc8.
// Version 1 checksummed the payload only; its files are converted again.
const (
	cacheMagic     = "SLVGG19W"
	cacheVersion   = 2
	cacheHeaderLen = 24
	cacheExt       = ".slw"
)

type cacheMeta struct {
	Source     string            `json:"source"`
	SHA256     string            `json:"sha256"`
	Origin     string            `json:"origin,omitempty"` // absolute path of the source, to convert it again
	Verified   bool              `json:"verified"`
	Provenance string            `json:"provenance,omitempty"`
	Preprocess vgg.Preprocessing `json:"preprocess"`
	Layers     []cacheLayer      `json:"layers"`
	Floats     int64             `json:"floats"`

	// Normalised is the provenance of normalised weights (vgg.Normalise).
	Normalised *vgg.Normalisation `json:"normalised,omitempty"`
}

// cacheLayer is a conv layer (In=Cin, Out=Cout, 3x3 kernel) or an fc layer.
type cacheLayer struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // "conv" or "fc"
	In   int    `json:"in"`
	Out  int    `json:"out"`
}

// cacheDir is where Load keeps converted weights: $STYLELAB_CACHE if set,
// else the user cache directory's stylelab/weights.
func cacheDir() (string, error) {
	if d := os.Getenv("STYLELAB_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("weights: no cache directory (%w): set STYLELAB_CACHE to a writable directory", err)
	}
	return filepath.Join(d, "stylelab", "weights"), nil
}

// cachePath is the cache file for a source with the given sha256.
func cachePath(sum string) (string, error) {
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, sum+cacheExt), nil
}

// saveCache writes w to path in the cache format, atomically: a reader sees
// either the old file or the complete new one. Parent directories are
// created. origin is the source's absolute path, or "".
func saveCache(w *vgg.Weights, path, origin string) error {
	if err := w.Validate(); err != nil {
		return fmt.Errorf("weights: not caching invalid weights: %w", err)
	}
	meta := cacheMeta{Source: w.Source, SHA256: w.SHA256, Origin: origin, Verified: w.Verified, Provenance: w.Provenance, Normalised: w.Normalised, Preprocess: w.Preprocess}
	var arrays [][]float32
	for _, c := range w.Conv {
		meta.Layers = append(meta.Layers, cacheLayer{Name: c.Name, Kind: "conv", In: c.Cin, Out: c.Cout})
		arrays = append(arrays, c.Kernel, c.Bias)
	}
	for _, f := range w.FC {
		meta.Layers = append(meta.Layers, cacheLayer{Name: f.Name, Kind: "fc", In: f.In, Out: f.Out})
		arrays = append(arrays, f.Weight, f.Bias)
	}
	for _, a := range arrays {
		meta.Floats += int64(len(a))
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("weights: cache metadata: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("weights: cache directory: %w (set STYLELAB_CACHE to a writable directory)", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("weights: writing cache: %w (set STYLELAB_CACHE to a writable directory)", err)
	}
	err = writeCache(tmp, js, arrays)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("weights: writing cache %s: %w", path, err)
	}
	return nil
}

func writeCache(f *os.File, js []byte, arrays [][]float32) error {
	pad := (64 - (cacheHeaderLen+len(js))%64) % 64
	head := make([]byte, cacheHeaderLen)
	copy(head, cacheMagic)
	binary.LittleEndian.PutUint32(head[8:], cacheVersion)
	binary.LittleEndian.PutUint32(head[12:], uint32(len(js)))
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := bw.Write(head); err != nil {
		return err
	}
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	out := io.MultiWriter(bw, crc)
	if _, err := out.Write(append(js, make([]byte, pad)...)); err != nil {
		return err
	}
	buf := make([]byte, 1<<18)
	for _, a := range arrays {
		for len(a) > 0 {
			n := min(len(a), len(buf)/4)
			for i, v := range a[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := out.Write(buf[:4*n]); err != nil {
				return err
			}
			a = a[n:]
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	if _, err := f.WriteAt(sum[:], 16); err != nil {
		return err
	}
	return f.Sync()
}

// cacheHead is a cache file's header and metadata.
type cacheHead struct {
	version, crc uint32
	js           []byte // the metadata as stored
	meta         cacheMeta
}

// readCacheHead reads the header and metadata of a cache file of size bytes.
func readCacheHead(r io.Reader, path string, size int64) (*cacheHead, error) {
	head := make([]byte, cacheHeaderLen)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:8]) != cacheMagic {
		return nil, fmt.Errorf("weights: %s: not a stylelab weights cache file (bad header): delete it", path)
	}
	h := &cacheHead{version: binary.LittleEndian.Uint32(head[8:]), crc: binary.LittleEndian.Uint32(head[16:])}
	jsLen := int64(binary.LittleEndian.Uint32(head[12:]))
	if jsLen > 1<<20 || cacheHeaderLen+jsLen > size {
		return nil, fmt.Errorf("weights: %s: cache metadata length %d is corrupt: delete the file", path, jsLen)
	}
	h.js = make([]byte, jsLen)
	if _, err := io.ReadFull(r, h.js); err != nil {
		return nil, fmt.Errorf("weights: %s: truncated cache file: delete it", path)
	}
	if err := json.Unmarshal(h.js, &h.meta); err != nil {
		return h, fmt.Errorf("weights: %s: cache metadata: %w (delete the file)", path, err)
	}
	return h, nil
}

// cacheOrigin is the source a cache file was converted from and its
// sha256, as its metadata says (of any version: version 1 recorded only
// the path given to Load, usable when absolute), or "" when unreadable.
func cacheOrigin(path string) (origin, sum string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", ""
	}
	h, err := readCacheHead(f, path, st.Size())
	if err != nil {
		return "", ""
	}
	if origin = h.meta.Origin; origin == "" && filepath.IsAbs(h.meta.Source) {
		origin = h.meta.Source
	}
	return origin, h.meta.SHA256
}

// loadCache reads a file saveCache wrote, checking its checksum and shapes;
// without classifier, the fc layers are checksummed but not kept. Nothing
// larger than the file is allocated, whatever its metadata says.
func loadCache(path string, classifier bool) (*vgg.Weights, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: opening weights cache: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("weights: %s: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	h, err := readCacheHead(r, path, st.Size())
	if err == nil && h.version != cacheVersion {
		err = fmt.Errorf("weights: %s: cache format version %d, this build reads %d: delete the file and load the original weights again", path, h.version, cacheVersion)
	}
	if err != nil {
		return nil, err
	}
	meta := h.meta
	jsLen := int64(len(h.js))
	pad := (64 - (cacheHeaderLen+jsLen)%64) % 64
	payload := st.Size() - cacheHeaderLen - jsLen - pad
	if meta.Floats < 0 || payload < 0 || meta.Floats > payload/4 || 4*meta.Floats != payload {
		return nil, fmt.Errorf("weights: %s: cache file is %d bytes, its header says %d floats after %d bytes of header: truncated or corrupt, delete it", path, st.Size(), meta.Floats, cacheHeaderLen+jsLen+pad)
	}
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	crc.Write(h.js)
	if _, err := io.CopyN(crc, r, pad); err != nil {
		return nil, fmt.Errorf("weights: %s: %w", path, err)
	}
	w, arrays, err := cacheWeights(meta, classifier)
	if err != nil {
		return nil, fmt.Errorf("weights: %s: %w (delete the file)", path, err)
	}
	tr := io.TeeReader(r, crc)
	for _, a := range arrays {
		if err := floats.Read(tr, a); err != nil {
			return nil, fmt.Errorf("weights: %s: reading cache payload: %w", path, err)
		}
	}
	if !classifier { // checksum the classifier's bytes without keeping them
		var fc int64
		for _, l := range meta.Layers {
			if l.Kind == "fc" {
				fc += 4 * (int64(l.In)*int64(l.Out) + int64(l.Out))
			}
		}
		if n, err := io.CopyN(crc, r, fc); err != nil || n != fc {
			return nil, fmt.Errorf("weights: %s: truncated cache file: delete it", path)
		}
	}
	if got := crc.Sum32(); got != h.crc {
		return nil, fmt.Errorf("weights: %s: cache checksum %08x, want %08x: the file is corrupt, delete it", path, got, h.crc)
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("weights: cache %s: %w", path, err)
	}
	return w, nil
}

// cacheWeights allocates the layers meta describes and lists their arrays in file order.
func cacheWeights(meta cacheMeta, classifier bool) (*vgg.Weights, [][]float32, error) {
	w := &vgg.Weights{Source: meta.Source, SHA256: meta.SHA256, Verified: meta.Verified, Provenance: meta.Provenance, Normalised: meta.Normalised, Preprocess: meta.Preprocess}
	var arrays [][]float32
	var total int64
	for _, l := range meta.Layers {
		if l.In <= 0 || l.Out <= 0 || l.In > 1<<20 || l.Out > 1<<20 {
			return nil, nil, fmt.Errorf("layer %s has implausible size %dx%d", l.Name, l.In, l.Out)
		}
		size := int64(l.In) * int64(l.Out)
		if l.Kind == "conv" {
			size *= 9
		}
		if total += size + int64(l.Out); total > meta.Floats {
			return nil, nil, errors.New("layers need more values than the header's count")
		}
		switch l.Kind {
		case "conv":
			c := vgg.ConvParams{Name: l.Name, Cin: l.In, Cout: l.Out, Kernel: make([]float32, size), Bias: make([]float32, l.Out)}
			w.Conv = append(w.Conv, c)
			arrays = append(arrays, c.Kernel, c.Bias)
		case "fc":
			if !classifier {
				continue
			}
			f := vgg.DenseParams{Name: l.Name, In: l.In, Out: l.Out, Weight: make([]float32, size), Bias: make([]float32, l.Out)}
			w.FC = append(w.FC, f)
			arrays = append(arrays, f.Weight, f.Bias)
		default:
			return nil, nil, fmt.Errorf("layer %s has unknown kind %q", l.Name, l.Kind)
		}
	}
	if total != meta.Floats {
		return nil, nil, fmt.Errorf("layers hold %d values, header says %d", total, meta.Floats)
	}
	return w, arrays, nil
}
