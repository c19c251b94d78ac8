//===- GemmKernel.cpp - AVX-512 GEMM on a packed right operand --*- C++ -*-===//
//
// Compiled with -mavx512f -mfma (see CMakeLists.txt). The micro-kernel keeps
// an 8 x NR tile of C in 24 vector registers: per step of the depth loop it
// loads three vectors of the B panel, broadcasts the 8 values of the A
// panel, and issues 24 FMAs.
//
//===----------------------------------------------------------------------===//

#include "GemmKernel.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
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
/// Depth of a block: a B panel of a block (kBlockDepth x NR) stays in L2.
constexpr int64_t kBlockDepth = 512;
/// Bytes of A packed at once when C's rows are split between threads.
constexpr int64_t kRowChunkBytes = 384 * 1024;

template <typename T>
constexpr int64_t tileCols() {
  return Vec<T>::lanes * kTileVectors;
}

template <typename T>
typename Vec<T>::Mask firstLanes(int64_t count) {
  if (count <= 0)
    return 0;
  if (count >= Vec<T>::lanes)
    return static_cast<typename Vec<T>::Mask>(~0u);
  return static_cast<typename Vec<T>::Mask>((1u << count) - 1);
}

/// C tile (rows x cols of kTileRows x NR) = alpha * A * Bp + beta * C, where
/// Bp is a packed depth x NR panel and A is read in place: row i, depth d at
/// a[i * rowStride + d * depthStride] (a packed A tile has strides 1 and
/// kTileRows). Rows past `rows` repeat the last row and are not stored.
template <typename T>
void microKernel(int64_t depth, const T *a, int64_t rowStride,
                 int64_t depthStride, const T *bp, T *c, int64_t ldc,
                 int rows, int64_t cols, T alpha, T beta) {
  using V = Vec<T>;
  using Reg = typename V::Reg;
  constexpr int L = V::lanes;
  const T *rowA[kTileRows];
#pragma GCC unroll 8
  for (int i = 0; i < kTileRows; ++i)
    rowA[i] = a + (i < rows ? i : rows - 1) * rowStride;
  Reg acc[kTileRows][kTileVectors];
#pragma GCC unroll 8
  for (int i = 0; i < kTileRows; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < kTileVectors; ++v)
      acc[i][v] = V::zero();
  for (int64_t d = 0, offset = 0; d < depth; ++d, offset += depthStride) {
    Reg b0 = V::load(bp), b1 = V::load(bp + L), b2 = V::load(bp + 2 * L);
#pragma GCC unroll 8
    for (int i = 0; i < kTileRows; ++i) {
      Reg x = V::broadcast(rowA[i][offset]);
      acc[i][0] = V::fma(x, b0, acc[i][0]);
      acc[i][1] = V::fma(x, b1, acc[i][1]);
      acc[i][2] = V::fma(x, b2, acc[i][2]);
    }
    bp += tileCols<T>();
  }
  typename V::Mask masks[kTileVectors];
  for (int v = 0; v < kTileVectors; ++v)
    masks[v] = firstLanes<T>(cols - int64_t(v) * L);
  Reg alphaV = V::broadcast(alpha), betaV = V::broadcast(beta);
#pragma GCC unroll 8
  for (int i = 0; i < kTileRows; ++i) {
    if (i >= rows)
      break;
    T *row = c + i * ldc;
#pragma GCC unroll 3
    for (int v = 0; v < kTileVectors; ++v) {
      if (!masks[v])
        continue;
      Reg out = V::mul(acc[i][v], alphaV);
      if (beta != T(0))
        out = V::fma(V::maskedLoad(masks[v], row + v * L), betaV, out);
      V::maskedStore(row + v * L, masks[v], out);
    }
  }
}

/// Packs rows [firstRow, endRow) x columns [col, col + depth) of op(A) into
/// tiles of kTileRows rows, each stored depth-major; rows past endRow are 0.
template <typename T>
void packA(bool transA, const T *a, int64_t lda, int64_t firstRow,
           int64_t endRow, int64_t col, int64_t depth, T *dst) {
  for (int64_t tile = firstRow; tile < endRow; tile += kTileRows) {
    int64_t rows = std::min<int64_t>(kTileRows, endRow - tile);
    if (transA) {
      // op(A)(r, c) = a[c * lda + r]: the tile's rows are contiguous.
      for (int64_t d = 0; d < depth; ++d) {
        const T *src = a + (col + d) * lda + tile;
        T *out = dst + d * kTileRows;
        int64_t i = 0;
        for (; i < rows; ++i)
          out[i] = src[i];
        for (; i < kTileRows; ++i)
          out[i] = T(0);
      }
    } else {
      for (int64_t i = 0; i < kTileRows; ++i) {
        if (i >= rows) {
          for (int64_t d = 0; d < depth; ++d)
            dst[d * kTileRows + i] = T(0);
          continue;
        }
        const T *src = a + (tile + i) * lda + col;
        for (int64_t d = 0; d < depth; ++d)
          dst[d * kTileRows + i] = src[d];
      }
    }
    dst += depth * kTileRows;
  }
}

