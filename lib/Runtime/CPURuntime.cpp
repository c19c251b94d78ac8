//===- CPURuntime.cpp - BLAS calls for lowered CPU code ---------*- C++ -*-===//
//
// Implements the scanrt_* GEMM entry points on top of OpenBLAS's CBLAS
// interface, with a reference loop nest for views BLAS cannot express.
//
//===----------------------------------------------------------------------===//

#include "CPURuntime.h"

#include <cblas.h>

#include <climits>

#define SCANRT_EXPORT __attribute__((visibility("default")))

namespace {

bool fitsInt(int64_t v) { return v >= 0 && v <= INT_MAX; }

/// True when a row-major rows x cols view with leading dimension `ld` is
/// acceptable to CBLAS (which requires ld >= max(1, cols)).
bool blasView(int64_t rows, int64_t cols, int64_t ld) {
  (void)rows;
  return fitsInt(ld) && ld >= (cols > 1 ? cols : 1);
}

/// The loop nest used when BLAS cannot take the views: same semantics as
/// the BLAS call, with C not read when beta == 0.
template <typename T>
void referenceGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                   T alpha, const T *a, int64_t lda, const T *b, int64_t ldb,
                   T beta, T *c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      T sum = 0;
      for (int64_t l = 0; l < k; ++l) {
        T av = transA ? a[l * lda + i] : a[i * lda + l];
        T bv = transB ? b[j * ldb + l] : b[l * ldb + j];
        sum += av * bv;
      }
      T &out = c[i * ldc + j];
      out = beta == T(0) ? alpha * sum : alpha * sum + beta * out;
    }
  }
}

template <typename T, typename Blas>
void gemm(int32_t transA, int32_t transB, int64_t m, int64_t n, int64_t k,
          T alpha, const T *a, int64_t aOffset, int64_t lda, const T *b,
          int64_t bOffset, int64_t ldb, T beta, T *c, int64_t cOffset,
          int64_t ldc, Blas blas) {
  if (m <= 0 || n <= 0)
    return;
  a += aOffset;
  b += bOffset;
  c += cOffset;
  bool ta = transA != 0, tb = transB != 0;
  bool ok = fitsInt(m) && fitsInt(n) && fitsInt(k) &&
            blasView(ta ? k : m, ta ? m : k, lda) &&
            blasView(tb ? n : k, tb ? k : n, ldb) && blasView(m, n, ldc);
  if (!ok) {
    referenceGemm<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  blas(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
       tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
       static_cast<int>(n), static_cast<int>(k), alpha, a,
       static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
       static_cast<int>(ldc));
}

} // namespace

extern "C" SCANRT_EXPORT void
scanrt_sgemm(int32_t transA, int32_t transB, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, int64_t aOffset, int64_t lda,
             const float *b, int64_t bOffset, int64_t ldb, float beta,
             float *c, int64_t cOffset, int64_t ldc) {
  gemm<float>(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset,
              ldb, beta, c, cOffset, ldc, cblas_sgemm);
}

extern "C" SCANRT_EXPORT void
scanrt_dgemm(int32_t transA, int32_t transB, int64_t m, int64_t n, int64_t k,
             double alpha, const double *a, int64_t aOffset, int64_t lda,
             const double *b, int64_t bOffset, int64_t ldb, double beta,
             double *c, int64_t cOffset, int64_t ldc) {
  gemm<double>(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset,
               ldb, beta, c, cOffset, ldc, cblas_dgemm);
}

extern "C" SCANRT_EXPORT int32_t scanrt_get_num_threads(void) {
  return openblas_get_num_threads();
}

extern "C" SCANRT_EXPORT void scanrt_set_num_threads(int32_t n) {
  if (n > 0)
    openblas_set_num_threads(n);
}
