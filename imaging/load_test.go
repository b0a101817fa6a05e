package imaging

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadShared(t *testing.T) {
	eachShared(t, func(t *testing.T, img image.Image, w, h int) {
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
		}
		m := meanRGB(img)
		for c, v := range m {
			if v < 5 || v > 250 {
				t.Errorf("channel %d mean %.1f: decoded image looks blank", c, v)
			}
		}
	})
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	real, err := os.ReadFile(sharedImage(t, "tubingen.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewRGBA(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sub := filepath.Join(dir, "folder.jpg")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		want   []string
		target error
	}{
		{"missing", filepath.Join(dir, "nope.jpg"), []string{"nope.jpg", "no such file"}, fs.ErrNotExist},
		{"empty", write("empty.jpg", nil), []string{"empty.jpg", "empty file"}, nil},
		{"truncated JPEG", write("cut.jpg", real[:len(real)/2]), []string{"cut.jpg", "truncated or corrupt JPEG"}, nil},
		{"JPEG header only", write("head.jpg", real[:300]), []string{"head.jpg", "truncated or corrupt JPEG"}, nil},
		{"truncated PNG", write("cut.png", pngBuf.Bytes()[:pngBuf.Len()-20]), []string{"cut.png", "truncated or corrupt PNG"}, nil},
		{"text file", write("notes.txt", []byte("hello, these are notes\n")), []string{"notes.txt", "not an image (PNG, JPEG or GIF expected)"}, nil},
		{"WebP", write("x.webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 ")), []string{"x.webp", "WebP images are not supported"}, nil},
		{"directory", sub, []string{"folder.jpg", "is a directory"}, nil},
		{"huge header", write("huge.png", hugePNGHeader(100000, 100000)), []string{"huge.png", "megapixel limit"}, nil},
		{"empty path", "", []string{"empty path"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Load(tc.path)
			if err == nil {
				t.Fatalf("Load succeeded with a %T, want an error", img)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "imaging: ") {
				t.Errorf("error %q lacks the imaging: prefix", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Errorf("error %q does not wrap %v", msg, tc.target)
			}
		})
	}
}

// hugePNGHeader returns a PNG signature and IHDR claiming w×h pixels.
func hugePNGHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	return appendChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
}

func TestLoadBytesFormats(t *testing.T) {
	src := image.NewPaletted(image.Rect(0, 0, 5, 3), color.Palette{color.Black, color.RGBA{200, 10, 30, 255}})
	src.SetColorIndex(2, 1, 1)
	var pngBuf, gifBuf bytes.Buffer
	if err := png.Encode(&pngBuf, src); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gifBuf, src, nil); err != nil {
		t.Fatal(err)
	}
	jpg, err := os.ReadFile(sharedImage(t, "shipwreck.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		w, h int
	}{
		{"PNG", pngBuf.Bytes(), 5, 3},
		{"GIF", gifBuf.Bytes(), 5, 3},
		{"JPEG", jpg, 960, 662},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := LoadBytes("embedded."+tc.name, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.w, tc.h)
			}
			if tc.name != "JPEG" {
				r, g, b, _ := img.At(2, 1).RGBA()
				if r>>8 != 200 || g>>8 != 10 || b>>8 != 30 {
					t.Errorf("pixel (2,1) = %d,%d,%d, want 200,10,30", r>>8, g>>8, b>>8)
				}
			}
		})
	}
	if _, err := LoadBytes("blob", nil); err == nil || !strings.Contains(err.Error(), "blob: empty") {
		t.Errorf("LoadBytes(nil) error = %v, want one naming blob as empty", err)
	}
}

func TestSHA256File(t *testing.T) {
	p := sharedImage(t, "tubingen.jpg")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	got, err := SHA256File(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("SHA256File = %s, want %s", got, want)
	}
	tiny := filepath.Join(t.TempDir(), "abc")
	if err := os.WriteFile(tiny, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	// FIPS 180-2 test vector for "abc".
	if got, err := SHA256File(tiny); err != nil || got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("SHA256File(abc) = %s, %v", got, err)
	}
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing"), t.TempDir()} {
		if _, err := SHA256File(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("SHA256File(%s) error = %v, want one naming the path", bad, err)
		}
	}
}

// Guard: the CRC helper used by hugePNGHeader must match the standard one.
func TestAppendChunkCRC(t *testing.T) {
	c := appendChunk(nil, "IEND", nil)
	if got := binary.BigEndian.Uint32(c[8:]); got != crc32.ChecksumIEEE([]byte("IEND")) || got != 0xAE426082 {
		t.Errorf("IEND CRC = %#x, want 0xAE426082", got)
	}
}
