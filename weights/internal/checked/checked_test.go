package checked

import (
	"math"
	"testing"
)

func TestMul(t *testing.T) {
	for _, tc := range []struct {
		a, b int64
		want int64
		ok   bool
	}{
		{0, math.MaxInt64, 0, true},
		{3, 4, 12, true},
		{1 << 31, 1 << 31, 1 << 62, true},
		{math.MaxInt64, 1, math.MaxInt64, true},
		{1 << 32, 1 << 31, 0, false}, // exactly 2^63
		{1 << 32, 1 << 32, 0, false}, // wraps to 0 in 64 bits
		{math.MaxInt64, 2, 0, false},
		{-1, 5, 0, false},
		{5, -1, 0, false},
	} {
		if got, ok := Mul(tc.a, tc.b); got != tc.want || ok != tc.ok {
			t.Errorf("Mul(%d, %d) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

func TestProduct(t *testing.T) {
	for _, tc := range []struct {
		dims []int64
		want int64
		ok   bool
	}{
		{nil, 1, true},
		{[]int64{512, 512, 3, 3}, 2359296, true},
		{[]int64{4096, 25088}, 102760448, true},
		{[]int64{1 << 20, 1 << 20, 1 << 20, 1 << 20}, 0, false},
		{[]int64{0, 1 << 62, 1 << 62}, 0, true}, // a zero factor first: never overflows
		{[]int64{1 << 62, 1 << 62, 0}, 0, false},
		{[]int64{3, -3}, 0, false},
	} {
		if got, ok := Product(tc.dims...); got != tc.want || ok != tc.ok {
			t.Errorf("Product(%v) = %d, %v; want %d, %v", tc.dims, got, ok, tc.want, tc.ok)
		}
	}
}
