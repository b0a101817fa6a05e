package weights

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/stylelab/stylelab/vgg"
	"github.com/stylelab/stylelab/weights/caffe"
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
// be written is skipped. Processes sharing a cache folder convert a source
// once: the others wait for that conversion (a lock file in the folder).
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
		return loadCache(root, classifier)
	}
	sum, err := sourceSHA256(format, root)
	if err != nil {
		return nil, err
	}
	cp, cerr := cachePath(sum)
	for try := 0; cerr == nil && try < 2; try++ {
		if w, err := loadCache(cp, classifier); err == nil && w.SHA256 == sum {
			w.Source = path
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
	w.Source, w.SHA256 = path, sum
	if cerr == nil {
		_ = saveCache(w, cp) // best effort: a read-only cache only costs speed
	}
	if !classifier {
		w.FC = nil
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

// sourceSHA256 hashes a source: the file, or for tfjs model.json followed by
// every shard in manifest order.
func sourceSHA256(format, root string) (string, error) {
	if format != formatTFJS {
		return fileSHA256(root)
	}
	shards, err := tfjs.Shards(root)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if err := hashFile(h, filepath.Join(root, "model.json")); err != nil {
		return "", fmt.Errorf("weights: reading TensorFlow.js model: %w", err)
	}
	for _, p := range shards {
		if err := hashFile(h, p); err != nil {
			return "", fmt.Errorf("weights: TensorFlow.js shard: %w (is the download complete? `stylelab weights verify %s`)", err, root)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileSHA256 is the hex sha256 of a file's contents.
func fileSHA256(path string) (string, error) {
	h := sha256.New()
	if err := hashFile(h, path); err != nil {
		return "", fmt.Errorf("weights: hashing weights: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
