//===- ThreadPool.cpp - Fork-join threads for runtime kernels ---*- C++ -*-===//
//
// The fork-join threads are libomp's: runParallel opens an OpenMP parallel
// region, and the elementwise loops that scan-lower-to-cpu turns into
// omp.parallel fork the same team, so the process has one set of threads.
// This file alone is compiled with -fopenmp; the library links libomp
// (which also provides the GOMP_* entry points g++ emits), never libgomp.
//
//===----------------------------------------------------------------------===//

#include "ThreadPool.h"

#include <cstdlib>
#include <initializer_list>
#include <thread>

#include <omp.h>
#include <sched.h>

// libomp's own extension (g++'s omp.h does not declare it): applies
// settings written as in the environment, e.g. "KMP_BLOCKTIME=300us".
extern "C" void kmp_set_defaults(const char *settings);

namespace scanrt {
namespace {

/// How long libomp's workers spin after a parallel region before they
/// sleep: the next per-step GEMM or elementwise loop of a scan usually comes
/// sooner than that, and a wake-up from sleep costs tens of microseconds;
/// but a worker that spins for libomp's default 200 ms takes a core from
/// OpenBLAS's own threads, which run the small products.
/// Set only when the user has not set KMP_BLOCKTIME, as a libomp default
/// (kmp_set_defaults), which leaves the process environment alone.
constexpr const char *kBlockTimeSetting = "KMP_BLOCKTIME=300us";

int positiveEnv(const char *name) {
  const char *text = std::getenv(name);
  if (!text)
    return 0;
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 1 || value > 1024)
    return 0;
  return static_cast<int>(value);
}

int defaultThreadCount() {
  for (const char *name :
       {"SCANRT_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"})
    if (int n = positiveEnv(name))
      return n;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

/// The team size; 0 until the library is loaded.
int teamSize = 0;

void setTeamSize(int n) {
  teamSize = n;
  // The parallel regions of lowered code name no thread count: they take
  // this one (an ICV of the calling thread, the one that runs lowered code).
  omp_set_num_threads(n);
}

/// Runs when the library is loaded, before any parallel region (libomp
/// gives the settings to the team it creates for the first one).
__attribute__((constructor)) void configureOpenMP() {
  if (!std::getenv("KMP_BLOCKTIME"))
    kmp_set_defaults(kBlockTimeSetting);
  setTeamSize(defaultThreadCount());
}

} // namespace

void runParallel(JobPart job, void *context, int parts) {
  int team = threadCount();
  if (parts > team)
    parts = team;
  if (parts <= 1) {
    job(context, 0, 1);
    return;
  }
  // Always the whole team, so that libomp keeps one team of threads for the
  // GEMM kernel and the elementwise loops; a team smaller than asked (a
  // region nested in another runs on one thread) still runs every part.
#pragma omp parallel num_threads(team)
  {
    int size = omp_get_num_threads();
    for (int part = omp_get_thread_num(); part < parts; part += size)
      job(context, part, parts);
  }
}

int threadCount() {
  if (teamSize == 0)
    setTeamSize(defaultThreadCount());
  return teamSize;
}

void setThreadCount(int n) {
  if (n >= 1)
    setTeamSize(n);
}

} // namespace scanrt
