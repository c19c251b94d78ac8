//===- CPURuntime.cpp - BLAS calls for lowered CPU code ---------*- C++ -*-===//
//
// Implements the scanrt_* GEMM entry points: the runtime's own AVX-512
// kernel (GemmKernel.h) on the runtime's thread team (ThreadPool.h) where
// the CPU has AVX-512F, OpenBLAS's CBLAS interface for small products and
// other CPUs, and a reference loop nest for views BLAS cannot express.
//
//===----------------------------------------------------------------------===//

#include "scan/Runtime/CPURuntime.h"
#include "GemmKernel.h"
#include "GemmStats.h"
#include "ThreadPool.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>

#define SCANRT_EXPORT __attribute__((visibility("default")))

namespace {

bool fitsInt(int64_t v) { return v >= 0 && v <= INT_MAX; }

/// True when a row-major rows x cols view with leading dimension `ld` is
/// acceptable to CBLAS (which requires ld >= max(1, cols)).
bool blasView(int64_t rows, int64_t cols, int64_t ld) {
  (void)rows;
  return fitsInt(ld) && ld >= (cols > 1 ? cols : 1);
}

/// When the runtime's GEMM kernel runs (SCANRT_GEMM_KERNEL in the
/// environment): 0 = never (OpenBLAS for every product), 1 = for every
/// product, unset = Auto: for every product with a packed operand, and for
/// the other products where the kernel measured faster (kernelPays). Keeping
/// big products on the kernel too means that one set of threads serves
/// every product: BLAS's own threads spin for a while after each call, and
/// on a machine with few cores they take time from the kernel's.
enum class KernelMode { Never, Always, Auto };

/// Products smaller than this (m * n * k) run on the calling thread only.
constexpr int64_t kParallelMinWork = int64_t(1) << 21;
/// Operands smaller than this (n * k) are packed on the calling thread only.
constexpr int64_t kParallelMinPack = int64_t(1) << 16;

/// Whether Auto sends a product without a packed operand to the kernel.
/// Measured at n = k = 1000 on two cores: reading B in place, the kernel
/// beats OpenBLAS from 2 rows on (8 rows: 216 against 84 GFLOP/s); packing
/// B^T for the call, from 32 rows on. One row is a matrix-vector product,
/// and small products are left to BLAS's lower call overhead.
template <typename T>
bool kernelPays(bool tb, int64_t m, int64_t n, int64_t k) {
  if (double(m) * double(n) * double(k) < double(kParallelMinWork))
    return false;
  if (!tb && scanrt::GemmKernel<T>::readBInPlace(m))
    return m >= 2;
  return m >= 32;
}

KernelMode readKernelMode() {
  if (!__builtin_cpu_supports("avx512f"))
    return KernelMode::Never;
  const char *text = std::getenv("SCANRT_GEMM_KERNEL");
  if (text && std::strcmp(text, "0") == 0)
    return KernelMode::Never;
  if (text && std::strcmp(text, "1") == 0)
    return KernelMode::Always;
  return KernelMode::Auto;
}

KernelMode kernelMode() {
  static const KernelMode mode = readKernelMode();
  return mode;
}

int partsFor(int64_t m, int64_t n, int64_t k) {
  return double(m) * double(n) * double(k) >= double(kParallelMinWork)
             ? scanrt::threadCount()
             : 1;
}

template <typename T>
void runPackB(bool transB, int64_t n, int64_t k, const T *b, int64_t ldb,
              T *packed) {
  struct Job {
    bool transB;
    int64_t n, k;
    const T *b;
    int64_t ldb;
    T *packed;
  } job{transB, n, k, b, ldb, packed};
  int64_t panels = scanrt::GemmKernel<T>::panelCount(n);
  int parts = n * k >= kParallelMinPack ? scanrt::threadCount() : 1;
  if (parts > panels)
    parts = static_cast<int>(panels);
  scanrt::runParallel(
      [](void *context, int part, int parts) {
        auto &j = *static_cast<Job *>(context);
        int64_t panels = scanrt::GemmKernel<T>::panelCount(j.n);
        scanrt::GemmKernel<T>::packB(j.transB, j.n, j.k, j.b, j.ldb, j.packed,
                                     panels * part / parts,
                                     panels * (part + 1) / parts);
      },
      &job, parts);
}

template <typename T>
void runPackedGemm(const scanrt::PackedGemmArgs<T> &args) {
  scanrt::runParallel(
      [](void *context, int part, int parts) {
        scanrt::GemmKernel<T>::multiply(
            *static_cast<const scanrt::PackedGemmArgs<T> *>(context), part,
            parts);
      },
      const_cast<scanrt::PackedGemmArgs<T> *>(&args),
      partsFor(args.m, args.n, args.k));
}

/// A buffer from the buffer cache for a packed op(B) of k x n (release it
/// with _mlir_memref_to_llvm_free), or null when the allocation fails.
template <typename T>
T *allocatePacked(int64_t n, int64_t k) {
  int64_t bytes = scanrt::GemmKernel<T>::packedSize(n, k) * int64_t(sizeof(T));
  return static_cast<T *>(
      _mlir_memref_to_llvm_aligned_alloc(64, static_cast<uint64_t>(bytes)));
}

/// op(B) (k x n, k and n >= 1) packed into a new buffer (allocatePacked),
/// or null when the allocation fails.
template <typename T>
T *packNew(bool transB, int64_t n, int64_t k, const T *b, int64_t ldb) {
  T *packed = allocatePacked<T>(n, k);
  if (packed)
    runPackB<T>(transB, n, k, b, ldb, packed);
  return packed;
}

/// The kernel path of scanrt_*gemm. B is read in place where the kernel
/// prefers that; otherwise op(B) is packed for this call one depth block at
/// a time, each block multiplied right after it is packed: a packed block
/// stays in the cache while every row of C uses it, where packing all of a
/// large B first would write it to memory and read it back once per chunk
/// of rows. An empty inner dimension (C = beta * C) is left to BLAS.
template <typename T>
bool kernelGemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha,
                const T *a, int64_t lda, const T *b, int64_t ldb, T beta,
                T *c, int64_t ldc) {
  KernelMode mode = kernelMode();
  if (mode == KernelMode::Never || k <= 0 ||
      (mode == KernelMode::Auto && !kernelPays<T>(tb, m, n, k)))
    return false;
  if (!tb && scanrt::GemmKernel<T>::readBInPlace(m)) {
    runPackedGemm<T>(
        {ta, m, n, k, alpha, a, lda, nullptr, b, ldb, beta, c, ldc});
    return true;
  }
  const int64_t blockDepth = scanrt::GemmKernel<T>::blockDepth();
  T *packed = allocatePacked<T>(n, std::min(k, blockDepth));
  if (!packed)
    return false;
  for (int64_t block = 0; block < k; block += blockDepth) {
    int64_t depth = std::min(blockDepth, k - block);
    // Rows [block, block + depth) of op(B), columns of op(A).
    runPackB<T>(tb, n, depth, tb ? b + block : b + block * ldb, ldb, packed);
    runPackedGemm<T>({ta, m, n, depth, alpha,
                      ta ? a + block * lda : a + block, lda, packed, nullptr,
                      0, block ? T(1) : beta, c, ldc});
  }
  _mlir_memref_to_llvm_free(packed);
  return true;
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
  if (kernelGemm<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
    return;
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
  scanrt::GemmTimer timer(scanrt::GemmEntry::Gemm, false, transA, transB, m,
                          n, k);
  gemm<float>(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset,
              ldb, beta, c, cOffset, ldc, cblas_sgemm);
}

extern "C" SCANRT_EXPORT void
scanrt_dgemm(int32_t transA, int32_t transB, int64_t m, int64_t n, int64_t k,
             double alpha, const double *a, int64_t aOffset, int64_t lda,
             const double *b, int64_t bOffset, int64_t ldb, double beta,
             double *c, int64_t cOffset, int64_t ldc) {
  scanrt::GemmTimer timer(scanrt::GemmEntry::Gemm, true, transA, transB, m,
                          n, k);
  gemm<double>(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset,
               ldb, beta, c, cOffset, ldc, cblas_dgemm);
}

namespace {

/// A right operand packed once for many products (scanrt_*gemm_pack_b).
/// Without the kernel it only remembers the operand, and the products go
/// to BLAS.
struct PackedOperand {
  bool transB;
  int64_t n, k;
  const void *b;
  int64_t ldb;
  /// The packed panels, or null when the products go to BLAS.
  void *panels;
};

template <typename T>
PackedOperand *packOperand(int32_t transB, int64_t n, int64_t k, const T *b,
                           int64_t bOffset, int64_t ldb) {
  auto *operand =
      new PackedOperand{transB != 0, n, k, b + bOffset, ldb, nullptr};
  if (kernelMode() != KernelMode::Never && n > 0 && k > 0)
    operand->panels = packNew<T>(operand->transB, n, k, b + bOffset, ldb);
  return operand;
}

template <typename T, typename Blas>
void packedGemm(int32_t transA, int64_t m, int64_t n, int64_t k, T alpha,
                const T *a, int64_t aOffset, int64_t lda, void *handle,
                T beta, T *c, int64_t cOffset, int64_t ldc, Blas blas) {
  auto *operand = static_cast<PackedOperand *>(handle);
  if (m <= 0 || n <= 0)
    return;
  if (!operand->panels || operand->n != n || operand->k != k) {
    // Not packed (no kernel, an empty operand, or an allocation failure):
    // the operand was not written since, so BLAS can read it.
    gemm<T>(transA, operand->transB, m, n, k, alpha, a, aOffset, lda,
            static_cast<const T *>(operand->b), 0, operand->ldb, beta, c,
            cOffset, ldc, blas);
    return;
  }
  runPackedGemm<T>({transA != 0, m, n, k, alpha, a + aOffset, lda,
                    static_cast<const T *>(operand->panels), nullptr, 0, beta,
                    c + cOffset, ldc});
}

} // namespace

extern "C" SCANRT_EXPORT void *
scanrt_sgemm_pack_b(int32_t transB, int64_t n, int64_t k, const float *b,
                    int64_t bOffset, int64_t ldb) {
  scanrt::GemmTimer timer(scanrt::GemmEntry::PackB, false, false, transB, 0,
                          n, k);
  return packOperand<float>(transB, n, k, b, bOffset, ldb);
}

extern "C" SCANRT_EXPORT void *
scanrt_dgemm_pack_b(int32_t transB, int64_t n, int64_t k, const double *b,
                    int64_t bOffset, int64_t ldb) {
  scanrt::GemmTimer timer(scanrt::GemmEntry::PackB, true, false, transB, 0,
                          n, k);
  return packOperand<double>(transB, n, k, b, bOffset, ldb);
}

extern "C" SCANRT_EXPORT void
scanrt_sgemm_packed(int32_t transA, int64_t m, int64_t n, int64_t k,
                    float alpha, const float *a, int64_t aOffset, int64_t lda,
                    void *packedB, float beta, float *c, int64_t cOffset,
                    int64_t ldc) {
  scanrt::GemmTimer timer(scanrt::GemmEntry::Packed, false, transA,
                          static_cast<PackedOperand *>(packedB)->transB, m,
                          n, k);
  packedGemm<float>(transA, m, n, k, alpha, a, aOffset, lda, packedB, beta, c,
                    cOffset, ldc, cblas_sgemm);
}

extern "C" SCANRT_EXPORT void
scanrt_dgemm_packed(int32_t transA, int64_t m, int64_t n, int64_t k,
                    double alpha, const double *a, int64_t aOffset,
                    int64_t lda, void *packedB, double beta, double *c,
                    int64_t cOffset, int64_t ldc) {
  scanrt::GemmTimer timer(scanrt::GemmEntry::Packed, true, transA,
                          static_cast<PackedOperand *>(packedB)->transB, m,
                          n, k);
  packedGemm<double>(transA, m, n, k, alpha, a, aOffset, lda, packedB, beta,
                     c, cOffset, ldc, cblas_dgemm);
}

extern "C" SCANRT_EXPORT void scanrt_gemm_pack_free(void *packedB) {
  auto *operand = static_cast<PackedOperand *>(packedB);
  if (!operand)
    return;
  if (operand->panels)
    _mlir_memref_to_llvm_free(operand->panels);
  delete operand;
}

extern "C" SCANRT_EXPORT int32_t scanrt_get_num_threads(void) {
  if (kernelMode() == KernelMode::Never)
    return openblas_get_num_threads();
  return scanrt::threadCount();
}

extern "C" SCANRT_EXPORT void scanrt_set_num_threads(int32_t n) {
  if (n <= 0)
    return;
  // The team runs the elementwise loops of lowered code even when no
  // product goes to the kernel.
  openblas_set_num_threads(n);
  scanrt::setThreadCount(n);
}
