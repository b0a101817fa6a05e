// Winograd kernels for one instruction set, included by kernels.c with
//   FN(name)  the name with the set's suffix
//   VW        floats per vector (8 or 16)
// and the set's target options in effect. Vectors run across tiles: lane t
// of a group holds tile t of vw consecutive tiles in one tile row. Three
// groups make a GEMM panel of NR tiles.

typedef float FN(vf) __attribute__((vector_size(VW * 4)));
typedef float FN(vfu) __attribute__((vector_size(VW * 4), aligned(4), may_alias));
typedef int FN(vi) __attribute__((vector_size(VW * 4)));
#define vf FN(vf)
#define vfu FN(vfu)
#define vi FN(vi)

#define LOADU(p) (*(const vfu *)(p))
#define STOREU(p, v) (*(vfu *)(p) = (v))
#define NR (3 * VW) // tiles per GEMM panel
#define PW (VW + 1) // floats per residue plane of a group's row

#include "transforms.h"

// FN(segment) copies the len values of row from column x0-1 on into seg,
// zero outside [0,w); a nil row is zeros.
static void FN(segment)(const float *row, int w, int x0, int len, float *restrict seg)
{
	if (!row) {
		memset(seg, 0, sizeof(float) * len);
		return;
	}
	const int xs = x0 - 1;
	int lo = xs < 0 ? -xs : 0, hi = w - xs < len ? w - xs : len;
	if (hi < lo)
		hi = lo;
	memset(seg, 0, sizeof(float) * lo);
	memcpy(seg + lo, row + xs + lo, sizeof(float) * (hi - lo));
	memset(seg + hi, 0, sizeof(float) * (len - hi));
}

#define M 2
#include "group.h"
#undef M
#define M 4
#include "group.h"
#undef M
#define M 6
#include "group.h"
#undef M

static void FN(input_group)(const wg_layer *L, const float *in, int c, int g, float *dst, long vs, float *tmp)
{
	switch (L->m) {
	case 2: FN(input_group2)(L, in, c, g, dst, vs, tmp); break;
	case 4: FN(input_group4)(L, in, c, g, dst, vs, tmp); break;
	case 6: FN(input_group6)(L, in, c, g, dst, vs, tmp); break;
	}
}

// FN(kernel_fwd/bwd) accumulate four rows of c = A B for one panel: A's row
// i, reduction index r is a[i*ra + r*rr]; B is the panel (n rows of NR
// floats). They store the first mr rows at c (row stride ldc).
#define KERNEL(NAME, RA, RR)                                                                     \
	static void FN(NAME)(int n, const float *a, long ra, long rr, const float *b, float *c, long ldc, int mr) \
	{                                                                                            \
		vf c00 = {0}, c01 = {0}, c02 = {0}, c10 = {0}, c11 = {0}, c12 = {0};                     \
		vf c20 = {0}, c21 = {0}, c22 = {0}, c30 = {0}, c31 = {0}, c32 = {0};                     \
		(void)ra;                                                                                \
		(void)rr;                                                                                \
		for (int r = 0; r < n; r++) {                                                            \
			vf b0 = LOADU(b), b1 = LOADU(b + VW), b2 = LOADU(b + 2 * VW);                         \
			float x0 = a[0 * (RA) + r * (RR)], x1 = a[1 * (RA) + r * (RR)];                      \
			float x2 = a[2 * (RA) + r * (RR)], x3 = a[3 * (RA) + r * (RR)];                      \
			c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2;                                      \
			c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2;                                      \
			c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2;                                      \
			c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2;                                      \
			b += NR;                                                                             \
		}                                                                                        \
		STOREU(c, c00); STOREU(c + VW, c01); STOREU(c + 2 * VW, c02);                            \
		if (mr < 2) return;                                                                      \
		c += ldc;                                                                                \
		STOREU(c, c10); STOREU(c + VW, c11); STOREU(c + 2 * VW, c12);                            \
		if (mr < 3) return;                                                                      \
		c += ldc;                                                                                \
		STOREU(c, c20); STOREU(c + VW, c21); STOREU(c + 2 * VW, c22);                            \
		if (mr < 4) return;                                                                      \
		c += ldc;                                                                                \
		STOREU(c, c30); STOREU(c + VW, c31); STOREU(c + 2 * VW, c32);                            \
	}
KERNEL(kernel_fwd, ra, 1)
KERNEL(kernel_bwd, 1, rr)

// FN(products) computes rows [k0,k1) of every transform element's product
// U_e V_e for npanels panels: V_e's panel p at v + e*vs + p*cin*NR, the
// product's row k at c + e*cs + (k-k0)*ldc + p*NR. U is [e][cout][cin] of
// the forward convolution, read transposed by a backward pass.
static void FN(products)(const wg_layer *L, const float *u, const float *v, long vs, int npanels, int k0, int k1,
			 float *c, long cs, long ldc)
{
	const int n = L->m + 2, cin = L->cin, cout = L->cout;
	const long us = (long)cin * cout;
	for (int e = 0; e < n * n; e++) {
		const float *ue = u + e * us, *ve = v + e * vs;
		float *ce = c + e * cs;
		for (int k = k0; k < k1; k += 4) {
			int mr = k1 - k < 4 ? k1 - k : 4;
			for (int p = 0; p < npanels; p++) {
				const float *b = ve + (long)p * cin * NR;
				float *cc = ce + (long)(k - k0) * ldc + (long)p * NR;
				if (L->backward)
					FN(kernel_bwd)(cin, ue + k, 1, cout, b, cc, ldc, mr);
				else
					FN(kernel_fwd)(cin, ue + (long)k * cin, cin, 1, b, cc, ldc, mr);
			}
		}
	}
}

