// Package checked does the arithmetic on sizes that weight files declare:
// products that report overflow instead of wrapping around.
package checked

import "math/bits"

// Mul returns a*b and whether it is exact: false when either factor is
// negative or the product does not fit in an int64.
func Mul(a, b int64) (int64, bool) {
	if a < 0 || b < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > 1<<63-1 {
		return 0, false
	}
	return int64(lo), true
}

// Product multiplies dims (1 for none) with Mul's checks.
func Product(dims ...int64) (int64, bool) {
	n := int64(1)
	for _, d := range dims {
		var ok bool
		if n, ok = Mul(n, d); !ok {
			return 0, false
		}
	}
	return n, true
}
