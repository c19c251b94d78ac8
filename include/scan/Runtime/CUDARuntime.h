//===- CUDARuntime.h - C ABI of the scan-mlir CUDA runtime ------*- C++ -*-===//
//
// Functions called by code lowered with scan-lower-to-cuda (the mgpu* host
// ABI of MLIR's gpu-to-llvm, and scancuda_sgemm/dgemm) and by scan-run
// (initialisation, device buffers, copies, timing, errors).
//
// The driver (libcuda.so.1, or $SCANCUDA_LIBCUDA) and cuBLAS
// (libcublas.so.13, else .so.12, or the colon-separated list in
// $SCANCUDA_LIBCUBLAS) are opened with
// dlopen on first use, so this library loads on machines without a GPU and
// reports "no CUDA device" itself. Driver functions are resolved at the
// lower of the driver's CUDA version and the headers' (12.0 at least). Every CUDA or cuBLAS failure is recorded
// as one message (the first one sticks until scancuda_clear_error) and
// printed to stderr; after a failure the other calls do nothing, so lowered
// code runs to its end and the caller reports the error.
//
// All work goes to one stream owned by the runtime: mgpuStreamCreate returns
// it, mgpuStreamDestroy leaves it alive, and cuBLAS is bound to it.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNTIME_CUDARUNTIME_H
#define SCAN_RUNTIME_CUDARUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCANCUDA_EXPORT __attribute__((visibility("default")))

//===-- For scan-run ----------------------------------------------------===//

/// Opens the driver, picks device 0, binds its primary context and creates
/// the stream and the cuBLAS handle. Returns 0 on success; otherwise writes a
/// one-line message (e.g. "no CUDA device: ...") into err[0..len) and
/// returns non-zero. Safe to call again; later calls return the first result.
SCANCUDA_EXPORT int scancuda_init(char *err, size_t len);

/// Number of CUDA devices, 0 when there is no driver or no device.
SCANCUDA_EXPORT int scancuda_device_count(void);

/// Name of device 0 ("" when there is none).
SCANCUDA_EXPORT const char *scancuda_device_name(void);

/// The first error recorded since start or the last clear, or NULL.
SCANCUDA_EXPORT const char *scancuda_last_error(void);
SCANCUDA_EXPORT void scancuda_clear_error(void);

/// Device buffers (stream-ordered) and blocking copies on the stream.
SCANCUDA_EXPORT void *scancuda_alloc(int64_t bytes);
SCANCUDA_EXPORT void scancuda_free(void *ptr);
SCANCUDA_EXPORT int scancuda_copy_to_device(void *dst, const void *src,
                                            int64_t bytes);
SCANCUDA_EXPORT int scancuda_copy_to_host(void *dst, const void *src,
                                          int64_t bytes);
SCANCUDA_EXPORT int scancuda_memset(void *dst, int value, int64_t bytes);

/// Waits for all work on the stream. Returns 0 on success.
SCANCUDA_EXPORT int scancuda_synchronize(void);

/// The runtime's stream (a CUstream).
SCANCUDA_EXPORT void *scancuda_stream(void);

/// Timing with CUDA events recorded on the stream.
SCANCUDA_EXPORT void *scancuda_event_create(void);
SCANCUDA_EXPORT void scancuda_event_record(void *event);
/// Milliseconds between two recorded events (waits for `end`), -1 on error.
SCANCUDA_EXPORT float scancuda_event_elapsed_ms(void *start, void *end);
SCANCUDA_EXPORT void scancuda_event_destroy(void *event);

/// The CUDA version the driver supports (e.g. 13000), 0 without a driver.
SCANCUDA_EXPORT int scancuda_driver_version(void);

/// The cuBLAS library that was loaded ("" when none was).
SCANCUDA_EXPORT const char *scancuda_blas_library(void);

/// 1 when buffers are stream-ordered (cuMemAllocAsync on the device's
/// default pool, which keeps freed memory), 0 when they fall back to
/// synchronous cuMemAlloc/cuMemFree (a device without memory pools, or
/// SCANCUDA_NO_MEMORY_POOLS set).
SCANCUDA_EXPORT int scancuda_memory_pools(void);

