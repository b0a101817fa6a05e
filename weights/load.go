package weights

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/caffe"
	"github.com/stylelab/stylelab/weights/fetch"
	"github.com/stylelab/stylelab/weights/tfjs"
	"github.com/stylelab/stylelab/weights/torch"
)

// The weight file formats detectFormat tells apart.
const (
	formatTFJS  = "tfjs"  // TensorFlow.js layers model: a directory with model.json and shards
	formatTorch = "torch" // PyTorch state dict (.pth/.pt), zip or legacy format
	formatCaffe = "caffe" // Caffe NetParameter (.caffemodel), V1 or V2 layers
	formatCache = "cache" // stylelab's converted-weights cache (.slw)
)

const supportedFormats = "supported: a TensorFlow.js layers model (directory with model.json), " +
	"a PyTorch state dict (.pth/.pt), a Caffe model (.caffemodel), or a stylelab cache file (.slw)"

// Load reads VGG-19 weights in any supported format and returns them in
// canonical form, SHA256 the source's. Everything but a cache file is
// converted once and kept in the cache directory ($STYLELAB_CACHE, else the
// user cache's stylelab/weights) under the source's sha256, so loading the
// same source again only hashes it and reads the cache. A cache that cannot
// be written is skipped; one that is corrupt is converted again. Processes
// sharing a cache folder convert a source once: the others wait for that
// conversion (a lock file in the folder).
//
// The hashes also check the source against the models `stylelab weights
// fetch` knows: weights that match one are Verified; files named like a
// known model's that differ from its published sha256 are refused, with
// the fix; anything else loads unverified, as Provenance says.
func Load(path string) (*vgg.Weights, error) { return load(path, true) }

// LoadFeatures is Load without the classifier (fc6-fc8): the convolutions
// that style transfer uses, in a fifth of the memory once cached.
func LoadFeatures(path string) (*vgg.Weights, error) { return load(path, false) }

func load(path string, classifier bool) (*vgg.Weights, error) {
	format, root, err := detectFormat(path)
	if err != nil {
		return nil, err
	}
	if format == formatCache {
		return loadCacheFile(root, classifier)
	}
	return loadSource(path, format, root, classifier, "")
}

// loadSource loads a source that is not a cache file through the cache;
// want, when set, is the sha256 the source must have.
func loadSource(path, format, root string, classifier bool, want string) (*vgg.Weights, error) {
	sum, files, err := hashSource(format, root)
	if err != nil {
		return nil, err
	}
	if want != "" && sum != want {
		return nil, fmt.Errorf("weights: %s changed since it was converted (sha256 %s, the cache was made from %s)", path, sum, want)
	}
	verified, provenance, err := checkKnown(fetch.Models(), files)
	if err != nil {
		return nil, err
	}
	cp, cerr := cachePath(sum)
	for try := 0; cerr == nil && try < 2; try++ {
		if w, err := loadCache(cp, classifier); err == nil && w.SHA256 == sum {
			w.Source, w.Verified, w.Provenance = path, verified, provenance
			return w, nil
		}
		if try == 0 { // not cached: convert holding the lock, or wait for the process that holds it and read its cache
			defer lockConversion(cp)()
		}
	}
	var w *vgg.Weights
	switch format {
	case formatTFJS:
		w, err = tfjs.Load(root)
	case formatTorch:
		w, err = torch.Load(root)
	case formatCaffe:
		w, err = caffe.Load(root)
	}
	if err != nil {
		return nil, err
	}
	w.Source, w.SHA256, w.Verified, w.Provenance = path, sum, verified, provenance
	if cerr == nil {
		origin, _ := filepath.Abs(path)
		_ = saveCache(w, cp, origin) // best effort: a read-only cache only costs speed
	}
	if !classifier {
		w.FC = nil
	}
	return w, nil
}

// loadCacheFile reads a cache file named directly. One that fails its
// checks is converted again from the source it records, when that source
// is still there with the same sha256; otherwise the error stands.
func loadCacheFile(path string, classifier bool) (*vgg.Weights, error) {
	w, err := loadCache(path, classifier)
	if err == nil {
		return w, nil
	}
	origin, sum := cacheOrigin(path)
	if origin == "" || sum == "" {
		return nil, err
	}
	format, root, ferr := detectFormat(origin)
	if ferr != nil || format == formatCache {
		return nil, err
	}
	w, rerr := loadSource(origin, format, root, classifier, sum)
	if rerr != nil {
		return nil, fmt.Errorf("%w; converting its source %s again failed: %w", err, origin, rerr)
	}
	return w, nil
}

// detectFormat says which format path holds (one of the format constants)
// and the path its reader takes (a model.json's directory for tfjs).
func detectFormat(path string) (format, root string, err error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("weights: weights %s do not exist: check the path, or download them with `stylelab weights fetch MODEL` (`stylelab weights list` shows the models)", path)
	}
	if err != nil {
		return "", "", fmt.Errorf("weights: weights %s: %w", path, err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "model.json")); err != nil {
			return "", "", fmt.Errorf("weights: %s is a directory without model.json; %s", path, supportedFormats)
		}
		return formatTFJS, path, nil
	}
	if st.Size() == 0 {
		return "", "", fmt.Errorf("weights: weights file %s is empty: the download was probably interrupted; fetch it again", path)
	}
	if filepath.Base(path) == "model.json" {
		return formatTFJS, filepath.Dir(path), nil
	}
	head := make([]byte, 16)
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("weights: weights %s: %w", path, err)
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case bytes.HasPrefix(head, []byte(cacheMagic)):
		return formatCache, path, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return formatTorch, path, nil
	case bytes.HasPrefix(head, []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}):
		return formatTorch, path, nil // legacy torch.save: pickled magic number
	case ext == ".caffemodel":
		return formatCaffe, path, nil
	}
	return "", "", fmt.Errorf("weights: %s: unknown weights format (starts with % x); %s", path, head, supportedFormats)
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, bufio.NewReaderSize(f, 1<<20))
	return err
}
