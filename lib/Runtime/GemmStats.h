//===- GemmStats.h - Per-shape times of the GEMM entry points ---*- C++ -*-===//
//
// With SCANRT_GEMM_STATS set (to anything but "0") in the environment, the
// runtime counts and times its GEMM entry points per shape and prints one
// line per shape to stderr when the process exits: how much of a program's
// time its products take, and at what rate, without a profiler. Off, a
// timed call costs one test of a flag read once.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNTIME_GEMMSTATS_H
#define SCAN_RUNTIME_GEMMSTATS_H

#include <chrono>
#include <cstdint>

namespace scanrt {

/// Which entry point a timed call went through.
enum class GemmEntry { Gemm, Packed, PackB };

/// One timed call, recorded when it goes out of scope. For PackB, m is 0
/// and transA is false.
class GemmTimer {
public:
  GemmTimer(GemmEntry entry, bool isDouble, bool transA, bool transB, int64_t m,
            int64_t n, int64_t k);
  ~GemmTimer();
  GemmTimer(const GemmTimer &) = delete;
  GemmTimer &operator=(const GemmTimer &) = delete;

private:
  bool enabled;
  GemmEntry entry;
  bool isDouble, transA, transB;
  int64_t m, n, k;
  std::chrono::steady_clock::time_point start;
};

} // namespace scanrt

#endif // SCAN_RUNTIME_GEMMSTATS_H
