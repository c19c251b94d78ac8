//===- CPURuntime.h - C ABI of the CPU runtime ------------------*- C++ -*-===//
//
// Functions that code lowered by scan-lower-to-cpu calls. All matrices are
// row-major views `base + offset` with a leading dimension (the distance in
// elements between consecutive rows). The compiler passes the aligned base
// pointer and the offset of a memref separately, as a memref descriptor
// holds them.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNTIME_CPURUNTIME_H
#define SCAN_RUNTIME_CPURUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C[m x n] = alpha * op(A) * op(B) + beta * C, row-major, where op(A) is
/// m x k (A stored k x m when transA != 0) and op(B) is k x n (B stored
/// n x k when transB != 0). With beta == 0, C is not read.
///
/// On a CPU with AVX-512F the product runs on the runtime's own kernel and
/// threads where that measured faster than OpenBLAS (every product but
/// small ones and matrix-vector products), otherwise in OpenBLAS;
/// SCANRT_GEMM_KERNEL=0 / =1 in the environment sends every product to
/// OpenBLAS / to the kernel (docs/Runtime.md). Views that BLAS
/// cannot take (a leading dimension smaller than the row length, sizes over
/// INT_MAX) are computed by a plain loop nest.
void scanrt_sgemm(int32_t transA, int32_t transB, int64_t m, int64_t n,
                  int64_t k, float alpha, const float *a, int64_t aOffset,
                  int64_t lda, const float *b, int64_t bOffset, int64_t ldb,
                  float beta, float *c, int64_t cOffset, int64_t ldc);

/// As scanrt_sgemm, in double precision.
void scanrt_dgemm(int32_t transA, int32_t transB, int64_t m, int64_t n,
                  int64_t k, double alpha, const double *a, int64_t aOffset,
                  int64_t lda, const double *b, int64_t bOffset, int64_t ldb,
                  double beta, double *c, int64_t cOffset, int64_t ldc);

/// A right operand op(B) (k x n, as in scanrt_sgemm) packed once for many
/// products, for a weight that a loop multiplies by on every step; the
/// products run on the runtime's AVX-512 kernel and threads. The caller
/// must not write B until scanrt_gemm_pack_free: without AVX-512F, with
/// SCANRT_GEMM_KERNEL=0, or when n or k is 0, the handle only remembers B
/// and the products read it through OpenBLAS. Never returns null.
void *scanrt_sgemm_pack_b(int32_t transB, int64_t n, int64_t k,
                          const float *b, int64_t bOffset, int64_t ldb);
void *scanrt_dgemm_pack_b(int32_t transB, int64_t n, int64_t k,
                          const double *b, int64_t bOffset, int64_t ldb);

/// C = alpha * op(A) * B + beta * C with B from scanrt_*gemm_pack_b of the
/// same n and k; the other arguments as in scanrt_sgemm.
void scanrt_sgemm_packed(int32_t transA, int64_t m, int64_t n, int64_t k,
                         float alpha, const float *a, int64_t aOffset,
                         int64_t lda, void *packedB, float beta, float *c,
                         int64_t cOffset, int64_t ldc);
void scanrt_dgemm_packed(int32_t transA, int64_t m, int64_t n, int64_t k,
                         double alpha, const double *a, int64_t aOffset,
                         int64_t lda, void *packedB, double beta, double *c,
                         int64_t cOffset, int64_t ldc);

/// Releases a packed operand (null is allowed).
void scanrt_gemm_pack_free(void *packedB);

/// Threads the kernel's products use (SCANRT_NUM_THREADS, else
/// OPENBLAS_NUM_THREADS, else OMP_NUM_THREADS, else every CPU this process
/// may use), or OpenBLAS's where the kernel never runs.
/// `scanrt_set_num_threads(n)` sets both; n <= 0 changes nothing.
int32_t scanrt_get_num_threads(void);
void scanrt_set_num_threads(int32_t n);

/// Heap allocation for lowered code (memref.alloc / memref.dealloc through
/// finalize-memref-to-llvm's generic functions). Blocks of at least 64 KiB
/// come from a buffer cache and are kept after _mlir_memref_to_llvm_free for
/// the next allocation of the same rounded size, so a function called
/// repeatedly (a training loop) reuses warm memory instead of faulting in
/// fresh zeroed pages on every call; blocks of at least 1 MiB are rounded up
/// to 2 MiB and backed by transparent huge pages where the kernel allows
/// (madvise). Smaller blocks go to malloc.
/// SCANRT_BUFFER_CACHE=0 in the environment turns the cache off (malloc and
/// free for everything); SCANRT_BUFFER_CACHE_MIB caps the bytes kept cached
/// (default 4096); beyond the cap, freed blocks go back to the system.
void *_mlir_memref_to_llvm_alloc(uint64_t size);
void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment, uint64_t size);
void _mlir_memref_to_llvm_free(void *ptr);

/// Buffer cache counters since the process started: large allocations
/// served from the cache, large allocations that needed new memory, and the
/// bytes the cache holds now (freed, not in use).
int64_t scanrt_buffer_cache_hits(void);
int64_t scanrt_buffer_cache_misses(void);
int64_t scanrt_buffer_cache_idle_bytes(void);

/// Returns every cached block to the system.
void scanrt_buffer_cache_release(void);

#ifdef __cplusplus
}
#endif

#endif // SCAN_RUNTIME_CPURUNTIME_H
