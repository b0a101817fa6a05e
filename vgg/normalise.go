package vgg

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"

	"github.com/stylelab/stylelab/imaging"
)

// NormalisationVersion numbers the method Normalise implements; it is part
// of a normalised network's identity.
const NormalisationVersion = 1

// deadMean is the mean rectified activation (relative to the layer's
// largest) below which a filter counts as dead and is left unscaled:
// scaling by its inverse would only amplify rounding noise.
const deadMean = 1e-6

// minImageSide is the smallest side an image must have to be measured on.
const minImageSide = 32

// Normalisation records how normalised weights were made from raw ones:
// what they came from, the images measured, and the factor of every filter.
type Normalisation struct {
	Version        int     // NormalisationVersion when made
	SourceSHA256   string  // the raw weights' SHA256
	ImageSetSHA256 string  // ImageSetSHA256 of the images measured
	Pooling        Pooling // the pooling the means were measured with
	Size           int     // longest side the images were resized to
	Images         int     // how many images were measured
	// Means holds, per conv layer (conv1_1 ... conv5_4), each filter's mean
	// rectified activation on the raw network: the factor its output was
	// divided by. A dead filter's factor is 1.
	Means map[string][]float64
	Dead  []DeadFilter // filters that never activated, left unscaled
}

// DeadFilter is a filter whose mean activation over the images was (close to) zero.
type DeadFilter struct {
	Layer  string
	Filter int
	Mean   float64 // as measured
}

// Normalise returns a copy of w rescaled as Gatys et al. (CVPR 2016, section
// 2) describe: each conv filter's mean rectified activation over images and
// positions becomes 1. The means are measured on w with the given pooling,
// each image resized so its longest side is size and preprocessed as w
// says, and each position of each image counts once. Filter k of conv layer
// l has its kernel and bias divided by m_l[k], and the next layer's weights
// from channel k multiplied by m_l[k] (fc6's, for conv5_4, when the
// classifier is present). ReLU and pooling commute with positive scaling,
// so every layer's response is the raw one divided by its factors and the
// classifier's output is unchanged. Filters that never activate are listed
// in Normalisation.Dead and keep factor 1.
//
// The result's SHA256 is derived from w's, the images' pixels, pooling,
// size and NormalisationVersion; its Normalised field records the
// Normalisation. Weights that are already normalised are refused.
func Normalise(w *Weights, images []image.Image, pooling Pooling, size int) (*Weights, *Normalisation, error) {
	if w == nil {
		return nil, nil, errors.New("vgg: normalise: no weights: load them with weights.Load")
	}
	if w.Normalised != nil {
		return nil, nil, fmt.Errorf("vgg: normalise: %s is already normalised (over image set %.12s, %s pooling, %d px): normalise the raw weights it came from (sha256 %.12s)",
			w.Source, w.Normalised.ImageSetSHA256, w.Normalised.Pooling, w.Normalised.Size, w.Normalised.SourceSHA256)
	}
	m, err := New(w)
	if err != nil {
		return nil, nil, err
	}
	means, err := m.FilterMeans(images, pooling, size)
	if err != nil {
		return nil, nil, err
	}
	n := &Normalisation{Version: NormalisationVersion, SourceSHA256: w.SHA256, ImageSetSHA256: ImageSetSHA256(images),
		Pooling: pooling, Size: size, Images: len(images), Means: map[string][]float64{}}
	factors := make([][]float64, len(w.Conv))
	for l, c := range w.Conv {
		mu := means[c.Name]
		largest := 0.0
		for _, v := range mu {
			largest = max(largest, v)
		}
		f := make([]float64, len(mu))
		for k, v := range mu {
			f[k] = v
			if !(v > deadMean*largest) { // also catches a layer that is dead throughout
				f[k] = 1
				n.Dead = append(n.Dead, DeadFilter{Layer: c.Name, Filter: k, Mean: v})
			}
		}
		factors[l] = f
		n.Means[c.Name] = f
	}
	out := &Weights{Source: w.Source + " (normalised)", SHA256: NormalisedSHA256(w.SHA256, n.ImageSetSHA256, pooling, size),
		Preprocess: w.Preprocess, Normalised: n}
	for l, c := range w.Conv {
		var in []float64 // the previous layer's factors; the image is not rescaled
		if l > 0 {
			in = factors[l-1]
		}
		out.Conv = append(out.Conv, rescaleConv(c, in, factors[l]))
	}
	for i, f := range w.FC {
		f.Weight, f.Bias = append([]float32(nil), f.Weight...), append([]float32(nil), f.Bias...)
		if i == 0 { // fc6 reads pool5 flattened C,H,W: channel k is a run of In/C inputs
			last := factors[len(factors)-1]
			per := f.In / len(last)
			for o := 0; o < f.Out; o++ {
				row := f.Weight[o*f.In : (o+1)*f.In]
				for k, s := range last {
					for j := range row[k*per : (k+1)*per] {
						row[k*per+j] = float32(float64(row[k*per+j]) * s)
					}
				}
			}
		}
		out.FC = append(out.FC, f)
	}
	return out, n, nil
}

