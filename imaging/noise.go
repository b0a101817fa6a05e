package imaging

import (
	"image"
	"math/rand/v2"
)

// noiseStream is the fixed PCG stream (increment) used by Noise.
const noiseStream = 0x5374796c654c6162 // "StyleLab"

// Noise returns a w×h Planar of independent samples uniform on [0, 1),
// for initialising the optimisation from noise. Samples come from
// math/rand/v2's PCG generator seeded with (uint64(seed), noiseStream),
// one Uint64 per value, filled in Pix order; each value is the top 24
// bits divided by 2^24, so the same seed gives the same image on every
// platform and Go release. Non-positive or oversized sizes give an empty
// Planar.
func Noise(w, h int, seed int64) *Planar {
	if w <= 0 || h <= 0 || !sizeOK(image.Rect(0, 0, w, h)) {
		return &Planar{}
	}
	src := rand.NewPCG(uint64(seed), noiseStream)
	p := &Planar{W: w, H: h, Pix: make([]float32, 3*w*h)}
	for i := range p.Pix {
		p.Pix[i] = float32(src.Uint64()>>40) / (1 << 24)
	}
	return p
}
