package analysis

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/stylelab/stylelab/imaging"
	"github.com/stylelab/stylelab/internal/blas"
	"github.com/stylelab/stylelab/vgg"
)

// Distances are style distances between images, one matrix per layer.
type Distances struct {
	Names  []string
	Layers []string
	Size   int           // the longest side the images were resized to
	Values [][][]float64 // Values[l][i][j]: the distance between images i and j at layer l
}

// StyleDistances measures how far apart the styles of images are at each
// layer, with the images resized to size pixels on their longest side and
// one forward pass each. At a layer with responses F (N channels by M
// positions), an image's style is its Gram matrix per position, G = F F^T / M
// (the statistics the style loss matches, whatever the image's shape), and
//
//	d(a, b) = ||G_a - G_b||_F / sqrt(||G_a||_F ||G_b||_F)
//
// which is 0 for equal statistics, symmetric, and unchanged when both
// images' responses are scaled alike, so that layers can be compared.
func StyleDistances(m *vgg.Model, images []image.Image, names []string, layers []string, size int, pooling vgg.Pooling) (*Distances, error) {
	if len(images) < 2 || len(names) != len(images) {
		return nil, fmt.Errorf("analysis: StyleDistances needs two images or more and one name each (got %d images, %d names)", len(images), len(names))
	}
	if size < 16 {
		return nil, fmt.Errorf("analysis: size %d is too small for VGG-19: use 64 or more", size)
	}
	if len(layers) == 0 {
		return nil, errors.New("analysis: no layers: give style layers such as conv1_1 ... conv5_1")
	}
	if err := vgg.CheckLayers(layers); err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	pre := m.Weights().Preprocess
	grams := make([][][]float32, len(layers)) // [layer][image]
	norms := make([][]float64, len(layers))
	for i, img := range images {
		if img == nil || img.Bounds().Empty() {
			return nil, fmt.Errorf("analysis: image %q is empty", names[i])
		}
		rgb := imaging.ToPlanar(imaging.FitLongest(img, size))
		feats, err := m.Features(pre.Preprocess(rgb.Pix), rgb.H, rgb.W, layers, pooling)
		if err != nil {
			return nil, fmt.Errorf("analysis: %s: %w", names[i], err)
		}
		for l, layer := range layers {
			f := feats[layer]
			g := gram(f)
			grams[l] = append(grams[l], g)
			norms[l] = append(norms[l], frobenius(g, nil))
		}
	}
	d := &Distances{Names: append([]string(nil), names...), Layers: append([]string(nil), layers...), Size: size}
	for l := range layers {
		mat := make([][]float64, len(images))
		for i := range mat {
			mat[i] = make([]float64, len(images))
		}
		for i := range images {
			for j := i + 1; j < len(images); j++ {
				v := 0.0
				if den := math.Sqrt(norms[l][i] * norms[l][j]); den > 0 {
					v = frobenius(grams[l][i], grams[l][j]) / den
				}
				mat[i][j], mat[j][i] = v, v
			}
		}
		d.Values = append(d.Values, mat)
	}
	return d, nil
}

// gram is F F^T / M for a layer's responses.
func gram(f vgg.Feature) []float32 {
	m := f.H * f.W
	out := make([]float32, f.C*f.C)
	blas.Sgemm(false, true, f.C, f.C, m, 1/float32(m), f.Data, m, f.Data, m, 0, out, f.C)
	return out
}

// frobenius is ||a - b||_F (||a||_F when b is nil).
func frobenius(a, b []float32) float64 {
	var sum float64
	for i, v := range a {
		d := float64(v)
		if b != nil {
			d -= float64(b[i])
		}
		sum += d * d
	}
	return math.Sqrt(sum)
}

// Nearest returns, for image i, the other images in order of their
// distance at layer l, nearest first.
func (d *Distances) Nearest(l, i int) []int {
	var out []int
	for j := range d.Names {
		if j != i {
			out = append(out, j)
		}
	}
	row := d.Values[l][i]
	for a := 1; a < len(out); a++ {
		for b := a; b > 0 && row[out[b]] < row[out[b-1]]; b-- {
			out[b], out[b-1] = out[b-1], out[b]
		}
	}
	return out
}

// String prints each layer's matrix.
func (d *Distances) String() string {
	var b strings.Builder
	for l, layer := range d.Layers {
		if l > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s (%d px)\n", layer, d.Size)
		for i, name := range d.Names {
			fmt.Fprintf(&b, "%-16.16s", name)
			for j := range d.Names {
				fmt.Fprintf(&b, " %5.2f", d.Values[l][i][j])
			}
			b.WriteString("\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
