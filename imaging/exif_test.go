package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// withOrientation encodes img as JPEG with an EXIF block giving orientation o.
func withOrientation(t testing.TB, img image.Image, o uint16, order binary.ByteOrder) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	tiff := make([]byte, 8+2+12+4)
	if order == binary.LittleEndian {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	order.PutUint16(tiff[2:], 42)
	order.PutUint32(tiff[4:], 8)
	order.PutUint16(tiff[8:], 1)
	order.PutUint16(tiff[10:], 0x0112)
	order.PutUint16(tiff[12:], 3)
	order.PutUint32(tiff[14:], 1)
	order.PutUint16(tiff[18:], o)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	data := buf.Bytes()
	return append(append(append([]byte{}, data[:2]...), append(app1, seg...)...), data[2:]...)
}

// TestEXIFOrientation: a 40x20 picture, white on its left half, stored with
// each EXIF orientation, loads as it is meant to be seen.
func TestEXIFOrientation(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			v := uint8(0)
			if x < 20 {
				v = 255
			}
			img.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	// where the white half ends up: the probe pixel that must be white, and one that must be black
	tests := []struct {
		o            uint16
		w, h         int
		white, black image.Point
	}{
		{1, 40, 20, image.Pt(5, 10), image.Pt(35, 10)},
		{2, 40, 20, image.Pt(35, 10), image.Pt(5, 10)},
		{3, 40, 20, image.Pt(35, 10), image.Pt(5, 10)},
		{4, 40, 20, image.Pt(5, 10), image.Pt(35, 10)},
		{5, 20, 40, image.Pt(10, 5), image.Pt(10, 35)},
		{6, 20, 40, image.Pt(10, 5), image.Pt(10, 35)},
		{7, 20, 40, image.Pt(10, 35), image.Pt(10, 5)},
		{8, 20, 40, image.Pt(10, 35), image.Pt(10, 5)},
	}
	for _, tc := range tests {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			got, err := LoadBytes("turned.jpg", withOrientation(t, img, tc.o, order))
			if err != nil {
				t.Fatal(err)
			}
			b := got.Bounds()
			wr, _, _, _ := got.At(tc.white.X, tc.white.Y).RGBA()
			br, _, _, _ := got.At(tc.black.X, tc.black.Y).RGBA()
			if b.Dx() != tc.w || b.Dy() != tc.h || wr < 0xe000 || br > 0x2000 {
				t.Errorf("orientation %d (%v): %dx%d, white probe %x, black probe %x; want %dx%d", tc.o, order, b.Dx(), b.Dy(), wr, br, tc.w, tc.h)
			}
		}
	}
}

// FuzzJPEGOrientation: no EXIF block, however broken, makes the reader
// panic or read past the data; it says 1..8.
func FuzzJPEGOrientation(f *testing.F) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	f.Add(withOrientation(f, img, 6, binary.BigEndian))
	f.Add(withOrientation(f, img, 3, binary.LittleEndian)[:40])
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00\xff\xff\xff\x7f"))
	f.Add([]byte("\xff\xd8\xff\xe1\xff\xffExif"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
