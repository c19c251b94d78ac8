//===- GemmKernel.h - AVX-512 GEMM on a packed right operand ----*- C++ -*-===//
//
// The runtime's own GEMM for the shapes of recurrent networks: a few dozen
// rows (the batch) times a weight matrix that stays the same on every step
// of a loop. BLAS packs the weight into its cache-friendly layout on every
// call; here the weight is packed once (scanrt_*gemm_pack_b) and the left
// operand is never packed. Products without a packed operand read B in
// place or have it packed per call (CPURuntime.cpp).
//
// Layout of a packed op(B) (k x n): depth blocks of kBlockDepth rows (one
// block where k is at most twice that, GemmKernel.cpp); each
// block holds the column panels of NR columns one after another, a panel
// being its rows of NR elements (zero-padded past n).
//
// Everything declared here uses AVX-512F: call it only where the CPU has it
// (see readKernelMode in CPURuntime.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNTIME_GEMMKERNEL_H
#define SCAN_RUNTIME_GEMMKERNEL_H

#include <cstdint>

namespace scanrt {

/// C[m x n] = alpha * op(A) * B + beta * C, row-major. B is packed
/// (packedB), or, when packedB is null, read in place: B itself (not
/// transposed) at b with leading dimension ldb.
template <typename T>
struct PackedGemmArgs {
  bool transA;
  int64_t m, n, k;
  T alpha;
  const T *a;
  int64_t lda;
  const T *packedB;
  const T *b;
  int64_t ldb;
  T beta;
  T *c;
  int64_t ldc;
};

template <typename T>
struct GemmKernel {
  /// Whether a product with m rows that would pack op(B) just for itself
  /// runs faster reading B in place (possible when B is not transposed):
  /// with few rows each part reads every B panel once, so packing only adds
  /// a pass over B; with many rows the packed panels are read again for
  /// each chunk of rows.
  static bool readBInPlace(int64_t m);
  /// Depth of the blocks of a packed op(B).
  static int64_t blockDepth();
  /// Elements a packed op(B) of k x n takes.
  static int64_t packedSize(int64_t n, int64_t k);
  /// Column panels of a packed op(B) with n columns.
  static int64_t panelCount(int64_t n);
  /// Packs column panels [firstPanel, lastPanel) of op(B) (k x n; B stored
  /// n x k when transB) into `packed`, which has packedSize(n, k) elements.
  static void packB(bool transB, int64_t n, int64_t k, const T *b,
                    int64_t ldb, T *packed, int64_t firstPanel,
                    int64_t lastPanel);
  /// Computes part `part` of `parts` of the product (disjoint parts of C;
  /// running every part gives all of it). Requires m, n, k >= 1.
  static void multiply(const PackedGemmArgs<T> &args, int part, int parts);
};

extern template struct GemmKernel<float>;
extern template struct GemmKernel<double>;

} // namespace scanrt

#endif // SCAN_RUNTIME_GEMMKERNEL_H
