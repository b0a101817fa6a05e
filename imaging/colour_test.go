package imaging

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

// ycc returns the stdlib (image/color) YCbCr of every pixel, as an
// independent reference for the package's own conversion.
func ycc(img image.Image) [][3]float64 {
	m := toRGBA(img)
	out := make([][3]float64, len(m.Pix)/4)
	for i := range out {
		y, cb, cr := color.RGBToYCbCr(m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2])
		out[i] = [3]float64{float64(y), float64(cb), float64(cr)}
	}
	return out
}

func TestKeepColours(t *testing.T) {
	content := FitLongest(mustLoad(t, "tubingen.jpg"), 256)
	w, h := content.Rect.Dx(), content.Rect.Dy()
	for _, styleName := range []string{"starry_night.jpg", "the_scream.jpg", "composition_vii.jpg"} {
		t.Run(styleName, func(t *testing.T) {
			stylised := Resize(mustLoad(t, styleName), w, h) // stands in for an optimised output
			out, err := KeepColours(stylised, content)
			if err != nil {
				t.Fatal(err)
			}
			if out.Rect != content.Rect {
				t.Fatalf("output %v, want %v", out.Rect, content.Rect)
			}
			got, sty, con := ycc(out), ycc(stylised), ycc(content)
			// Per-pixel mean absolute error of Y against the stylised image
			// and of Cb, Cr against the content, in 0..255 units. Rounding
			// costs about 0.5; gamut clamping adds a little more.
			var errY, errC, errYvsContent float64
			for i := range got {
				errY += math.Abs(got[i][0] - sty[i][0])
				errC += math.Abs(got[i][1]-con[i][1]) + math.Abs(got[i][2]-con[i][2])
				errYvsContent += math.Abs(got[i][0] - con[i][0])
			}
			n := float64(len(got))
			errY, errC, errYvsContent = errY/n, errC/(2*n), errYvsContent/n
			t.Logf("mean |ΔY| vs stylised %.3f, mean |ΔCbCr| vs content %.3f, mean |ΔY| vs content %.1f", errY, errC, errYvsContent)
			if errY > 1.5 {
				t.Errorf("luminance differs from the stylised image by %.3f on average (> 1.5)", errY)
			}
			if errC > 1.5 {
				t.Errorf("chrominance differs from the content by %.3f on average (> 1.5)", errC)
			}
			if errYvsContent < 10 {
				t.Errorf("luminance is within %.1f of the content's: the test images are too alike to tell", errYvsContent)
			}
		})
	}
}

func TestKeepColoursErrors(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 10, 8))
	tests := []struct {
		name        string
		s, c        image.Image
		wantInError string
	}{
		{"size mismatch", a, image.NewRGBA(image.Rect(0, 0, 8, 10)), "stylised image is 10x8 but content is 8x10: resize the content first, e.g. Resize(content, 10, 8)"},
		{"nil content", a, nil, "non-nil"},
		{"nil stylised", nil, a, "non-nil"},
		{"empty", image.NewRGBA(image.Rectangle{}), image.NewRGBA(image.Rectangle{}), "empty or oversized image (stylised 0x0"},
		{"infinite", image.NewUniform(color.White), image.NewUniform(color.Black), "limit 64 megapixels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := KeepColours(tc.s, tc.c)
			if err == nil || out != nil {
				t.Fatalf("KeepColours = %v, %v; want nil and an error", out, err)
			}
			if !strings.HasPrefix(err.Error(), "imaging: ") || !strings.Contains(err.Error(), tc.wantInError) {
				t.Errorf("error %q does not contain %q", err, tc.wantInError)
			}
		})
	}
	// Same size at different origins is allowed.
	if _, err := KeepColours(a, image.NewRGBA(image.Rect(5, 5, 15, 13))); err != nil {
		t.Errorf("offset content of equal size rejected: %v", err)
	}
}

func TestLuminance(t *testing.T) {
	img := FitLongest(mustLoad(t, "starry_night.jpg"), 200)
	grey := Luminance(img)
	ref := ycc(img)
	for i := range ref {
		r, g, b := grey.Pix[4*i], grey.Pix[4*i+1], grey.Pix[4*i+2]
		if r != g || g != b || grey.Pix[4*i+3] != 255 {
			t.Fatalf("pixel %d = %d,%d,%d: not an opaque grey", i, r, g, b)
		}
		if d := math.Abs(float64(r) - ref[i][0]); d > 1 {
			t.Fatalf("pixel %d: Y %d, stdlib Y %.0f", i, r, ref[i][0])
		}
	}
	if got := Luminance(nil); !got.Rect.Empty() {
		t.Errorf("Luminance(nil) = %v, want empty", got.Rect)
	}
}

func TestMatchLuminance(t *testing.T) {
	content := FitLongest(mustLoad(t, "tubingen.jpg"), 256)
	_, cMean, cStd := lumaStats(content)
	for _, styleName := range []string{"starry_night.jpg", "the_scream.jpg", "shipwreck.jpg"} {
		t.Run(styleName, func(t *testing.T) {
			style := FitLongest(mustLoad(t, styleName), 300)
			out := MatchLuminance(style, content)
			if out.Rect != style.Rect {
				t.Fatalf("output %v, want the style's %v", out.Rect, style.Rect)
			}
			grey, mean, std := lumaStats(out)
			if !grey {
				t.Fatal("output is not grey")
			}
			_, sMean, sStd := lumaStats(style)
			t.Logf("style Y mean %.1f sd %.1f -> %.1f, %.1f; content %.1f, %.1f", sMean, sStd, mean, std, cMean, cStd)
			if math.Abs(mean-cMean) > 1 || math.Abs(std-cStd) > 0.02*cStd {
				t.Errorf("matched luminance mean %.2f sd %.2f, want the content's %.2f, %.2f", mean, std, cMean, cStd)
			}
		})
	}
	// image.Uniform has practically infinite bounds: refused, no panic.
	if out := MatchLuminance(image.NewUniform(color.RGBA{30, 60, 90, 255}), content); !out.Rect.Empty() {
		t.Errorf("MatchLuminance(Uniform, ...) = %v, want empty", out.Rect)
	}
	plain := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range plain.Pix {
		plain.Pix[i] = 77
	}
	if _, mean, std := lumaStats(MatchLuminance(plain, content)); math.Abs(mean-cMean) > 0.5 || std != 0 {
		t.Errorf("flat style: mean %.2f sd %.2f, want the content mean %.2f and sd 0", mean, std, cMean)
	}
	if got := MatchLuminance(nil, content); !got.Rect.Empty() {
		t.Errorf("MatchLuminance(nil, ...) = %v, want empty", got.Rect)
	}
}

// lumaStats reports whether img is grey and the mean and standard
// deviation of its stdlib Y.
func lumaStats(img image.Image) (grey bool, mean, std float64) {
	m := toRGBA(img)
	grey = true
	ys := make([]float64, 0, len(m.Pix)/4)
	for i := 0; i < len(m.Pix); i += 4 {
		grey = grey && m.Pix[i] == m.Pix[i+1] && m.Pix[i+1] == m.Pix[i+2]
		y, _, _ := color.RGBToYCbCr(m.Pix[i], m.Pix[i+1], m.Pix[i+2])
		ys = append(ys, float64(y))
	}
	mean, std = meanStd(ys)
	return grey, mean, std
}
