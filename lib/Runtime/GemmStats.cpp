//===- GemmStats.cpp - Per-shape times of the GEMM entry points -*- C++ -*-===//

#include "GemmStats.h"
#include "EnvFlag.h"

#include <cstdio>
#include <map>
#include <mutex>
#include <tuple>

namespace scanrt {
namespace {

bool statsRequested() { return envFlag("SCANRT_GEMM_STATS", false); }

/// Calls and seconds per (entry, precision, transA, transB, m, n, k), printed
/// at exit in that order.
class Registry {
public:
  using Key =
      std::tuple<GemmEntry, bool, bool, bool, int64_t, int64_t, int64_t>;

  void add(const Key &key, double seconds) {
    std::lock_guard<std::mutex> lock(mutex);
    Totals &t = byShape[key];
    ++t.calls;
    t.seconds += seconds;
  }

  ~Registry() {
    double total = 0;
    for (const auto &[key, t] : byShape) {
      auto [entry, isDouble, transA, transB, m, n, k] = key;
      const char *prefix = isDouble ? "d" : "s";
      if (entry == GemmEntry::PackB) {
        std::fprintf(stderr,
                     "scanrt-gemm-stats: %sgemm_pack_b transB=%d n=%lld "
                     "k=%lld calls=%lld ms=%.3f\n",
                     prefix, int(transB), (long long)n, (long long)k,
                     (long long)t.calls, t.seconds * 1e3);
      } else {
        double flop = 2.0 * double(m) * double(n) * double(k) * double(t.calls);
        std::fprintf(stderr,
                     "scanrt-gemm-stats: %sgemm%s transA=%d transB=%d m=%lld "
                     "n=%lld k=%lld calls=%lld ms=%.3f GFLOP/s=%.1f\n",
                     prefix, entry == GemmEntry::Packed ? "_packed" : "",
                     int(transA), int(transB), (long long)m, (long long)n,
                     (long long)k, (long long)t.calls, t.seconds * 1e3,
                     t.seconds > 0 ? flop / t.seconds * 1e-9 : 0.0);
      }
      total += t.seconds;
    }
    std::fprintf(stderr, "scanrt-gemm-stats: total ms=%.3f\n", total * 1e3);
  }

private:
  struct Totals {
    int64_t calls = 0;
    double seconds = 0;
  };
  std::mutex mutex;
  std::map<Key, Totals> byShape;
};

/// Created on the first timed call; its destructor prints the lines at exit.
Registry &registry() {
  static Registry instance;
  return instance;
}

bool statsEnabled() {
  static const bool enabled = statsRequested();
  return enabled;
}

} // namespace

GemmTimer::GemmTimer(GemmEntry entry, bool isDouble, bool transA, bool transB,
                     int64_t m, int64_t n, int64_t k)
    : enabled(statsEnabled()), entry(entry), isDouble(isDouble), transA(transA),
      transB(transB), m(m), n(n), k(k) {
  if (enabled)
    start = std::chrono::steady_clock::now();
}

GemmTimer::~GemmTimer() {
  if (!enabled)
    return;
  std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;
  registry().add({entry, isDouble, transA, transB, m, n, k}, elapsed.count());
}

} // namespace scanrt
