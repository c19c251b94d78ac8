//===- scanrt-gemm-check.cpp - Checks the runtime's GEMM entries -*- C++ -*-===//
//
// Compares scanrt_sgemm/dgemm and the packed-operand entries against a
// reference product in long double, over transposes, alpha and beta, views
// with offsets and padded leading dimensions, sizes around the kernel's
// tile and block edges, and several thread counts. Prints one line per
// mismatch and a summary; exits 1 when anything differs.
//
// Usage: scanrt-gemm-check [--quick]
//
//===----------------------------------------------------------------------===//

#include "scan/Runtime/CPURuntime.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

struct Shape {
  int64_t m, n, k;
};

struct Case {
  Shape shape;
  bool transA, transB;
  double alpha, beta;
  int64_t padA, padB, padC; // extra leading-dimension elements
  int64_t offset;           // elements before each matrix
  bool packed;
};

template <typename T>
struct Blas;
template <>
struct Blas<float> {
  static constexpr const char *name = "f32";
  static constexpr double tolerance = 2e-6;
  static void gemm(const Case &c, const float *a, int64_t lda, const float *b,
                   int64_t ldb, float *out, int64_t ldc) {
    const Shape &s = c.shape;
    if (c.packed) {
      void *p = scanrt_sgemm_pack_b(c.transB, s.n, s.k, b, c.offset, ldb);
      scanrt_sgemm_packed(c.transA, s.m, s.n, s.k, float(c.alpha), a,
                          c.offset, lda, p, float(c.beta), out, c.offset, ldc);
      scanrt_gemm_pack_free(p);
      return;
    }
    scanrt_sgemm(c.transA, c.transB, s.m, s.n, s.k, float(c.alpha), a,
                 c.offset, lda, b, c.offset, ldb, float(c.beta), out,
                 c.offset, ldc);
  }
};
template <>
struct Blas<double> {
  static constexpr const char *name = "f64";
  static constexpr double tolerance = 1e-14;
  static void gemm(const Case &c, const double *a, int64_t lda,
                   const double *b, int64_t ldb, double *out, int64_t ldc) {
    const Shape &s = c.shape;
    if (c.packed) {
      void *p = scanrt_dgemm_pack_b(c.transB, s.n, s.k, b, c.offset, ldb);
      scanrt_dgemm_packed(c.transA, s.m, s.n, s.k, c.alpha, a, c.offset, lda,
                          p, c.beta, out, c.offset, ldc);
      scanrt_gemm_pack_free(p);
      return;
    }
    scanrt_dgemm(c.transA, c.transB, s.m, s.n, s.k, c.alpha, a, c.offset, lda,
                 b, c.offset, ldb, c.beta, out, c.offset, ldc);
  }
};

