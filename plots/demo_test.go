package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestDemo builds the demo grid, strip and loss plot from the shared
// paintings and compares them with their golden images; with
// STYLELAB_PLOTS_DEMO=dir it also saves them there (grid.png, strip.png,
// loss.png, loss.svg) for a human look.
func TestDemo(t *testing.T) {
	dir := os.Getenv("STYLELAB_PLOTS_DEMO")
	names := []string{"tubingen.jpg", "starry_night.jpg", "shipwreck.jpg", "the_scream.jpg", "composition_vii.jpg"}
	paintings := make([]image.Image, len(names))
	for i, n := range names {
		paintings[i] = loadPainting(t, n)
	}
	rows := []string{"conv1_1", "conv3_1", "conv5_1 + conv4_2 content"}
	cols := []string{"1e-3", "1e-2", "1e-1", "style weight 1"}
	cells := make([][]Cell, len(rows))
	for i := range rows {
		for j := range cols {
			k := (i*len(cols) + j) % len(names)
			cells[i] = append(cells[i], Cell{Image: paintings[k], Label: fmt.Sprintf("%s, step %d", names[k], 50*(j+1))})
		}
	}
	cells[2][3] = Cell{Label: "not run"}
	grid, err := Grid("Style transfer sweep: layer vs weight", rows, cols, cells, 96)
	if err != nil {
		t.Fatal(err)
	}
	checkGoldenImage(t, "demo_grid", grid)
	strip, err := Strip(paintings[:4], []string{"step 0", "step 50", "step 100", "step 500"}, 80)
	if err != nil {
		t.Fatal(err)
	}
	checkGoldenImage(t, "demo_strip", strip)
	var series []Series
	for k, s := range []struct {
		name          string
		start, end, r float64
	}{{"content", 2e5, 3e3, 0.01}, {"style", 8e8, 40, 0.02}, {"total", 8.1e8, 4e3, 0.015}} {
		se := Series{Label: s.name}
		for step := 0; step <= 500; step += 5 {
			v := s.end + (s.start-s.end)*math.Exp(-s.r*float64(step))*(1+0.1*math.Sin(float64(step+k*7)/9))
			se.Steps, se.Values = append(se.Steps, step), append(se.Values, v)
		}
		series = append(series, se)
	}
	p, err := LossCurves("Loss over 500 iterations", "loss", series, true)
	if err != nil {
		t.Fatal(err)
	}
	lossPNG, err := PlotPNG(p, 7, 4.5)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "demo_loss", lossPNG)
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, img := range map[string]image.Image{"grid.png": grid, "strip.png": strip} {
		var data bytes.Buffer
		if err := png.Encode(&data, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "loss.png"), lossPNG, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SavePlot(p, filepath.Join(dir, "loss.svg"), 7, 4.5); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo written to %s", dir)
}