// FN(outputs) writes output channels [k0,k1) of groups [g0,g1) from their
// products: channel k, group g at c + (k-k0)*ldc + (g-g0)*VW, elements cs apart.
static void FN(outputs)(const wg_layer *L, const float *c, long cs, long ldc, const float *bias, float *out,
			uint8_t *mask, int g0, int g1, int k0, int k1)
{
	const long plane = (long)L->h * L->w, mplane = (long)L->h * ((L->w + 7) / 8);
	for (int k = k0; k < k1; k++) {
		float b = bias ? bias[k] : 0;
		float *o = out + k * plane;
		uint8_t *mk = mask ? mask + k * mplane : 0;
		for (int g = g0; g < g1; g++) {
			const float *mb = c + (long)(k - k0) * ldc + (long)(g - g0) * VW;
			switch (L->m) {
			case 2: FN(output_group2)(L, mb, cs, g, b, o, mk); break;
			case 4: FN(output_group4)(L, mb, cs, g, b, o, mk); break;
			case 6: FN(output_group6)(L, mb, cs, g, b, o, mk); break;
			}
		}
	}
}

// Blocked strategy, for few tiles or many channels: the workers share a
// block of groups [g0,g1) (whole panels but the last). FN(wg_input)
// transforms channels [c0,c1) of the block into v, [e][panel][cin][NR]
// for the micro-kernel or [e][cin][tiles] for OpenBLAS; then FN(wg_output)
// computes output channels [k0,k1) of every product into mbuf,
// [e][cout][tiles], and their output transforms.
void FN(wg_input)(const wg_layer *L, const float *in, int g0, int g1, int c0, int c1, float *v, float *tmp)
{
	const long nbt = (long)((g1 - g0 + 2) / 3) * NR, vs = nbt * L->cin;
	for (int g = g0; g < g1; g++) {
		int q = g - g0;
		for (int c = c0; c < c1; c++) {
			long at = L->blas ? c * nbt + q * VW : ((long)(q / 3) * L->cin + c) * NR + (q % 3) * VW;
			FN(input_group)(L, in, c, g, v + at, vs, tmp);
		}
	}
}

void FN(wg_output)(const wg_layer *L, const float *u, const float *v, const float *bias, float *out, uint8_t *mask,
		   int g0, int g1, int k0, int k1, float *mbuf)
{
	const int npanels = (g1 - g0 + 2) / 3, n = L->m + 2, cin = L->cin, cout = L->cout;
	const long nbt = (long)npanels * NR, vs = (long)npanels * cin * NR, ms = (long)cout * nbt;
	if (!L->blas) {
		FN(products)(L, u, v, vs, npanels, k0, k1, mbuf + k0 * nbt, ms, nbt);
	} else {
		for (int e = 0; e < n * n; e++) {
			const float *ue = u + (long)e * cin * cout;
			if (L->backward) // rows [k0,k1) of U_e^T, U_e being cin x cout
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k1 - k0, nbt, cin, 1, ue + k0, cout,
					    v + e * vs, nbt, 0, mbuf + e * ms + k0 * nbt, nbt);
			else
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k1 - k0, nbt, cin, 1, ue + (long)k0 * cin,
					    cin, v + e * vs, nbt, 0, mbuf + e * ms + k0 * nbt, nbt);
		}
	}
	FN(outputs)(L, mbuf + k0 * nbt, ms, nbt, bias, out, mask, g0, g1, k0, k1);
}

// Panel strategy, for many tiles and few channels: one worker takes the
// panels of groups [g0,g1) (g0 a multiple of 3) and computes each panel
// whole: its transformed input, then its products and outputs kc channels
// at a time, all within the core's caches. scratch holds
// n*n*(cin+kc)*NR + n*M*PW + PW*M floats.
void FN(wg_panels)(const wg_layer *L, const float *in, const float *u, const float *bias, float *out, uint8_t *mask,
		   int g0, int g1, float *scratch)
{
	const int n = L->m + 2, cin = L->cin, cout = L->cout, kc = L->kc;
	float *vp = scratch, *mc = vp + (long)n * n * cin * NR, *tmp = mc + (long)n * n * kc * NR;
	for (int g = g0; g < g1; g += 3) {
		int ge = g + 3 < g1 ? g + 3 : g1;
		for (int c = 0; c < cin; c++)
			for (int q = g; q < ge; q++)
				FN(input_group)(L, in, c, q, vp + (long)c * NR + (q - g) * VW, (long)cin * NR, tmp);
		for (int k = 0; k < cout; k += kc) {
			int ke = k + kc < cout ? k + kc : cout;
			FN(products)(L, u, vp, (long)cin * NR, 1, k, ke, mc, (long)kc * NR, NR);
			FN(outputs)(L, mc, (long)kc * NR, NR, bias, out, mask, g, ge, k, ke);
		}
	}
}

#undef LOADU
#undef STOREU
#undef NR
#undef PW
#undef vf
#undef vfu
#undef vi
#undef KERNEL
