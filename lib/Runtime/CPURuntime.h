//===- CPURuntime.h - C ABI of the CPU runtime ------------------*- C++ -*-===//
//
// Functions that code lowered by scan-lower-to-cpu calls. All matrices are
// row-major views `base + offset` with a leading dimension (the distance in
// elements between consecutive rows). The compiler passes the aligned base
// pointer and the offset of a memref separately, as a memref descriptor
// holds them.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNTIME_CPURUNTIME_H
#define SCAN_RUNTIME_CPURUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C[m x n] = alpha * op(A) * op(B) + beta * C, row-major, where op(A) is
/// m x k (A stored k x m when transA != 0) and op(B) is k x n (B stored
/// n x k when transB != 0). With beta == 0, C is not read. Views that BLAS
/// cannot take (a leading dimension smaller than the row length, sizes over
/// INT_MAX) are computed by a plain loop nest instead.
void scanrt_sgemm(int32_t transA, int32_t transB, int64_t m, int64_t n,
                  int64_t k, float alpha, const float *a, int64_t aOffset,
                  int64_t lda, const float *b, int64_t bOffset, int64_t ldb,
                  float beta, float *c, int64_t cOffset, int64_t ldc);

/// As scanrt_sgemm, in double precision.
void scanrt_dgemm(int32_t transA, int32_t transB, int64_t m, int64_t n,
                  int64_t k, double alpha, const double *a, int64_t aOffset,
                  int64_t lda, const double *b, int64_t bOffset, int64_t ldb,
                  double beta, double *c, int64_t cOffset, int64_t ldc);

/// Number of threads BLAS calls use; `scanrt_set_num_threads(n)` with n <= 0
/// leaves the BLAS default (every core, or OPENBLAS_NUM_THREADS).
int32_t scanrt_get_num_threads(void);
void scanrt_set_num_threads(int32_t n);

#ifdef __cplusplus
}
#endif

#endif // SCAN_RUNTIME_CPURUNTIME_H
