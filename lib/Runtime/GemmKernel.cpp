//===- GemmKernel.cpp - AVX-512 GEMM on a packed right operand --*- C++ -*-===//
//
// Compiled with -mavx512f -mfma -mprfchw (see CMakeLists.txt). The
// micro-kernel keeps an 8 x NR tile of C in 24 vector registers: per step of
// the depth loop it loads three vectors of the B panel, broadcasts the 8
// values of the A panel, and issues 24 FMAs.
//
//===----------------------------------------------------------------------===//

#include "GemmKernel.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace scanrt {
namespace {

template <typename T>
struct Vec;

template <>
struct Vec<float> {
  using Reg = __m512;
  using Mask = __mmask16;
  static constexpr int lanes = 16;
  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg load(const float *p) { return _mm512_load_ps(p); }
  static Reg loadu(const float *p) { return _mm512_loadu_ps(p); }
  static void store(float *p, Reg v) { _mm512_store_ps(p, v); }
  static Reg broadcast(float x) { return _mm512_set1_ps(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg maskedLoad(Mask m, const float *p) {
    return _mm512_maskz_loadu_ps(m, p);
  }
  static void maskedStore(float *p, Mask m, Reg v) {
    _mm512_mask_storeu_ps(p, m, v);
  }
};

template <>
struct Vec<double> {
  using Reg = __m512d;
  using Mask = __mmask8;
  static constexpr int lanes = 8;
  static Reg zero() { return _mm512_setzero_pd(); }
  static Reg load(const double *p) { return _mm512_load_pd(p); }
  static Reg loadu(const double *p) { return _mm512_loadu_pd(p); }
  static void store(double *p, Reg v) { _mm512_store_pd(p, v); }
  static Reg broadcast(double x) { return _mm512_set1_pd(x); }
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_pd(a, b, c); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_pd(a, b); }
  static Reg maskedLoad(Mask m, const double *p) {
    return _mm512_maskz_loadu_pd(m, p);
  }
  static void maskedStore(double *p, Mask m, Reg v) {
    _mm512_mask_storeu_pd(p, m, v);
  }
};

/// Rows of the register tile.
constexpr int kTileRows = 8;
/// Vectors across the register tile.
constexpr int kTileVectors = 3;
/// Depth of a block: a B panel of a block (kBlockDepth x NR, 192 KiB for
/// f32) stays in L2. A recurrence's k = 1000 step product is then one block,
/// and C is written once instead of read back and written again for a second
/// block: 512 against 1024, side by side in loops of 50 step products,
/// 80x1000x1000 went from 215-218 to 222-223 GFLOP/s, 8x1000x1000 from
/// 185-191 to 197-203, and the 1000x2000x4000 weight gradient from 217-220
/// to 221-222. Deeper blocks (2048) did no better on most shapes.
constexpr int64_t kBlockDepth = 1024;
/// Bytes of A (a chunk of rows, one depth block deep) that each core keeps
/// in its L2 while it sweeps its B panels.
constexpr int64_t kRowChunkBytes = 384 * 1024;

template <typename T>
constexpr int64_t tileCols() {
  return Vec<T>::lanes * kTileVectors;
}

/// Depth of the blocks of a packed op(B) of depth k: one block up to twice
/// kBlockDepth, so that a 2000-deep merged step product (a GRU's backward
/// dh) writes C once. Loops of 50 step products, side by side: 80x1000x2000
/// 226 -> 227 GFLOP/s, 8x1000x2000 207-210 -> 209-212. The rows of C are
/// then taken in smaller chunks, so that a chunk of A stays in L2.
int64_t packedBlockDepth(int64_t k) {
  return k <= 2 * kBlockDepth ? std::max<int64_t>(k, 1) : kBlockDepth;
}

/// Rows of C taken at a time (a multiple of kTileRows) for blocks `depth`
/// deep.
template <typename T>
constexpr int64_t rowChunk(int64_t depth = kBlockDepth) {
  return std::max<int64_t>(kTileRows, kRowChunkBytes / int64_t(sizeof(T)) /
                                          depth / kTileRows * kTileRows);
}

template <typename T>
typename Vec<T>::Mask firstLanes(int64_t count) {
  if (count <= 0)
    return 0;
  if (count >= Vec<T>::lanes)
    return static_cast<typename Vec<T>::Mask>(~0u);
  return static_cast<typename Vec<T>::Mask>((1u << count) - 1);
}

/// C tile (rows x cols of kTileRows x kVectors vectors) = alpha * A * Bp +
/// beta * C, where Bp is a depth x (kVectors vectors) slice of a panel, row
/// d at bp + d * bStride (packed: bStride = NR, zero-padded past `cols`; in
/// place: B's leading dimension), and A is read in place: row i, depth d at
/// a[i * rowStride + d * depthStride]. Rows past `rows` repeat the last row
/// and are not stored. kMaskB: read only the first `cols` columns of each B
/// row (an in-place panel at B's edge). A full tile is three vectors wide;
/// narrower ones compute the slices of a panel that are split between parts.
template <typename T, bool kMaskB, int kVectors>
void microKernel(int64_t depth, const T *a, int64_t rowStride,
                 int64_t depthStride, const T *bp, int64_t bStride, T *c,
                 int64_t ldc, int rows, int64_t cols, T alpha, T beta) {
  using V = Vec<T>;
  using Reg = typename V::Reg;
  constexpr int L = V::lanes;
  typename V::Mask masks[kVectors];
  for (int v = 0; v < kVectors; ++v)
    masks[v] = firstLanes<T>(cols - int64_t(v) * L);
  const T *rowA[kTileRows];
#pragma GCC unroll 8
  for (int i = 0; i < kTileRows; ++i)
    rowA[i] = a + (i < rows ? i : rows - 1) * rowStride;
  // Fetch the tile of C for writing now, while the depth loop computes:
  // C is often memory no step has touched yet (a slice of a stacked
  // per-step output), and a store that misses stalls the loop's end. Only
  // the vectors the tile stores, so every address lies in C.
  for (int i = 0; i < rows; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v)
      if (masks[v])
        __builtin_prefetch(c + i * ldc + v * L, /*rw=*/1, /*locality=*/3);
  Reg acc[kTileRows][kVectors];
#pragma GCC unroll 8
  for (int i = 0; i < kTileRows; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v)
      acc[i][v] = V::zero();
  for (int64_t d = 0, offset = 0; d < depth; ++d, offset += depthStride) {
    // A transposed (a weight gradient's X^T) reads one cache line per depth
    // step, each a leading dimension apart, usually from memory: fetch it
    // 32 steps ahead (cold 1000x1000x4000 products: 200-216 GFLOP/s
    // without, 212-221 with, side by side). The address is computed as an
    // integer: near A's end it points past it, which a prefetch may do.
    if (depthStride != 1)
      __builtin_prefetch(
          reinterpret_cast<const void *>(
              reinterpret_cast<uintptr_t>(rowA[0] + offset) +
              uintptr_t(32 * depthStride) * sizeof(T)),
          /*rw=*/0, /*locality=*/3);
    Reg b[kVectors];
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v)
      b[v] = kMaskB ? V::maskedLoad(masks[v], bp + v * L) : V::loadu(bp + v * L);
#pragma GCC unroll 8
    for (int i = 0; i < kTileRows; ++i) {
      Reg x = V::broadcast(rowA[i][offset]);
#pragma GCC unroll 3
      for (int v = 0; v < kVectors; ++v)
        acc[i][v] = V::fma(x, b[v], acc[i][v]);
    }
    bp += bStride;
  }
  Reg alphaV = V::broadcast(alpha), betaV = V::broadcast(beta);
#pragma GCC unroll 8
  for (int i = 0; i < kTileRows; ++i) {
    if (i >= rows)
      break;
    T *row = c + i * ldc;
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v) {
      if (!masks[v])
        continue;
      Reg out = V::mul(acc[i][v], alphaV);
      if (beta != T(0))
        out = V::fma(V::maskedLoad(masks[v], row + v * L), betaV, out);
      V::maskedStore(row + v * L, masks[v], out);
    }
  }
}

