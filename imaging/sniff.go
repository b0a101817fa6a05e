package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
)

// format is a supported image codec.
type format struct {
	name   string
	decode func(io.Reader) (image.Image, error)
	config func(io.Reader) (image.Config, error)
}

// sniff identifies the codec from the file's first bytes. For data it
// cannot decode it returns a zero format and a message saying why.
func sniff(data []byte) (format, string) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return format{"PNG", png.Decode, png.DecodeConfig}, ""
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return format{"JPEG", jpeg.Decode, jpeg.DecodeConfig}, ""
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return format{"GIF", gif.Decode, gif.DecodeConfig}, ""
	}
	if other := knownUnsupported(data); other != "" {
		return format{}, fmt.Sprintf("%s images are not supported (PNG, JPEG or GIF expected): convert it to PNG or JPEG", other)
	}
	head := data[:min(len(data), 8)]
	return format{}, fmt.Sprintf("not an image (PNG, JPEG or GIF expected); it starts with %q", head)
}

// knownUnsupported names image formats recognised but not decoded here.
func knownUnsupported(data []byte) string {
	switch {
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WEBP":
		return "WebP"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "TIFF"
	case len(data) >= 14 && bytes.HasPrefix(data, []byte("BM")) && bytes.Equal(data[6:10], []byte{0, 0, 0, 0}):
		return "BMP"
	case len(data) >= 12 && string(data[4:8]) == "ftyp" && (string(data[8:12]) == "heic" || string(data[8:12]) == "avif" || string(data[8:12]) == "mif1"):
		return "HEIF/AVIF"
	}
	return ""
}
