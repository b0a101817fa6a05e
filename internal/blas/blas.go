// Package blas calls OpenBLAS's single-precision matrix routines through cgo.
// Matrices are row-major; leading dimensions are in elements.
package blas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

func trans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C, where op(A) is m x k and op(B) is k x n.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || len(a) == 0 || len(b) == 0 || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("blas: Sgemm %dx%dx%d with buffers %d, %d, %d", m, n, k, len(a), len(b), len(c)))
	}
	C.cblas_sgemm(C.CblasRowMajor, trans(transA), trans(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(&a[0]), C.blasint(lda), (*C.float)(&b[0]), C.blasint(ldb),
		C.float(beta), (*C.float)(&c[0]), C.blasint(ldc))
}

// Cgemm computes C = A*B for complex matrices, A m x k and B k x n, packed
// (leading dimensions k, n, n); gauss uses three real products per complex
// one instead of four (cgemm3m). It serves the benchmark that weighs FFT
// convolution, whose products are complex, against Winograd's.
func Cgemm(gauss bool, m, n, k int, a, b, c []complex64) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || len(a) < m*k || len(b) < k*n || len(c) < m*n {
		panic(fmt.Sprintf("blas: Cgemm %dx%dx%d with buffers %d, %d, %d", m, n, k, len(a), len(b), len(c)))
	}
	one, zero := complex64(1), complex64(0)
	pa, pb, pc, p1, p0 := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), unsafe.Pointer(&c[0]), unsafe.Pointer(&one), unsafe.Pointer(&zero)
	cm, cn, ck := C.blasint(m), C.blasint(n), C.blasint(k)
	if gauss {
		C.cblas_cgemm3m(C.CblasRowMajor, C.CblasNoTrans, C.CblasNoTrans, cm, cn, ck, p1, pa, ck, pb, cn, p0, pc, cn)
		return
	}
	C.cblas_cgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasNoTrans, cm, cn, ck, p1, pa, ck, pb, cn, p0, pc, cn)
}

// Sgemv computes y = alpha*op(A)*x + beta*y for an m x n matrix A.
func Sgemv(transA bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	if m == 0 || n == 0 {
		return
	}
	C.cblas_sgemv(C.CblasRowMajor, trans(transA), C.blasint(m), C.blasint(n), C.float(alpha),
		(*C.float)(&a[0]), C.blasint(lda), (*C.float)(&x[0]), 1, C.float(beta), (*C.float)(&y[0]), 1)
}

// SsyrkUpper computes the upper triangle of C = alpha*A*A^T + beta*C for an
// n x k matrix A; the strictly lower triangle of C is left alone.
func SsyrkUpper(n, k int, alpha float32, a []float32, lda int, beta float32, c []float32, ldc int) {
	if n == 0 {
		return
	}
	if k == 0 || len(a) < (n-1)*lda+k || len(c) < (n-1)*ldc+n {
		panic(fmt.Sprintf("blas: Ssyrk %dx%d with buffers %d, %d", n, k, len(a), len(c)))
	}
	C.cblas_ssyrk(C.CblasRowMajor, C.CblasUpper, C.CblasNoTrans, C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(&a[0]), C.blasint(lda), C.float(beta), (*C.float)(&c[0]), C.blasint(ldc))
}

// Gram computes the symmetric c x c matrix G = alpha*F*F^T of a c x m
// matrix F, split among workers goroutines by bands of rows sized so that
// each computes as many products of its band's upper triangle: a
// triangular block with Ssyrk and the block right of it with Sgemm. The
// lower triangle is copied from the upper. The split depends only on c and
// workers, so results are the same from run to run.
func Gram(workers, c, m int, alpha float32, f []float32, g []float32) {
	workers = max(1, min(workers, c))
	bounds := make([]int, workers+1)
	for k := 1; k <= workers; k++ {
		// Row i has c-i products; rows [0,b) have c*b - b*b/2 of the c*c/2.
		bounds[k] = int(math.Round(float64(c) * (1 - math.Sqrt(1-float64(k)/float64(workers)))))
	}
	done := make(chan struct{}, workers)
	for k := 0; k < workers; k++ {
		lo, hi := bounds[k], bounds[k+1]
		go func() {
			defer func() { done <- struct{}{} }()
			if lo == hi {
				return
			}
			SsyrkUpper(hi-lo, m, alpha, f[lo*m:], m, 0, g[lo*c+lo:], c)
			if hi < c {
				Sgemm(false, true, hi-lo, c-hi, m, alpha, f[lo*m:], m, f[hi*m:], m, 0, g[lo*c+hi:], c)
			}
		}()
	}
	for k := 0; k < workers; k++ {
		<-done
	}
	for i := 0; i < c; i++ {
		for j := 0; j < i; j++ {
			g[i*c+j] = g[j*c+i]
		}
	}
}

// Threads is the number of threads OpenBLAS uses.
func Threads() int { return int(C.openblas_get_num_threads()) }

// SetThreads sets how many threads OpenBLAS uses for each call.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// SgemmRows is Sgemm with the m rows of C split among workers goroutines,
// each calling single-threaded OpenBLAS on its band.
func SgemmRows(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	workers = max(1, min(workers, m))
	done := make(chan struct{}, workers)
	for w := 0; w < workers; w++ {
		lo, hi := m*w/workers, m*(w+1)/workers
		go func() {
			defer func() { done <- struct{}{} }()
			if hi == lo {
				return
			}
			aOff := lo * lda // row lo of op(A): a row of A, or a column when transposed
			if transA {
				aOff = lo
			}
			Sgemm(transA, transB, hi-lo, n, k, alpha, a[aOff:], lda, b, ldb, beta, c[lo*ldc:], ldc)
		}()
	}
	for w := 0; w < workers; w++ {
		<-done
	}
}
