// Declarations shared by the Go side and the C kernels of package winograd.
#ifndef STYLELAB_WINOGRAD_H
#define STYLELAB_WINOGRAD_H

#include <stdint.h>

// wg_layer is one pass of a 3x3 stride-1 pad-1 convolution over an h x w
// image, tiled into m x m output tiles that are grouped by vw along rows.
typedef struct {
	int m;        // output tile side: 2, 4 or 6
	int vw;       // vector width in floats (tiles per group): 8 or 16
	int cin;      // channels read
	int cout;     // channels written
	int h, w;
	int gw;       // groups of vw tiles per tile row
	int kc;       // output channels per chunk of products (panel strategy)
	int blas;     // blocked strategy: 1 for OpenBLAS sgemm products, 0 for the micro-kernel
	int backward; // 0: out = relu(conv(in) + bias) and its mask;
	              // 1: out = input gradient from in (the output gradient, masked)
} wg_layer;

void wg_apply_mask(float *x, const uint8_t *mask, long rows, int w);
void wg_input_avx2(const wg_layer *L, const float *in, int g0, int g1, int c0, int c1, float *v, float *tmp);
void wg_output_avx2(const wg_layer *L, const float *u, const float *v, const float *bias, float *out, uint8_t *mask, int g0, int g1, int k0, int k1, float *mbuf);
void wg_panels_avx2(const wg_layer *L, const float *in, const float *u, const float *bias, float *out, uint8_t *mask, int g0, int g1, float *scratch);
void wg_input_avx512(const wg_layer *L, const float *in, int g0, int g1, int c0, int c1, float *v, float *tmp);
void wg_output_avx512(const wg_layer *L, const float *u, const float *v, const float *bias, float *out, uint8_t *mask, int g0, int g1, int k0, int k1, float *mbuf);
void wg_panels_avx512(const wg_layer *L, const float *in, const float *u, const float *bias, float *out, uint8_t *mask, int g0, int g1, float *scratch);
void wg_input_wide_avx2(const wg_layer *L, const float *in, int g0, int g1, int c0, int c1, float *v, float *tmp);
void wg_output_wide_avx2(const wg_layer *L, const float *u, const float *v, const float *bias, float *out, uint8_t *mask, int g0, int g1, int k0, int k1, float *mbuf);
void wg_panels_wide_avx2(const wg_layer *L, const float *in, const float *u, const float *bias, float *out, uint8_t *mask, int g0, int g1, float *scratch);

#endif
