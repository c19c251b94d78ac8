//===- ThreadPool.cpp - Fork-join threads for runtime kernels ---*- C++ -*-===//

#include "ThreadPool.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <thread>
#include <vector>

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace scanrt {
namespace {

/// How long a worker spins for the next job before it sleeps.
constexpr auto kSpinTime = std::chrono::microseconds(300);

void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

void futexWait(std::atomic<unsigned> *word, unsigned expected) {
  syscall(SYS_futex, reinterpret_cast<unsigned *>(word), FUTEX_WAIT_PRIVATE,
          expected, nullptr, nullptr, 0);
}

void futexWakeAll(std::atomic<unsigned> *word) {
  syscall(SYS_futex, reinterpret_cast<unsigned *>(word), FUTEX_WAKE_PRIVATE,
          INT_MAX, nullptr, nullptr, 0);
}

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

/// Workers 1..size-1; the caller is worker 0. A job is published by bumping
/// `epoch` (release); workers that see a new epoch run their part and count
/// `remaining` down.
class Pool {
public:
  explicit Pool(int size) : size(size) {
    // A worker may start after the first job is out: it must compare with
    // the epoch before any job, not with what it finds when it starts.
    unsigned start = epoch.load(std::memory_order_relaxed);
    for (int i = 1; i < size; ++i)
      workers.emplace_back([this, i, start] { workerLoop(i, start); });
  }

  ~Pool() {
    stopping.store(true, std::memory_order_relaxed);
    epoch.fetch_add(1, std::memory_order_seq_cst);
    futexWakeAll(&epoch);
    for (std::thread &worker : workers)
      worker.join();
  }

  int threads() const { return size; }

  void run(JobPart job, void *context, int parts) {
    currentJob = job;
    currentContext = context;
    currentParts = parts;
    // Every worker acknowledges every job, taking part or not, so that no
    // worker can still be looking at this job when the next one is set up.
    remaining.store(size - 1, std::memory_order_relaxed);
    epoch.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers.load(std::memory_order_seq_cst) > 0)
      futexWakeAll(&epoch);
    job(context, 0, parts);
    // The workers started with this thread; wait for all of them.
    unsigned spins = 0;
    while (remaining.load(std::memory_order_acquire) > 0)
      if (++spins < (1u << 20))
        cpuRelax();
      else
        sched_yield();
  }

private:
  void workerLoop(int index, unsigned seen) {
    for (;;) {
      auto spinStart = std::chrono::steady_clock::now();
      unsigned now;
      unsigned spins = 0;
      while ((now = epoch.load(std::memory_order_acquire)) == seen) {
        cpuRelax();
        if (++spins % 64 != 0 ||
            std::chrono::steady_clock::now() - spinStart < kSpinTime)
          continue;
        sleepers.fetch_add(1, std::memory_order_seq_cst);
        futexWait(&epoch, seen);
        sleepers.fetch_sub(1, std::memory_order_seq_cst);
        spinStart = std::chrono::steady_clock::now();
      }
      seen = now;
      if (stopping.load(std::memory_order_relaxed))
        return;
      if (index < currentParts)
        currentJob(currentContext, index, currentParts);
      remaining.fetch_sub(1, std::memory_order_release);
    }
  }

  const int size;
  std::vector<std::thread> workers;
  std::atomic<unsigned> epoch{0};
  std::atomic<int> remaining{0};
  std::atomic<int> sleepers{0};
  std::atomic<bool> stopping{false};
  JobPart currentJob = nullptr;
  void *currentContext = nullptr;
  int currentParts = 0;
};

/// Created on first use and kept for the life of the process: its workers
/// sleep when idle, and joining them from a static destructor could race
/// with code still running at exit.
Pool *pool = nullptr;

Pool &getPool() {
  if (!pool)
    pool = new Pool(defaultThreadCount());
  return *pool;
}

} // namespace

void runParallel(JobPart job, void *context, int parts) {
  Pool &p = getPool();
  if (parts > p.threads())
    parts = p.threads();
  if (parts <= 1) {
    job(context, 0, 1);
    return;
  }
  p.run(job, context, parts);
}

int threadCount() { return getPool().threads(); }

void setThreadCount(int n) {
  if (n < 1 || (pool && pool->threads() == n))
    return;
  delete pool;
  pool = new Pool(n);
}

} // namespace scanrt
