package floats

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"
)

func TestFromHalf(t *testing.T) {
	for _, tc := range []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x3555, 0.333251953125},
		{0x7bff, 65504},                // largest normal
		{0x0400, 0x1p-14},              // smallest normal
		{0x0001, 0x1p-24},              // smallest subnormal
		{0x83ff, -1023 * 0x1p-24},      // negative subnormal
		{0x7c00, float32(math.Inf(1))}, // +Inf
		{0xfc00, float32(math.Inf(-1))},
	} {
		if got := FromHalf(tc.h); got != tc.want {
			t.Errorf("FromHalf(%#04x) = %g, want %g", tc.h, got, tc.want)
		}
	}
	if got := FromHalf(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("FromHalf(0x8000) = %g, want -0", got)
	}
	if got := FromHalf(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("FromHalf(0x7e00) = %g, want NaN", got)
	}
}

func TestRead(t *testing.T) {
	want := make([]float32, 1<<16+3) // more than one buffer
	var b []byte
	for i := range want {
		want[i] = float32(i) * -0.5
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(want[i]))
	}
	got := make([]float32, len(want))
	if err := Read(bytes.NewReader(b), got); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("[%d] = %g, want %g", i, got[i], want[i])
		}
	}
	for _, n := range []int{0, 2, len(b) - 1} {
		if err := Read(bytes.NewReader(b[:n]), got); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%d of %d bytes: error %v, want io.ErrUnexpectedEOF", n, len(b), err)
		}
	}
}
