//===- GemmKernel.h - AVX-512 GEMM on a packed right operand ----*- C++ -*-===//
//
// The runtime's own GEMM for the shapes of recurrent networks: a few dozen
// rows (the batch) times a weight matrix that stays the same on every step
// of a loop. BLAS packs the weight into its cache-friendly layout on every
// call; here the weight is packed once (scanrt_*gemm_pack_b) and the left
// operand is never packed. Products without a packed operand read B in
// place or have it packed per call (CPURuntime.cpp).
//
// Layout of a packed op(B) (k x n): depth blocks of kBlockDepth rows; each
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

/// C[m x n] = alpha * op(A) * B + beta * C, row-major. op(A) is read in
/// place (a, lda, transA), or from packedA (GemmKernel::packA) when that is
/// set. B is packed (packedB), or, when packedB is null, read in place: B
/// itself (not transposed) at b with leading dimension ldb.
template <typename T>
struct PackedGemmArgs {
  bool transA;
  int64_t m, n, k;
  T alpha;
  const T *a;
  int64_t lda;
  const T *packedA;
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
  /// Elements a packed op(A) of m x k takes.
  static int64_t packedSizeA(int64_t m, int64_t k);
  /// Row tiles of a packed op(A) with m rows.
  static int64_t tileCountA(int64_t m);
  /// Packs row tiles [firstTile, lastTile) of op(A) (m x k; A stored k x m
  /// when transA) into `packed` (packedSizeA(m, k) elements): depth blocks
  /// as for B, each holding its row tiles one after another, a tile being
  /// its depth steps of kTileRows elements. The micro-kernel then reads one
  /// contiguous stream of A where in place it reads a row per tile row, or
  /// (transposed) one cache line and page per depth step.
  static void packA(bool transA, int64_t m, int64_t k, const T *a,
                    int64_t lda, T *packed, int64_t firstTile,
                    int64_t lastTile);
  /// Computes part `part` of `parts` of the product (disjoint parts of C;
  /// running every part gives all of it). Requires m, n, k >= 1.
  static void multiply(const PackedGemmArgs<T> &args, int part, int parts);
};

extern template struct GemmKernel<float>;
extern template struct GemmKernel<double>;

} // namespace scanrt

#endif // SCAN_RUNTIME_GEMMKERNEL_H