/// Runs one case; returns false (after printing it) on a mismatch.
template <typename T>
bool check(const Case &c, std::mt19937_64 &rng) {
  const Shape &s = c.shape;
  std::normal_distribution<double> normal(0.0, 1.0);
  // Stored shapes of A (m x k, or k x m) and B (k x n, or n x k).
  int64_t aRows = c.transA ? s.k : s.m, aCols = c.transA ? s.m : s.k;
  int64_t bRows = c.transB ? s.n : s.k, bCols = c.transB ? s.k : s.n;
  int64_t lda = aCols + c.padA, ldb = bCols + c.padB, ldc = s.n + c.padC;
  std::vector<T> a(c.offset + aRows * lda + 1), b(c.offset + bRows * ldb + 1),
      out(c.offset + s.m * ldc + 1);
  for (T &v : a)
    v = T(normal(rng));
  for (T &v : b)
    v = T(normal(rng));
  for (T &v : out)
    v = T(normal(rng));
  std::vector<T> before = out;
  // With beta == 0, C must not be read: NaN there would show.
  if (c.beta == 0.0)
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j)
        out[c.offset + i * ldc + j] = std::numeric_limits<T>::quiet_NaN();
  Blas<T>::gemm(c, a.data(), lda, b.data(), ldb, out.data(), ldc);

  auto at = [&](const std::vector<T> &m, int64_t ld, bool trans, int64_t r,
                int64_t col) {
    return trans ? m[c.offset + col * ld + r] : m[c.offset + r * ld + col];
  };
  double worst = 0;
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      long double sum = 0, magnitude = 0;
      for (int64_t l = 0; l < s.k; ++l) {
        long double p = (long double)at(a, lda, c.transA, i, l) *
                        (long double)at(b, ldb, c.transB, l, j);
        sum += p;
        magnitude += std::fabs(p);
      }
      long double old = before[c.offset + i * ldc + j];
      long double expected = c.alpha * sum + (c.beta == 0 ? 0 : c.beta * old);
      long double scale = std::fabs(c.alpha) * magnitude +
                          std::fabs(c.beta) * std::fabs(old) + 1e-30;
      long double got = out[c.offset + i * ldc + j];
      double error = std::isfinite((double)got)
                         ? double(std::fabs(got - expected) / scale)
                         : std::numeric_limits<double>::infinity();
      if (error > worst)
        worst = error;
    }
  // Elements outside C (padding, before the offset) must be untouched.
  bool outside = true;
  for (int64_t e = 0; e < int64_t(out.size()); ++e) {
    int64_t rel = e - c.offset;
    bool inC = rel >= 0 && rel / ldc < s.m && rel % ldc < s.n;
    if (!inC && !(out[e] == before[e]))
      outside = false;
  }
  if (worst <= Blas<T>::tolerance * std::sqrt(double(s.k) + 1) && outside)
    return true;
  std::printf("MISMATCH %s m=%lld n=%lld k=%lld transA=%d transB=%d "
              "alpha=%g beta=%g pads=%lld,%lld,%lld offset=%lld packed=%d "
              "threads=%d: relative error %g%s\n",
              Blas<T>::name, (long long)s.m, (long long)s.n, (long long)s.k,
              c.transA, c.transB, c.alpha, c.beta, (long long)c.padA,
              (long long)c.padB, (long long)c.padC, (long long)c.offset,
              c.packed, scanrt_get_num_threads(), worst,
              outside ? "" : ", wrote outside C");
  return false;
}

} // namespace

int main(int argc, char **argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  // Sizes at the edges of the kernel's 8-row tiles, 48/24-column panels and
  // 1024-deep blocks, a batch-sized product and one with many rows; small
  // batches large enough to be split between threads, whose shares then
  // end inside a panel (its last vector partly or wholly padding); a
  // product of more than a row chunk (96 rows for f32, 48 for f64) ending
  // inside a row tile.
  std::vector<Shape> shapes = {
      {1, 1, 1},     {3, 5, 7},      {8, 48, 16},    {9, 49, 17},
      {7, 47, 1023}, {16, 24, 1024},  {17, 25, 1025}, {80, 100, 64},
      {80, 130, 70}, {5, 300, 3},    {200, 40, 33},  {250, 97, 130},
      {64, 64, 64},  {1, 200, 600},  {300, 7, 5},    {2, 3, 0},
      {200, 60, 1030}, {8, 1000, 300}, {5, 1010, 410}, {12, 530, 400},
      {203, 70, 700}};
  if (!quick) {
    shapes.push_back({80, 1000, 1000});
    shapes.push_back({1000, 120, 1100});
  }
  std::mt19937_64 rng(1234);
  int cases = 0, mismatches = 0;
  for (int threads : {1, 2, 3}) {
    scanrt_set_num_threads(threads);
    int variant = 0;
    for (const Shape &s : shapes) {
      for (int trans = 0; trans < 4; ++trans) {
        for (bool packed : {false, true}) {
          ++variant;
          Case c{s,
                 (trans & 1) != 0,
                 (trans & 2) != 0,
                 variant % 3 == 0 ? 0.5 : 1.0,
                 variant % 4 == 0 ? 0.0 : (variant % 4 == 1 ? 1.0 : -2.0),
                 variant % 2 ? 3 : 0,
                 variant % 5 == 0 ? 16 : 0,
                 variant % 3 == 1 ? 5 : 0,
                 variant % 7,
                 packed};
          bool big = s.m * s.n * s.k > 2000000;
          if (big && (threads == 3 || trans == 3))
            continue;
          ++cases;
          mismatches += !check<float>(c, rng);
          ++cases;
          mismatches += !check<double>(c, rng);
        }
      }
    }
  }
  std::printf("scanrt-gemm-check: %d products, %d mismatches\n", cases,
              mismatches);
  return mismatches ? 1 : 0;
}
