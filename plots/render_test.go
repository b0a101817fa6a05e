package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// smallPlot is a two-series log plot used by the render tests.
func smallPlot(t *testing.T) *plot.Plot {
	t.Helper()
	s, v := decades(50, 1e6, 10)
	p, err := LossCurves("render", "loss", []Series{{Label: "a", Steps: s, Values: v}}, true)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlotPNGSize(t *testing.T) {
	p := smallPlot(t)
	tests := []struct {
		w, h         float64
		wantW, wantH int
	}{
		{6, 4, 864, 576},
		{3, 2, 432, 288},
		{8.5, 3, 1224, 432},
	}
	for _, tt := range tests {
		data, err := PlotPNG(p, tt.w, tt.h)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("PlotPNG output does not decode: %v", err)
		}
		if b := img.Bounds(); b.Dx() != tt.wantW || b.Dy() != tt.wantH {
			t.Errorf("%gx%g in: got %dx%d px, want %dx%d", tt.w, tt.h, b.Dx(), b.Dy(), tt.wantW, tt.wantH)
		}
		checkGolden(t, fmt.Sprintf("render_%gx%g", tt.w, tt.h), data)
	}
}

func TestSavePlot(t *testing.T) {
	p := smallPlot(t)
	dir := t.TempDir()
	tests := []struct {
		file, want string // want: "" for success, else an error fragment
	}{
		{"a.png", ""},
		{"b.SVG", ""},
		{"c.jpg", "use .png or .svg"},
		{"noext", "use .png or .svg"},
		{filepath.Join("missing", "d.png"), "directory"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.file)
		err := SavePlot(p, path, 4, 3)
		if tt.want != "" {
			if err == nil || !strings.HasPrefix(err.Error(), "plots: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SavePlot(%s) error %v, want one mentioning %q", tt.file, err, tt.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("SavePlot(%s): %v", tt.file, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(tt.file, ".png") {
			cfg, err := png.DecodeConfig(bytes.NewReader(data))
			if err != nil || cfg.Width != 4*PNGDPI || cfg.Height != 3*PNGDPI {
				t.Errorf("%s: config %+v, err %v; want a %dx%d PNG", tt.file, cfg, err, 4*PNGDPI, 3*PNGDPI)
			}
		} else if texts := svgTexts(t, data); len(texts) == 0 {
			t.Errorf("%s: SVG has no text", tt.file)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	p := smallPlot(t)
	bad := plot.New() // a log axis over non-positive data would make gonum panic
	line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -1}, {X: 1, Y: 0}})
	if err != nil {
		t.Fatal(err)
	}
	bad.Add(line)
	bad.Y.Scale = plot.LogScale{}
	bad.Y.Tick.Marker = plot.LogTicks{}
	tests := []struct {
		name string
		p    *plot.Plot
		w, h float64
		want string
	}{
		{"nil plot", nil, 4, 3, "nil plot"},
		{"zero width", p, 0, 3, "invalid"},
		{"negative height", p, 4, -1, "invalid"},
		{"huge", p, 1e6, 3, "invalid"},
		{"gonum panic", bad, 4, 3, "log axis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for format, render := range map[string]func(io.Writer, *plot.Plot, float64, float64) error{"png": PlotPNGTo, "svg": PlotSVGTo} {
				var out bytes.Buffer
				err := render(&out, tt.p, tt.w, tt.h)
				if err == nil || !strings.HasPrefix(err.Error(), "plots: ") || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: error %v, want a plots: error mentioning %q", format, err, tt.want)
				}
				if out.Len() != 0 {
					t.Errorf("%s: %d bytes written before the error", format, out.Len())
				}
			}
			if data, err := PlotPNG(tt.p, tt.w, tt.h); err == nil || data != nil {
				t.Errorf("PlotPNG: %d bytes, error %v; want an error", len(data), err)
			}
		})
	}
}

// failAfter is a writer that fails once it has taken n bytes.
type failAfter struct{ n int }

var errFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errFull
	}
	f.n -= len(p)
	return len(p), nil
}

// TestPlotToWriterErrors checks that a writer's failure is returned.
func TestPlotToWriterErrors(t *testing.T) {
	p := smallPlot(t)
	for format, render := range map[string]func(io.Writer, *plot.Plot, float64, float64) error{"png": PlotPNGTo, "svg": PlotSVGTo} {
		for _, n := range []int{0, 100, 5000} {
			if err := render(&failAfter{n: n}, p, 4, 3); !errors.Is(err, errFull) || !strings.HasPrefix(err.Error(), "plots: ") {
				t.Errorf("%s, writer failing after %d bytes: error %v, want a plots: error wrapping %v", format, n, err, errFull)
			}
		}
	}
}
