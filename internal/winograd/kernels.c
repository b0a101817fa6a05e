// The Winograd kernels for AVX2 with FMA and for AVX-512, each compiled
// for its own target so that one binary runs on either; the caller picks
// one after checking the CPU. "wide_avx2" is the AVX-512 code (16 lanes)
// compiled for AVX2, so that its logic can be tested on any AVX2 machine.
#include <string.h>
#include <immintrin.h>
#include <cblas.h>
#include "winograd.h"

#define PASTE2(a, b) a##b
#define PASTE(a, b) PASTE2(a, b)
#define FN(name) PASTE(name, SUFFIX)

// wg_apply_mask zeroes the values of rows (w floats each) whose mask bit
// (bit x%8 of byte x/8 of the row's (w+7)/8 bytes) is clear. Every CPU with
// AVX-512 has AVX2.
__attribute__((target("avx2"))) void wg_apply_mask(float *x, const uint8_t *mask, long rows, int w)
{
	typedef float v8f __attribute__((vector_size(32), aligned(4), may_alias));
	typedef int v8i __attribute__((vector_size(32)));
	const v8i bit = {1, 2, 4, 8, 16, 32, 64, 128};
	const long stride = (w + 7) / 8;
	for (long r = 0; r < rows; r++, x += w, mask += stride) {
		int i = 0;
		for (; i + 8 <= w; i += 8) {
			v8i sel = (bit & (int)mask[i >> 3]) != 0;
			*(v8f *)(x + i) = (v8f)((v8i)(*(v8f *)(x + i)) & sel);
		}
		for (; i < w; i++)
			if (!((mask[i >> 3] >> (i & 7)) & 1))
				x[i] = 0;
	}
}

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define SUFFIX _avx2
#define VW 8
#include "template.h"
#undef SUFFIX
#undef VW
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,fma")
#define SUFFIX _avx512
#define VW 16
#include "template.h"
#undef SUFFIX
#undef VW
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define SUFFIX _wide_avx2
#define VW 16
#include "template.h"
#undef SUFFIX
#undef VW
#pragma GCC pop_options