// rescaleConv divides filter k of c by out[k] and multiplies its weights
// from input channel j by in[j] (in is nil for conv1_1).
func rescaleConv(c ConvParams, in, out []float64) ConvParams {
	c.Kernel, c.Bias = append([]float32(nil), c.Kernel...), append([]float32(nil), c.Bias...)
	for k := 0; k < c.Cout; k++ {
		c.Bias[k] = float32(float64(c.Bias[k]) / out[k])
		for j := 0; j < c.Cin; j++ {
			s := 1 / out[k]
			if in != nil {
				s = in[j] / out[k]
			}
			taps := c.Kernel[(k*c.Cin+j)*9 : (k*c.Cin+j+1)*9]
			for t, v := range taps {
				taps[t] = float32(float64(v) * s)
			}
		}
	}
	return c
}

// NormalisedSHA256 is the SHA256 that Normalise gives normalised weights:
// a hash of the raw weights' SHA256, the image set's, the pooling, the size
// and NormalisationVersion, so a cache can be looked up before normalising.
func NormalisedSHA256(sourceSHA256, imageSetSHA256 string, pooling Pooling, size int) string {
	h := sha256.New()
	fmt.Fprintf(h, "stylelab normalised vgg19\nversion=%d\nsource=%s\nimages=%s\npooling=%s\nsize=%d\n",
		NormalisationVersion, sourceSHA256, imageSetSHA256, pooling, size)
	return hex.EncodeToString(h.Sum(nil))
}

// FilterMeans runs the network on each image (resized so its longest side
// is size, preprocessed as the weights say) up to conv5_4 and returns, per
// conv layer, each filter's mean rectified activation over all images and
// positions, every position of every image counting once.
func (m *Model) FilterMeans(images []image.Image, pooling Pooling, size int) (map[string][]float64, error) {
	if len(images) == 0 {
		return nil, errors.New("vgg: normalise: no images to measure the activations on: give a set of photos (weights.LoadImageSet)")
	}
	if size < minImageSide {
		return nil, fmt.Errorf("vgg: normalise: size %d is too small: use at least %d px (256 is usual)", size, minImageSide)
	}
	for i, img := range images {
		if err := checkImage(img); err != nil {
			return nil, fmt.Errorf("vgg: normalise: image %d: %w", i+1, err)
		}
	}
	sums := map[string][]float64{}
	counts := map[string]int{}
	for i, img := range images {
		rgb := imaging.ToPlanar(imaging.FitLongest(img, size))
		if min(rgb.W, rgb.H) < minImageSide/2 {
			return nil, fmt.Errorf("vgg: normalise: image %d is %dx%d at %d px, too narrow for VGG-19: crop it or leave it out", i+1, rgb.W, rgb.H, size)
		}
		feats, err := m.Features(m.w.Preprocess.Preprocess(rgb.Pix), rgb.H, rgb.W, ConvNames, pooling)
		if err != nil {
			return nil, fmt.Errorf("vgg: normalise: image %d: %w", i+1, err)
		}
		for _, name := range ConvNames {
			f := feats[name]
			if sums[name] == nil {
				sums[name] = make([]float64, f.C)
			}
			n := f.H * f.W
			for k := 0; k < f.C; k++ {
				var s float64
				for _, v := range f.Data[k*n : (k+1)*n] {
					s += float64(v)
				}
				sums[name][k] += s
			}
			counts[name] += n
		}
	}
	for name, s := range sums {
		for k := range s {
			s[k] /= float64(counts[name])
		}
	}
	return sums, nil
}

func checkImage(img image.Image) error {
	if img == nil {
		return errors.New("it is nil: give decoded images (imaging.Load)")
	}
	if b := img.Bounds(); min(b.Dx(), b.Dy()) < minImageSide {
		return fmt.Errorf("it is %dx%d, too small: images must be at least %d px on each side", b.Dx(), b.Dy(), minImageSide)
	}
	return nil
}

// ImageSetSHA256 identifies a set of images by their pixels, in order: the
// sha256 of each image's pixel hash (size and 8-bit RGBA, as transfer
// records images). Nil images hash as "nil".
func ImageSetSHA256(images []image.Image) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d images\n", len(images))
	for _, img := range images {
		if img == nil {
			fmt.Fprintln(h, "nil")
			continue
		}
		p := sha256.New()
		rgba := imaging.Resize(img, img.Bounds().Dx(), img.Bounds().Dy())
		fmt.Fprintf(p, "%dx%d:", rgba.Rect.Dx(), rgba.Rect.Dy())
		p.Write(rgba.Pix)
		fmt.Fprintf(h, "%x\n", p.Sum(nil))
	}
	return hex.EncodeToString(h.Sum(nil))
}
