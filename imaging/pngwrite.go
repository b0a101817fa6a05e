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

// EncodePNGTo writes img to w as PNG with meta stored as text chunks
// placed right after IHDR, keys in sorted order, so equal inputs give
// equal bytes. Values that fit Latin-1 go in tEXt chunks, others in
// uncompressed UTF-8 iTXt chunks. Keys must be 1-79 printable Latin-1
// characters without leading, trailing or double spaces; values must be
// valid UTF-8 without NUL bytes. Bad input is reported before anything is
// written.
func EncodePNGTo(w io.Writer, img image.Image, meta map[string]string) error {
	if err := encodePNG(w, img, meta); err != nil {
		return fmt.Errorf("imaging: %w", err)
	}
	return nil
}

// EncodePNG is EncodePNGTo into a byte slice.
func EncodePNG(img image.Image, meta map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	if err := EncodePNGTo(&buf, img, meta); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WritePNG writes img with metadata meta (see EncodePNGTo) to path
// atomically: it writes a temporary file in the same directory and
// renames it over path, so readers never see a partial file. A new file's
// mode is 0666 less the umask; an existing file keeps its mode.
func WritePNG(path string, img image.Image, meta map[string]string) error {
	err := atomicfile.Write(path, 0o666, func(w io.Writer) error { return encodePNG(w, img, meta) })
	if err != nil {
		return fmt.Errorf("imaging: %s: %w", path, err)
	}
	return nil
}

// encodePNG does EncodePNGTo's work, with errors not yet prefixed.
func encodePNG(w io.Writer, img image.Image, meta map[string]string) error {
	if img == nil {
		return errors.New("cannot encode a nil image")
	}
	if b := img.Bounds(); !sizeOK(b) {
		return fmt.Errorf("cannot encode a %dx%d image: it is empty or over the %d-megapixel limit", b.Dx(), b.Dy(), maxPixels>>20)
	}
	chunks, err := textChunks(meta)
	if err != nil {
		return err
	}
	s := &splicer{w: w, chunks: chunks}
	if err := png.Encode(s, img); err != nil {
		return fmt.Errorf("PNG encoding failed: %w", err)
	}
	if !s.spliced {
		return errors.New("PNG encoder output ended before IHDR")
	}
	return nil
}

// ihdrEnd is where the text chunks go: after the signature and IHDR
// (length, type, 13 bytes of data, CRC).
const ihdrEnd = 8 + 4 + 4 + 13 + 4

// splicer passes the PNG encoder's output to w, putting chunks right
// after IHDR.
type splicer struct {
	w       io.Writer
	chunks  []byte
	head    []byte // the output up to ihdrEnd, until it is complete
	spliced bool
}

func (s *splicer) Write(p []byte) (int, error) {
	if s.spliced {
		return s.w.Write(p)
	}
	n := min(len(p), ihdrEnd-len(s.head))
	s.head = append(s.head, p[:n]...)
	if len(s.head) < ihdrEnd {
		return len(p), nil
	}
	if string(s.head[12:16]) != "IHDR" {
		return 0, errors.New("PNG encoder output does not start with IHDR")
	}
	s.spliced = true
	for _, b := range [][]byte{s.head, s.chunks, p[n:]} {
		if _, err := s.w.Write(b); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