/// CUDA graphs: scancuda_capture_begin starts capturing the work issued on
/// the runtime's stream (returns 0, or non-zero with the reason in why);
/// the caller then makes one call of a lowered function, which is recorded,
/// not run; scancuda_capture_end returns an executable graph of it, or NULL
/// with the reason (e.g. the call copies a device value to the host, which a
/// replay could not redo). scancuda_graph_launch replays it on the stream.
SCANCUDA_EXPORT int scancuda_capture_begin(char *why, size_t len);
SCANCUDA_EXPORT void *scancuda_capture_end(char *why, size_t len);
SCANCUDA_EXPORT int scancuda_graph_launch(void *graph);
SCANCUDA_EXPORT void scancuda_graph_destroy(void *graph);

/// GEMM logging: between begin and end, every scancuda_sgemm/dgemm is
/// recorded (shape, transposes, leading dimensions) as well as run; end
/// returns how many. scancuda_gemm_log_replay_ms runs the recorded GEMMs
/// alone, on scratch operands, `repeat` times (as one graph where graphs
/// work) and returns the median milliseconds of one replay, -1 on error:
/// the cuBLAS time of a call's GEMMs, without anything else it does.
SCANCUDA_EXPORT void scancuda_gemm_log_begin(void);
SCANCUDA_EXPORT int scancuda_gemm_log_end(void);
SCANCUDA_EXPORT float scancuda_gemm_log_replay_ms(int repeat);

//===-- Called by lowered code ------------------------------------------===//

/// cublasSgemm / cublasDgemm on the runtime's stream, column-major, with
/// transa/transb 0 (N) or 1 (T). Pointers are device addresses.
SCANCUDA_EXPORT void scancuda_sgemm(int32_t transa, int32_t transb, int64_t m,
                                    int64_t n, int64_t k, float alpha,
                                    const float *a, int64_t lda, const float *b,
                                    int64_t ldb, float beta, float *c,
                                    int64_t ldc);
SCANCUDA_EXPORT void scancuda_dgemm(int32_t transa, int32_t transb, int64_t m,
                                    int64_t n, int64_t k, double alpha,
                                    const double *a, int64_t lda,
                                    const double *b, int64_t ldb, double beta,
                                    double *c, int64_t ldc);

/// The host ABI that MLIR 22's gpu-to-llvm and GPU-to-LLVM-IR translation
/// emit calls to.
SCANCUDA_EXPORT void *mgpuModuleLoad(void *data, size_t size);
SCANCUDA_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel);
SCANCUDA_EXPORT void mgpuModuleUnload(void *module);
SCANCUDA_EXPORT void *mgpuModuleGetFunction(void *module, const char *name);
SCANCUDA_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                      intptr_t gridY, intptr_t gridZ,
                                      intptr_t blockX, intptr_t blockY,
                                      intptr_t blockZ, int32_t smem,
                                      void *stream, void **params, void **extra,
                                      size_t paramsCount);
SCANCUDA_EXPORT void *mgpuStreamCreate(void);
SCANCUDA_EXPORT void mgpuStreamDestroy(void *stream);
SCANCUDA_EXPORT void mgpuStreamSynchronize(void *stream);
SCANCUDA_EXPORT void mgpuStreamWaitEvent(void *stream, void *event);
SCANCUDA_EXPORT void *mgpuEventCreate(void);
SCANCUDA_EXPORT void mgpuEventDestroy(void *event);
SCANCUDA_EXPORT void mgpuEventSynchronize(void *event);
SCANCUDA_EXPORT void mgpuEventRecord(void *event, void *stream);
SCANCUDA_EXPORT void *mgpuMemAlloc(uint64_t bytes, void *stream,
                                   bool hostShared);
SCANCUDA_EXPORT void mgpuMemFree(void *ptr, void *stream);
SCANCUDA_EXPORT void mgpuMemcpy(void *dst, void *src, size_t bytes,
                                void *stream);
SCANCUDA_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                                  void *stream);
SCANCUDA_EXPORT void mgpuMemset16(void *dst, unsigned short value, size_t count,
                                  void *stream);
SCANCUDA_EXPORT void mgpuSetDefaultDevice(int32_t device);

#ifdef __cplusplus
}
#endif

#endif // SCAN_RUNTIME_CUDARUNTIME_H
