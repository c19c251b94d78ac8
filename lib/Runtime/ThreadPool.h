//===- ThreadPool.h - Fork-join threads for runtime kernels -----*- C++ -*-===//
//
// Fork-join parallelism for the GEMM kernel on libomp's thread team, the
// team that the OpenMP loops of lowered code use too: the calling thread
// runs part 0 of a job and the team's workers the others. Workers spin
// 300 us after a region before sleeping (KMP_BLOCKTIME, unless the user set
// it), because the per-step GEMMs and elementwise loops of a scan come
// every few hundred microseconds and a wake-up from sleep costs tens.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNTIME_THREADPOOL_H
#define SCAN_RUNTIME_THREADPOOL_H

namespace scanrt {

/// A job part: `part` of `parts`, with the caller's context.
using JobPart = void (*)(void *context, int part, int parts);

/// Runs job(context, p, parts) for every p in [0, parts) concurrently, on at
/// most threadCount() threads, and returns when all parts are done.
/// `parts` is clamped to [1, threadCount()]. It is an OpenMP parallel
/// region: calls from several threads at once (concurrent calls of a runner
/// entry) each get their own libomp team, sharing the cores; a call made
/// from inside a part runs all its parts on that one thread.
void runParallel(JobPart job, void *context, int parts);

/// Threads runParallel uses: SCANRT_NUM_THREADS, else OPENBLAS_NUM_THREADS,
/// else OMP_NUM_THREADS, else the CPUs this process may run on. The same
/// count is libomp's default team size for the thread that loads the
/// library.
int threadCount();

/// Sets the thread count (n >= 1), also for the OpenMP loops of lowered
/// code run by the calling thread (omp_set_num_threads).
void setThreadCount(int n);

} // namespace scanrt

#endif // SCAN_RUNTIME_THREADPOOL_H
