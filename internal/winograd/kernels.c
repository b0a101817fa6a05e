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
