package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// EncodePNG encodes img as PNG with meta stored as text chunks placed
// right after IHDR, keys in sorted order, so equal inputs give equal
// bytes. Values that fit Latin-1 go in tEXt chunks, others in
// uncompressed UTF-8 iTXt chunks. Keys must be 1-79 printable Latin-1
// characters without leading, trailing or double spaces; values must be
// valid UTF-8 without NUL bytes.
func EncodePNG(img image.Image, meta map[string]string) ([]byte, error) {
	data, err := encodePNG(img, meta)
	if err != nil {
		return nil, fmt.Errorf("imaging: %w", err)
	}
	return data, nil
}

// WritePNG writes img with metadata meta (see EncodePNG) to path
// atomically: it writes a temporary file in the same directory and
// renames it over path, so readers never see a partial file.
func WritePNG(path string, img image.Image, meta map[string]string) error {
	data, err := encodePNG(img, meta)
	if err != nil {
		return fmt.Errorf("imaging: %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil {
		return fmt.Errorf("imaging: %s: cannot use directory %s (create it first, e.g. os.MkdirAll): %w", path, dir, err)
	} else if !info.IsDir() {
		return fmt.Errorf("imaging: %s: %s is a file, not a directory: choose another output path", path, dir)
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("imaging: %s: is a directory: choose a file name such as %s", path, filepath.Join(path, "out.png"))
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("imaging: %s: cannot create temporary file: %w", path, err)
	}
	if err := writeAndRename(tmp, data, path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("imaging: %s: %w", path, err)
	}
	return nil
}

// writeAndRename fills tmp with data, flushes it and renames it to path.
func writeAndRename(tmp *os.File, data []byte, path string) error {
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}

// encodePNG does EncodePNG's work, with errors not yet prefixed.
func encodePNG(img image.Image, meta map[string]string) ([]byte, error) {
	if img == nil {
		return nil, errors.New("cannot encode a nil image")
	}
	if b := img.Bounds(); !sizeOK(b) {
		return nil, fmt.Errorf("cannot encode a %dx%d image: it is empty or over the %d-megapixel limit", b.Dx(), b.Dy(), maxPixels>>20)
	}
	chunks, err := textChunks(meta)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("PNG encoding failed: %w", err)
	}
	enc := buf.Bytes()
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, length, type, data, CRC
	if len(enc) < ihdrEnd || string(enc[12:16]) != "IHDR" {
		return nil, errors.New("PNG encoder output does not start with IHDR")
	}
	out := make([]byte, 0, len(enc)+len(chunks))
	out = append(out, enc[:ihdrEnd]...)
	out = append(out, chunks...)
	return append(out, enc[ihdrEnd:]...), nil
}
