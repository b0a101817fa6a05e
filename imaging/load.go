package imaging

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
)

// maxPixels bounds the pixel count Load accepts (64 megapixels), so that
// a corrupt or hostile header cannot make the decoder allocate gigabytes.
const maxPixels = 1 << 26

// Load reads a JPEG, PNG or GIF file (the first frame of a GIF).
// Errors name the path and the problem: missing file, directory, empty
// file, a file that is not an image, or a truncated or corrupt image.
func Load(path string) (image.Image, error) {
	if err := checkRegularFile(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("imaging: %s: cannot read: %w", path, err)
	}
	return LoadBytes(path, data)
}

// LoadBytes decodes a JPEG, PNG or GIF image held in memory, such as one
// embedded in the binary; name is used in error messages only. A JPEG's
// EXIF orientation is applied, so a photo taken on its side stands upright.
func LoadBytes(name string, data []byte) (image.Image, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("imaging: %s: empty file (0 bytes): re-export or re-download the image", name)
	}
	f, problem := sniff(data)
	if f.decode == nil {
		return nil, fmt.Errorf("imaging: %s: %s", name, problem)
	}
	cfg, err := f.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("imaging: %s: truncated or corrupt %s (%w): re-export or re-download the image", name, f.name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("imaging: %s: %s header gives an empty size %dx%d: the file is corrupt", name, f.name, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("imaging: %s: %dx%d pixels is more than the %d-megapixel limit: downscale it first", name, cfg.Width, cfg.Height, maxPixels>>20)
	}
	img, err := decodeSafely(f.decode, data)
	if err != nil {
		return nil, fmt.Errorf("imaging: %s: truncated or corrupt %s (%w): re-export or re-download the image", name, f.name, err)
	}
	if f.name == "JPEG" {
		img = orient(img, jpegOrientation(data)) // as a camera meant it to be seen
	}
	return img, nil
}

// SHA256File returns the lower-case hex SHA-256 digest of a file's bytes.
func SHA256File(path string) (string, error) {
	if err := checkRegularFile(path); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("imaging: %s: cannot open: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("imaging: %s: cannot read: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkRegularFile reports a missing path, a directory or a special file.
func checkRegularFile(path string) error {
	if path == "" {
		return errors.New("imaging: empty path: pass the name of an image file")
	}
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		wd, _ := os.Getwd()
		return fmt.Errorf("imaging: %s: no such file (relative paths start at %s): check the path: %w", path, wd, err)
	}
	if err != nil {
		return fmt.Errorf("imaging: %s: cannot access: %w", path, err)
	}
	if info.IsDir() {
		return fmt.Errorf("imaging: %s: is a directory, not a file: name an image file inside it", path)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("imaging: %s: not a regular file (%s): name an ordinary image file", path, info.Mode().Type())
	}
	return nil
}

// decodeSafely turns a decoder panic on malformed data into an error.
func decodeSafely(decode func(io.Reader) (image.Image, error), data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("decoder failed: %v", r)
		}
	}()
	return decode(bytes.NewReader(data))
}
