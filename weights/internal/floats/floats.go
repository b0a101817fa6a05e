// Package floats decodes the number formats weight files store: arrays of
// little-endian float32 and IEEE 754 half-precision values.
package floats

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
)

// Read fills dst with little-endian float32s read from r; a short read is
// io.ErrUnexpectedEOF.
func Read(r io.Reader, dst []float32) error {
	buf := make([]byte, 4*min(len(dst), 1<<16))
	for len(dst) > 0 {
		n := min(len(dst), len(buf)/4)
		if _, err := io.ReadFull(r, buf[:4*n]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		for i := range n {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		dst = dst[n:]
	}
	return nil
}

// FromHalf converts an IEEE 754 half-precision value.
func FromHalf(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		return float32(math.Copysign(float64(mant)/1024*math.Pow(2, -14), float64(int32(sign)|1)))
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}
