// The input and output transforms of one group for output tiles of side M,
// included by template.h once per tile size.

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define GN(name) FN(CAT(name, M))
#define N (M + 2)

// GN(split) splits a group's input row into M residue planes,
// p[r*PW + t] = src[t*M + r], so that column j of lane t is at plane j%M,
// index t + j/M. The constant stride lets the compiler vectorise it.
static inline void GN(split)(const float *restrict src, float *restrict p)
{
	for (int t = 0; t < PW; t++) {
#pragma GCC unroll 8
		for (int r = 0; r < M; r++)
			p[r * PW + t] = src[t * M + r];
	}
}

// GN(input_group) transforms one group's tiles of one channel: it splits
// each of the group's N input rows into planes, computes BT d B and stores
// the N*N vectors at dst[e*vs]. A backward pass reads each tile flipped in
// both directions. tmp holds N*M*PW + PW*M floats.
static void GN(input_group)(const wg_layer *L, const float *in, int c, int g, float *dst, long vs, float *tmp)
{
	const int h = L->h, w = L->w, ty = g / L->gw, x0 = (g % L->gw) * VW * M;
	// Rows whose columns x0-1 ... x0-1+PW*M-1 all exist are split in place.
	const int interior = x0 >= 1 && x0 - 1 + PW * M <= w;
	float *seg = tmp + N * M * PW;
	for (int i = 0; i < N; i++) {
		int y = ty * M - 1 + i;
		int inside = y >= 0 && y < h;
		const float *row = inside ? in + ((long)c * h + y) * w : 0;
		const float *src = seg;
		if (inside && interior)
			src = row + x0 - 1;
		else
			FN(segment)(row, w, x0, PW * M, seg);
		GN(split)(src, tmp + i * M * PW);
	}
	vf d[N][N], t[N][N], o[N][N];
	if (L->backward) {
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++)
				d[i][j] = LOADU(tmp + ((N - 1 - i) * M + (N - 1 - j) % M) * PW + (N - 1 - j) / M);
	} else {
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++)
				d[i][j] = LOADU(tmp + (i * M + j % M) * PW + j / M);
	}
	for (int i = 0; i < N; i++)
		FN(CAT(bt, M))(d[i], 1, t[i], 1);
	for (int j = 0; j < N; j++)
		FN(CAT(bt, M))(&t[0][j], N, &o[0][j], N);
#pragma GCC unroll 8
	for (int i = 0; i < N; i++)
#pragma GCC unroll 8
		for (int j = 0; j < N; j++, dst += vs)
			STOREU(dst, o[i][j]);
}

// GN(output_group) computes AT m A for one output channel and group, with
// the N*N transform elements at mb[e*ms], and writes the M x M tiles into
// out (one channel, h x w). Forward: adds the bias, applies ReLU and sets
// the channel's mask bits, if any (one per output, a byte per 8 columns).
// Backward: writes each tile flipped.
static void GN(output_group)(const wg_layer *L, const float *mb, long ms, int g, float bias, float *out,
			     uint8_t *mask)
{
	vf d[N][N], t[N][M], o[M][M];
#pragma GCC unroll 8
	for (int i = 0; i < N; i++)
#pragma GCC unroll 8
		for (int j = 0; j < N; j++, mb += ms)
			d[i][j] = LOADU(mb);
	for (int i = 0; i < N; i++)
		FN(CAT(at, M))(d[i], 1, t[i], 1);
	for (int j = 0; j < M; j++)
		FN(CAT(at, M))(&t[0][j], M, &o[0][j], M);
	const int w = L->w, ty = g / L->gw, x0 = (g % L->gw) * VW * M, flip = L->backward;
	const int cols = w - x0 < VW * M ? w - x0 : VW * M;
	const long mstride = (w + 7) / 8;
	float buf[VW * M] __attribute__((aligned(64)));
	float lanes[M][VW] __attribute__((aligned(64)));
	for (int i = 0; i < M; i++) {
		int y = ty * M + (flip ? M - 1 - i : i);
		if (y >= L->h)
			continue;
		for (int j = 0; j < M; j++) {
			vf v = o[i][j];
			if (!flip) {
				v += bias;
				v = (vf)((vi)v & (v > 0));
			}
			*(vf *)lanes[flip ? M - 1 - j : j] = v;
		}
		// Whole groups are interleaved straight into the row.
		float *row = cols == VW * M ? out + (long)y * w + x0 : buf;
		for (int tt = 0; tt < VW; tt++) {
#pragma GCC unroll 8
			for (int j = 0; j < M; j++)
				row[tt * M + j] = lanes[j][tt];
		}
		if (row == buf)
			memcpy(out + (long)y * w + x0, buf, sizeof(float) * cols);
		if (mask) {
			uint8_t *mr = mask + y * mstride + x0 / 8;
			for (int k = 0; k < (cols + 7) / 8; k++)
				mr[k] = (uint8_t)_mm256_movemask_ps(
					_mm256_cmp_ps(_mm256_loadu_ps(row + 8 * k), _mm256_setzero_ps(), _CMP_GT_OQ));
		}
	}
}

#undef N
#undef GN
