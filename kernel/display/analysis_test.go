package display

import (
	"context"
	"image"
	"strings"
	"testing"

	"github.com/stylelab/stylelab/analysis"
	"github.com/stylelab/stylelab/transfer"
)

func TestAnalysisDisplays(t *testing.T) {
	shares := &analysis.Shares{Of: "weighted style loss", Layers: []string{"conv1_1", "conv5_1"}, Steps: []int{1, 2, 3},
		Values: [][]float64{{0.6, 0.5, 0.4}, {0.4, 0.5, 0.6}}}
	maps := []transfer.LayerMap{
		{Layer: "conv1_1", W: 4, H: 3, Loss: 2, Norm: 3, Values: []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{Layer: "conv5_1", W: 4, H: 3, Loss: 5, Norm: 1, Values: make([]float32, 12)},
	}
	dist := &analysis.Distances{Names: []string{"a", "b"}, Layers: []string{"conv1_1", "conv5_1"}, Size: 64,
		Values: [][][]float64{{{0, 0.5}, {0.5, 0}}, {{0, 1.2}, {1.2, 0}}}}
	for _, c := range []struct {
		name  string
		b     Bundle
		mime  string
		plain string
	}{
		{"shares", Shares(shares), "image/png", "step 3: conv1_1 0.400 conv5_1 0.600"},
		{"layer maps", LayerMaps(image.NewRGBA(image.Rect(0, 0, 4, 3)), maps, 64), "image/png", "conv1_1  E_l 2  |grad| 3  share 0.750"},
		{"distances", Distances(dist), "text/html", "conv5_1 (64 px)"},
		{"no shares", Shares(nil), "text/plain", "no shares"},
	} {
		if c.b.Data[c.mime] == nil {
			t.Errorf("%s: no %s in %v", c.name, c.mime, keys(c.b.Data))
		}
		if plain, _ := c.b.Data["text/plain"].(string); !strings.Contains(plain, c.plain) {
			t.Errorf("%s: text %q lacks %q", c.name, plain, c.plain)
		}
	}
	if html, _ := Distances(dist).Data["text/html"].(string); strings.Count(html, "<img") != 2 {
		t.Errorf("distances: %d images, want one per layer", strings.Count(html, "<img"))
	}
}

func TestCellSource(t *testing.T) {
	ctx := WithCellSource(context.Background(), "x := 1")
	if got := CellSource(ctx); got != "x := 1" {
		t.Errorf("CellSource = %q", got)
	}
	if got := CellSource(context.Background()); got != "" {
		t.Errorf("outside a kernel: %q", got)
	}
}
