package plots

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/cmpimg"
)

var update = flag.Bool("update", false, "rewrite plots/testdata/*_golden.png from the current output")

// goldenDelta is the tolerance of a golden comparison, in cmpimg's
// normalised YIQ distance per pixel: anti-aliasing that differs in its
// last bits (another CPU's fused multiply-add) passes; a moved, missing or
// recoloured line or glyph does not. Text is drawn with the embedded
// Liberation fonts, so no system font can change it.
const goldenDelta = 0.05

// checkGolden compares the PNG data got with testdata/NAME_golden.png;
// with -update it writes the file instead. On a mismatch it leaves the
// output and a difference image in the test's artifact directory.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+"_golden.png")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden image: %v (create it with go test ./plots -update, and look at it)", err)
	}
	same, err := cmpimg.EqualApprox("png", got, want, goldenDelta)
	if err != nil {
		t.Fatalf("comparing with %s: %v", path, err)
	}
	if same {
		return
	}
	dir := t.ArtifactDir()
	gotImg, err1 := png.Decode(bytes.NewReader(got))
	wantImg, err2 := png.Decode(bytes.NewReader(want))
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: cannot decode the images: %v, %v", name, err1, err2)
	}
	diff := image.NewRGBA64(gotImg.Bounds().Union(wantImg.Bounds()))
	cmpimg.Diff(diff, gotImg, wantImg)
	var diffPNG bytes.Buffer
	if err := png.Encode(&diffPNG, diff); err != nil {
		t.Fatal(err)
	}
	for file, data := range map[string][]byte{name + ".png": got, name + "_diff.png": diffPNG.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Errorf("%s (%v) differs from %s (%v): output and difference in %s (kept with go test -artifacts); if the change is intended, go test ./plots -update",
		name, gotImg.Bounds(), path, wantImg.Bounds(), dir)
}

// checkGoldenImage is checkGolden for an image.
func checkGoldenImage(t *testing.T, name string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, name, buf.Bytes())
}

// checkGoldenPlot is checkGolden for a plot rendered at w x h inches.
func checkGoldenPlot(t *testing.T, name string, p *plot.Plot, w, h float64) {
	t.Helper()
	var buf bytes.Buffer
	if err := PlotPNGTo(&buf, p, w, h); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, name, buf.Bytes())
}