/// Scratch for packed A tiles, one per thread, kept between calls.
template <typename T>
T *scratch(int64_t elements) {
  struct Buffer {
    void *data = nullptr;
    int64_t bytes = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  int64_t bytes = elements * int64_t(sizeof(T));
  if (bytes > buffer.bytes) {
    std::free(buffer.data);
    int64_t rounded = (bytes + 4095) / 4096 * 4096;
    buffer.data = std::aligned_alloc(64, rounded);
    buffer.bytes = buffer.data ? rounded : 0;
  }
  return static_cast<T *>(buffer.data);
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace

template <typename T>
int64_t GemmKernel<T>::panelCount(int64_t n) {
  return ceilDiv(n, tileCols<T>());
}

template <typename T>
int64_t GemmKernel<T>::packedSize(int64_t n, int64_t k) {
  return panelCount(n) * tileCols<T>() * k;
}

template <typename T>
void GemmKernel<T>::packB(bool transB, int64_t n, int64_t k, const T *b,
                          int64_t ldb, T *packed, int64_t firstPanel,
                          int64_t lastPanel) {
  constexpr int64_t NR = tileCols<T>();
  int64_t panels = panelCount(n);
  for (int64_t block = 0; block < k; block += kBlockDepth) {
    int64_t depth = std::min(kBlockDepth, k - block);
    T *blockStart = packed + block * panels * NR;
    for (int64_t p = firstPanel; p < lastPanel; ++p) {
      T *dst = blockStart + p * depth * NR;
      int64_t col = p * NR;
      int64_t cols = std::min(NR, n - col);
      if (transB) {
        // op(B)(r, c) = b[c * ldb + r]: each column is contiguous.
        for (int64_t j = 0; j < NR; ++j) {
          if (j >= cols) {
            for (int64_t d = 0; d < depth; ++d)
              dst[d * NR + j] = T(0);
            continue;
          }
          const T *src = b + (col + j) * ldb + block;
          for (int64_t d = 0; d < depth; ++d)
            dst[d * NR + j] = src[d];
        }
      } else {
        for (int64_t d = 0; d < depth; ++d) {
          const T *src = b + (block + d) * ldb + col;
          std::memcpy(dst + d * NR, src, cols * sizeof(T));
          std::fill(dst + d * NR + cols, dst + (d + 1) * NR, T(0));
        }
      }
    }
  }
}

template <typename T>
void GemmKernel<T>::multiply(const PackedGemmArgs<T> &g, int part,
                             int parts) {
  constexpr int64_t NR = tileCols<T>();
  const int64_t panels = panelCount(g.n);
  const int64_t rowTiles = ceilDiv(g.m, kTileRows);
  // Each depth block after the first adds to what the earlier ones wrote.
  auto blockScale = [&](int64_t block) { return block ? T(1) : g.beta; };
  auto tile = [&](const T *ap, int64_t rowStride, int64_t depthStride,
                  const T *blockB, int64_t depth, int64_t row, int64_t panel,
                  T beta) {
    microKernel<T>(depth, ap, rowStride, depthStride,
                   blockB + panel * depth * NR,
                   g.c + row * g.ldc + panel * NR, g.ldc,
                   static_cast<int>(std::min<int64_t>(kTileRows, g.m - row)),
                   std::min(NR, g.n - panel * NR), g.alpha, beta);
  };

  const int64_t chunkRows = std::max<int64_t>(
      kTileRows, kRowChunkBytes / int64_t(sizeof(T)) / kBlockDepth /
                     kTileRows * kTileRows);
  if (g.m > chunkRows) {
    // Many rows (a product over all steps): each part takes a band of rows,
    // packed a chunk at a time, against every panel.
    int64_t firstTile = rowTiles * part / parts;
    int64_t endTile = rowTiles * (part + 1) / parts;
    int64_t firstRow = firstTile * kTileRows;
    int64_t endRow = std::min(g.m, endTile * kTileRows);
    T *ap = scratch<T>(chunkRows * kBlockDepth);
    for (int64_t block = 0; block < g.k; block += kBlockDepth) {
      int64_t depth = std::min(kBlockDepth, g.k - block);
      const T *blockB = g.packedB + block * panels * NR;
      for (int64_t chunk = firstRow; chunk < endRow; chunk += chunkRows) {
        int64_t chunkEnd = std::min(endRow, chunk + chunkRows);
        packA<T>(g.transA, g.a, g.lda, chunk, chunkEnd, block, depth, ap);
        for (int64_t p = 0; p < panels; ++p)
          for (int64_t row = chunk; row < chunkEnd; row += kTileRows)
            tile(ap + (row - chunk) * depth, 1, kTileRows, blockB, depth, row,
                 p, blockScale(block));
      }
    }
    return;
  }

  // Few rows (one step of a batch): A is read in place, and the (panel,
  // row tile) pairs are split evenly between the parts.
  int64_t tiles = panels * rowTiles;
  int64_t firstPair = tiles * part / parts;
  int64_t endPair = tiles * (part + 1) / parts;
  int64_t rowStride = g.transA ? 1 : g.lda;
  int64_t depthStride = g.transA ? g.lda : 1;
  for (int64_t block = 0; block < g.k; block += kBlockDepth) {
    int64_t depth = std::min(kBlockDepth, g.k - block);
    const T *blockB = g.packedB + block * panels * NR;
    const T *blockA = g.a + block * depthStride;
    for (int64_t pair = firstPair; pair < endPair; ++pair) {
      int64_t p = pair / rowTiles, row = pair % rowTiles * kTileRows;
      tile(blockA + row * rowStride, rowStride, depthStride, blockB, depth,
           row, p, blockScale(block));
    }
  }
}

template struct GemmKernel<float>;
template struct GemmKernel<double>;

} // namespace scanrt
