package imaging

import (
	"os"
	"testing"
)

func BenchmarkResize(b *testing.B) {
	img := mustLoad(b, "tubingen.jpg")
	w, h := FitSize(img.Bounds(), 512)
	b.ReportAllocs()
	for b.Loop() {
		Resize(img, w, h)
	}
}

func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile(sharedImage(b, "tubingen.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := LoadBytes("tubingen.jpg", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToPlanarAndBack(b *testing.B) {
	img := FitLongest(mustLoad(b, "tubingen.jpg"), 512)
	for b.Loop() {
		ToPlanar(img).Image()
	}
}

func BenchmarkKeepColours(b *testing.B) {
	content := FitLongest(mustLoad(b, "tubingen.jpg"), 512)
	style := Resize(mustLoad(b, "starry_night.jpg"), content.Rect.Dx(), content.Rect.Dy())
	for b.Loop() {
		if _, err := KeepColours(style, content); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePNG(b *testing.B) {
	img := FitLongest(mustLoad(b, "tubingen.jpg"), 512)
	meta := map[string]string{"Title": "bench", "Description": "東京"}
	for b.Loop() {
		if _, err := EncodePNG(img, meta); err != nil {
			b.Fatal(err)
		}
	}
}