template <typename T>
using MicroKernel = void (*)(int64_t, const T *, int64_t, int64_t, const T *,
                             int64_t, T *, int64_t, int, int64_t, T, T);

/// The micro-kernel for a slice `vectors` (1..kTileVectors) wide.
template <typename T>
MicroKernel<T> selectKernel(bool maskB, int vectors) {
  static const MicroKernel<T> kernels[2][kTileVectors] = {
      {microKernel<T, false, 1>, microKernel<T, false, 2>,
       microKernel<T, false, 3>},
      {microKernel<T, true, 1>, microKernel<T, true, 2>,
       microKernel<T, true, 3>}};
  return kernels[maskB][vectors - 1];
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace

template <typename T>
int64_t GemmKernel<T>::panelCount(int64_t n) {
  return ceilDiv(n, tileCols<T>());
}

template <typename T>
int64_t GemmKernel<T>::blockDepth() {
  return kBlockDepth;
}

template <typename T>
bool GemmKernel<T>::readBInPlace(int64_t m) {
  return m <= rowChunk<T>();
}

template <typename T>
int64_t GemmKernel<T>::packedSize(int64_t n, int64_t k) {
  return panelCount(n) * tileCols<T>() * k;
}

namespace {

/// Copies `depth` rows of `cols` (<= NR) elements, row d at src + d * ldb,
/// into a panel of NR-element rows, zero-padding each row past `cols`.
template <typename T>
void packRows(const T *src, int64_t ldb, int64_t depth, int64_t cols,
              T *dst) {
  using V = Vec<T>;
  constexpr int L = V::lanes;
  typename V::Mask masks[kTileVectors];
  for (int v = 0; v < kTileVectors; ++v)
    masks[v] = firstLanes<T>(cols - int64_t(v) * L);
  for (int64_t d = 0; d < depth; ++d, src += ldb, dst += tileCols<T>())
#pragma GCC unroll 3
    for (int v = 0; v < kTileVectors; ++v)
      V::store(dst + v * L, V::maskedLoad(masks[v], src + v * L));
}

// GCC 12 warns that the unpack and shuffle intrinsics read an undefined
// pass-through operand, which they never do.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

/// Transposes a 16 x 16 float tile: row r of `out` is column r of `in`.
void transpose16(__m512 in[16], __m512 out[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(in[i], in[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(in[i], in[i + 1]);
  }
  // Pairs of 64-bit elements (two columns of two rows) between row pairs.
  for (int i = 0; i < 16; i += 4) {
    __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
    __m512d c = _mm512_castps_pd(t[i + 2]), d = _mm512_castps_pd(t[i + 3]);
    in[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    in[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    in[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    in[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // Now in[4q + s] holds, in each 128-bit lane l, column 4l + s of rows
  // 4q..4q+3. Gather the lanes: first pairs of quads, then the halves.
  for (int s = 0; s < 4; ++s) {
    __m512 q0 = in[s], q1 = in[4 + s], q2 = in[8 + s], q3 = in[12 + s];
    __m512 lo01 = _mm512_shuffle_f32x4(q0, q1, 0x88); // lanes 0,2 | 0,2
    __m512 hi01 = _mm512_shuffle_f32x4(q0, q1, 0xdd); // lanes 1,3 | 1,3
    __m512 lo23 = _mm512_shuffle_f32x4(q2, q3, 0x88);
    __m512 hi23 = _mm512_shuffle_f32x4(q2, q3, 0xdd);
    out[s] = _mm512_shuffle_f32x4(lo01, lo23, 0x88);      // lane 0
    out[8 + s] = _mm512_shuffle_f32x4(lo01, lo23, 0xdd);  // lane 2
    out[4 + s] = _mm512_shuffle_f32x4(hi01, hi23, 0x88);  // lane 1
    out[12 + s] = _mm512_shuffle_f32x4(hi01, hi23, 0xdd); // lane 3
  }
}

#pragma GCC diagnostic pop

/// Packs `cols` (<= NR) columns of op(B) = B^T, column j contiguous at
/// src + j * ldb, `depth` deep, into a panel (zero-padded past `cols`).
template <typename T>
void packColumns(const T *src, int64_t ldb, int64_t depth, int64_t cols,
                 T *dst) {
  constexpr int64_t NR = tileCols<T>();
  int64_t d = 0;
  if constexpr (sizeof(T) == sizeof(float)) {
    // 16 x 16 tiles through registers: 16 columns, 16 deep at a time.
    for (; d + 16 <= depth; d += 16) {
      for (int64_t j0 = 0; j0 < NR; j0 += 16) {
        __m512 in[16], out[16];
        for (int j = 0; j < 16; ++j)
          in[j] = j0 + j < cols ? _mm512_loadu_ps(src + (j0 + j) * ldb + d)
                                : _mm512_setzero_ps();
        transpose16(in, out);
        for (int r = 0; r < 16; ++r)
          _mm512_store_ps(dst + (d + r) * NR + j0, out[r]);
      }
    }
  }
  for (; d < depth; ++d)
    for (int64_t j = 0; j < NR; ++j)
      dst[d * NR + j] = j < cols ? src[j * ldb + d] : T(0);
}

} // namespace

template <typename T>
void GemmKernel<T>::packB(bool transB, int64_t n, int64_t k, const T *b,
                          int64_t ldb, T *packed, int64_t firstPanel,
                          int64_t lastPanel) {
  constexpr int64_t NR = tileCols<T>();
  int64_t panels = panelCount(n);
  const int64_t blockDepth = packedBlockDepth(k);
  for (int64_t block = 0; block < k; block += blockDepth) {
    int64_t depth = std::min(blockDepth, k - block);
    T *blockStart = packed + block * panels * NR;
    for (int64_t p = firstPanel; p < lastPanel; ++p) {
      int64_t col = p * NR;
      int64_t cols = std::min(NR, n - col);
      T *dst = blockStart + p * depth * NR;
      if (transB)
        packColumns<T>(b + col * ldb + block, ldb, depth, cols, dst);
      else
        packRows<T>(b + block * ldb + col, ldb, depth, cols, dst);
    }
  }
}

template <typename T>
void GemmKernel<T>::multiply(const PackedGemmArgs<T> &g, int part,
                             int parts) {
  constexpr int64_t NR = tileCols<T>();
  constexpr int L = Vec<T>::lanes;
  const int64_t panels = panelCount(g.n);
  // Vectors of the last panel that hold columns of C.
  const int64_t lastPanelVectors = ceilDiv(g.n - (panels - 1) * NR, L);
  // Row i, depth d of op(A) is at a[i * rowStride + d * depthStride].
  const int64_t rowStride = g.transA ? 1 : g.lda;
  const int64_t depthStride = g.transA ? g.lda : 1;
  // A packed B comes in blocks of packedBlockDepth(k); one read in place,
  // in blocks of kBlockDepth.
  const int64_t blockDepth = g.packedB ? packedBlockDepth(g.k) : kBlockDepth;
  const int64_t chunkRows = rowChunk<T>(blockDepth);
  // Rows are taken a chunk at a time. Within a chunk, the work is the slices
  // (panel, row tile, vector of the panel), ordered panel-major so that a
  // part streams each of its B panels once per chunk and depth block; they
  // are split evenly between the parts. One vector, not a whole panel, is
  // the unit because a few rows (a small batch) make only a few dozen
  // panel-wide tiles, too coarse to share evenly; the (panel, row tile) at
  // either end of a part's share may be computed by a narrower kernel.
  for (int64_t chunk = 0; chunk < g.m; chunk += chunkRows) {
    int64_t chunkTiles = ceilDiv(std::min(chunkRows, g.m - chunk), kTileRows);
    int64_t panelSlices = chunkTiles * kTileVectors;
    int64_t slices = (panels - 1) * panelSlices + chunkTiles * lastPanelVectors;
    int64_t firstSlice = slices * part / parts;
    int64_t endSlice = slices * (part + 1) / parts;
    for (int64_t block = 0; block < g.k; block += blockDepth) {
      int64_t depth = std::min(blockDepth, g.k - block);
      const T *blockA = g.a + block * depthStride;
      // Each depth block after the first adds to what the earlier ones wrote.
      T beta = block ? T(1) : g.beta;
      for (int64_t slice = firstSlice; slice < endSlice;) {
        int64_t p = std::min(slice / panelSlices, panels - 1);
        int64_t vectors = p == panels - 1 ? lastPanelVectors : kTileVectors;
        int64_t inPanel = slice - p * panelSlices;
        int64_t row = chunk + inPanel / vectors * kTileRows;
        int64_t firstVector = inPanel % vectors;
        int64_t endVector =
            std::min(vectors, firstVector + (endSlice - slice));
        slice += endVector - firstVector;
        int rows = static_cast<int>(std::min<int64_t>(kTileRows, g.m - row));
        int64_t col = p * NR + firstVector * L;
        int64_t cols = std::min((endVector - firstVector) * L, g.n - col);
        // The slice: packed (zero-padded), or B's own rows, of which an
        // edge slice may read only the first `cols` columns.
        const T *bp = g.packedB ? g.packedB + block * panels * NR +
                                      p * depth * NR + firstVector * L
                                : g.b + block * g.ldb + col;
        int64_t bStride = g.packedB ? NR : g.ldb;
        int width = static_cast<int>(endVector - firstVector);
        bool maskB = !g.packedB && cols < width * L;
        selectKernel<T>(maskB, width)(depth, blockA + row * rowStride,
                                      rowStride, depthStride, bp, bStride,
                                      g.c + row * g.ldc + col, g.ldc, rows,
                                      cols, g.alpha, beta);
      }
    }
  }
}

template struct GemmKernel<float>;
template struct GemmKernel<double>;

} // namespace scanrt
