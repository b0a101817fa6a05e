package imaging

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// pngMeta is metadata covering ASCII, Latin-1, UTF-8 and multi-line text.
var pngMeta = map[string]string{
	"Title":        "Tübingen in the style of The Starry Night",
	"Software":     "stylelab",
	"Comment":      "line one\nline two\twith tab",
	"Author":       "Andreas Praefcke (photo, CC BY 3.0)",
	"Description":  "東京 — naïve ✓ 🎨",
	"Empty":        "",
	"Größe":        "512×384",
	"style_weight": "1e3",
}

// chunkTypes lists the chunk types of a PNG in order; text chunks are
// listed as "type keyword".
func chunkTypes(t *testing.T, data []byte) []string {
	t.Helper()
	var types []string
	for pos := 8; pos+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[pos:]))
		typ, body := string(data[pos+4:pos+8]), data[pos+8:pos+8+n]
		if typ == "tEXt" || typ == "iTXt" || typ == "zTXt" {
			kw, _, _ := bytes.Cut(body, []byte{0})
			typ += " " + fromLatin1(kw)
		}
		types = append(types, typ)
		pos += 12 + n
	}
	return types
}

func TestPNGMetadataRoundTrip(t *testing.T) {
	img := FitLongest(mustLoad(t, "tubingen.jpg"), 64)
	path := filepath.Join(t.TempDir(), "out.png")
	if err := WritePNG(path, img, pngMeta); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPNGText(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, pngMeta) {
		t.Errorf("ReadPNGText = %q\nwant %q", got, pngMeta)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Chunk layout: IHDR, then text chunks in sorted key order, tEXt for
	// Latin-1 values and iTXt for the others.
	types := chunkTypes(t, data)
	wantTypes := []string{"IHDR", "tEXt Author", "tEXt Comment", "iTXt Description", "tEXt Empty",
		"tEXt Größe", "tEXt Software", "tEXt Title", "tEXt style_weight", "IDAT"}
	if len(types) < len(wantTypes) || !reflect.DeepEqual(types[:len(wantTypes)], wantTypes) {
		t.Errorf("chunks %q, want prefix %q", types, wantTypes)
	}
	// image/png verifies every chunk's CRC while decoding.
	dec, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/png cannot decode the file: %v", err)
	}
	if !bytes.Equal(toRGBA(dec).Pix, img.Pix) {
		t.Error("decoded pixels differ from the written image")
	}
	if fromPIL := pilText(t, path); !reflect.DeepEqual(fromPIL, pngMeta) {
		t.Errorf("Pillow reads %q\nwant %q", fromPIL, pngMeta)
	}
	again, err := EncodePNG(img, pngMeta)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Error("EncodePNG bytes differ from the file WritePNG wrote for the same input")
	}
}

// pilText returns Image.open(path).text as read by Pillow.
func pilText(t *testing.T, path string) map[string]string {
	t.Helper()
	const py = "import json, sys\nfrom PIL import Image\nprint(json.dumps(Image.open(sys.argv[1]).text))"
	out, err := exec.Command("/usr/bin/python3", "-c", py, path).CombinedOutput()
	if err != nil {
		t.Fatalf("running Pillow failed (install it with `apt-get install python3-pil`): %v\n%s", err, out)
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("Pillow output %q: %v", out, err)
	}
	return m
}

func TestEncodePNGDeterministicNoMeta(t *testing.T) {
	img := FitLongest(mustLoad(t, "starry_night.jpg"), 48)
	a, err := EncodePNG(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if err := png.Encode(&plain, img); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, plain.Bytes()) {
		t.Error("EncodePNG with no metadata differs from png.Encode")
	}
	b, err := EncodePNG(img, map[string]string{"b": "2", "a": "1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := EncodePNG(img, map[string]string{"a": "1", "b": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, c) || bytes.Equal(b, a) {
		t.Error("same metadata gave different bytes, or the metadata is missing")
	}
}

// failingWriter accepts n bytes, then fails.
type failingWriter struct {
	n   int
	got bytes.Buffer
}

var errWriter = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.got.Len()+len(p) > f.n {
		k := f.n - f.got.Len()
		f.got.Write(p[:k])
		return k, errWriter
	}
	return f.got.Write(p)
}

// TestEncodePNGTo checks the streaming encoder: the bytes EncodePNG
// returns, however the writer takes them; a writer's failure at any
// point (in the signature, IHDR, the text chunks, the pixels) is returned;
// bad input writes nothing.
func TestEncodePNGTo(t *testing.T) {
	img := FitLongest(mustLoad(t, "tubingen.jpg"), 32)
	want, err := EncodePNG(img, pngMeta)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 5, 8, 20, 33, 40, 200, len(want) - 1} {
		w := &failingWriter{n: n}
		err := EncodePNGTo(w, img, pngMeta)
		if !errors.Is(err, errWriter) || !strings.HasPrefix(err.Error(), "imaging: ") {
			t.Errorf("writer failing after %d bytes: error %v, want an imaging: error wrapping %v", n, err, errWriter)
		}
		if !bytes.Equal(w.got.Bytes(), want[:n]) {
			t.Errorf("writer failing after %d bytes got %d bytes that differ from EncodePNG's", n, w.got.Len())
		}
	}
	w := &failingWriter{n: len(want)}
	if err := EncodePNGTo(w, img, pngMeta); err != nil || !bytes.Equal(w.got.Bytes(), want) {
		t.Errorf("EncodePNGTo: %v, %d bytes; want EncodePNG's %d", err, w.got.Len(), len(want))
	}
	var buf bytes.Buffer
	if err := EncodePNGTo(&buf, img, map[string]string{"": "x"}); err == nil || buf.Len() != 0 {
		t.Errorf("bad key: error %v, %d bytes written; want an error and nothing written", err, buf.Len())
	}
}

