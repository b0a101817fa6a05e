// Package blas calls OpenBLAS's single-precision matrix routines through cgo.
// Matrices are row-major; leading dimensions are in elements.
package blas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "fmt"

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

// Sgemv computes y = alpha*op(A)*x + beta*y for an m x n matrix A.
func Sgemv(transA bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	if m == 0 || n == 0 {
		return
	}
	C.cblas_sgemv(C.CblasRowMajor, trans(transA), C.blasint(m), C.blasint(n), C.float(alpha),
		(*C.float)(&a[0]), C.blasint(lda), (*C.float)(&x[0]), 1, C.float(beta), (*C.float)(&y[0]), 1)
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
