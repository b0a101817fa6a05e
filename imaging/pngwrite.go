package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/stylelab/stylelab/internal/atomicfile"
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
// renames it over path, so readers never see a partial file. A new file's
// mode is 0666 less the umask; an existing file keeps its mode.
func WritePNG(path string, img image.Image, meta map[string]string) error {
	data, err := encodePNG(img, meta)
	if err != nil {
		return fmt.Errorf("imaging: %s: %w", path, err)
	}
	err = atomicfile.Write(path, 0o666, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("imaging: %s: %w", path, err)
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