func TestEncodePNGErrors(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	tests := []struct {
		name string
		img  image.Image
		meta map[string]string
		want string
	}{
		{"nil image", nil, nil, "nil image"},
		{"empty image", image.NewRGBA(image.Rectangle{}), nil, "0x0"},
		{"empty key", img, map[string]string{"": "x"}, "key is empty"},
		{"long key", img, map[string]string{strings.Repeat("k", 80): "x"}, "80 characters long"},
		{"non-Latin-1 key", img, map[string]string{"ключ": "x"}, "not Latin-1"},
		{"control in key", img, map[string]string{"a\nb": "x"}, "control character"},
		{"leading space", img, map[string]string{" key": "x"}, "leading, trailing or double spaces"},
		{"double space", img, map[string]string{"a  b": "x"}, "leading, trailing or double spaces"},
		{"NUL in value", img, map[string]string{"k": "a\x00b"}, "NUL"},
		{"bad UTF-8 value", img, map[string]string{"k": "\xff\xfe"}, "not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncodePNG(tc.img, tc.meta)
			if err == nil || !strings.HasPrefix(err.Error(), "imaging: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("EncodePNG error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := EncodePNG(img, map[string]string{strings.Repeat("k", 79): "ok"}); err != nil {
		t.Errorf("79-character key rejected: %v", err)
	}
}

func TestWritePNGAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "result.png")
	small := image.NewRGBA(image.Rect(0, 0, 3, 3))
	if err := os.WriteFile(path, []byte("old contents"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(path, small, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if img, err := Load(path); err != nil || img.Bounds().Dx() != 3 {
		t.Fatalf("overwritten file: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the old file's 0600", info.Mode().Perm())
	}
	// A failed write (invalid key) must leave the old file and no temp files.
	if err := WritePNG(path, small, map[string]string{"": "v"}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WritePNG with a bad key: %v, want an error naming the path", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != "result.png" {
		t.Errorf("directory holds %v (%v), want only result.png", entries, err)
	}
	if img, err := Load(path); err != nil || img.Bounds().Dx() != 3 {
		t.Errorf("after the failed write: %v, want the 3x3 image kept", err)
	}
	bad := []struct {
		name, path, want string
	}{
		{"missing dir", filepath.Join(dir, "no", "such", "x.png"), "os.MkdirAll"},
		{"path is a dir", dir, "is a directory"},
		{"parent is a file", filepath.Join(path, "x.png"), "is a file, not a directory"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := WritePNG(tc.path, small, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "imaging: ") {
				t.Fatalf("WritePNG(%s) = %v, want an error containing %q", tc.path, err, tc.want)
			}
		})
	}
}

func TestReadPNGTextErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := EncodePNG(image.NewGray(image.Rect(0, 0, 4, 4)), map[string]string{"Title": "x"})
	if err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte(nil), good...)
	corrupt[33+8+2] ^= 0xff // a byte inside the tEXt keyword
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jpg := sharedImage(t, "tubingen.jpg")
	tests := []struct {
		name, path, want string
	}{
		{"JPEG", jpg, "not a PNG file"},
		{"bad CRC", write("crc.png", corrupt), `"tEXt" chunk at byte 33 has a bad CRC`},
		{"truncated", write("cut.png", good[:len(good)-6]), "truncated PNG"},
		{"missing", filepath.Join(dir, "none.png"), "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadPNGText(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("ReadPNGText = %v, want an error naming the path and containing %q", err, tc.want)
			}
		})
	}
}

func TestReadPNGTextFromPillow(t *testing.T) {
	// Pillow writes zTXt and compressed iTXt, which EncodePNG never does.
	path := filepath.Join(t.TempDir(), "pil.png")
	const py = `import sys
from PIL import Image, PngImagePlugin
info = PngImagePlugin.PngInfo()
info.add_text("plain", "hello")
info.add_text("squeezed", "abc " * 200, zip=True)
info.add_itxt("unicode", "東京 " * 100, lang="ja", tkey="Tokyo", zip=True)
Image.new("RGB", (3, 2), (10, 20, 30)).save(sys.argv[1], pnginfo=info)`
	if out, err := exec.Command("/usr/bin/python3", "-c", py, path).CombinedOutput(); err != nil {
		t.Fatalf("running Pillow failed (install it with `apt-get install python3-pil`): %v\n%s", err, out)
	}
	got, err := ReadPNGText(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"plain":    "hello",
		"squeezed": strings.Repeat("abc ", 200),
		"unicode":  strings.Repeat("東京 ", 100),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadPNGText = %q, want %q", got, want)
	}
	if types := chunkTypes(t, mustRead(t, path)); !strings.Contains(strings.Join(types, ","), "zTXt squeezed") {
		t.Errorf("Pillow wrote chunks %v, expected a zTXt among them", types)
	}
}

// mustRead reads a file or fails the test.
func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
