//===- FakeCUDA.cpp - a CUDA driver and cuBLAS stand-in for tests -*- C++ -*-===//
//
// Just enough of the CUDA driver API and cuBLAS for libScanCUDARuntime.so to
// initialise and run on a machine without a GPU, so that its logic (version
// negotiation, allocation modes, graph capture and replay, GEMM logging) is
// tested everywhere. "Device" memory is host memory; kernels do nothing;
// copies, memsets and GEMMs are done on the host, in stream order: at once,
// or, while a capture is in progress, recorded into the graph and done at
// each launch of it. Every call that matters is printed to stderr as
// `fake-cuda: ...`.
//
// Environment:
//   SCAN_FAKE_CUDA_VERSION  the CUDA version reported (default 13000)
//   SCAN_FAKE_CUDA_MISSING  comma-separated entry points cuGetProcAddress
//                           does not find (e.g. cuStreamBeginCapture)
//   SCAN_FAKE_CUDA_POOLS    0: the device has no memory pools
//
// The runtime loads it as the driver (SCANCUDA_LIBCUDA) and as cuBLAS
// (SCANCUDA_LIBCUBLAS).
//
//===----------------------------------------------------------------------===//

#include <cublas_api.h>
#include <cuda.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

void log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  fprintf(stderr, "fake-cuda: ");
  vfprintf(stderr, fmt, args);
  fprintf(stderr, "\n");
  va_end(args);
}

int envInt(const char *name, int otherwise) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : otherwise;
}

/// Allocations made by the fake (the "device" memory), by base address.
/// Never destroyed: memory a captured graph still owns (its frees are not
/// done) stays reachable to the end, for LeakSanitizer too.
std::map<CUdeviceptr, size_t> &allocations =
    *new std::map<CUdeviceptr, size_t>;
std::set<void *> &hostAllocations = *new std::set<void *>;

struct Graph {
  std::vector<std::function<void()>> nodes;
};
bool capturing = false;
bool captureInvalidated = false;
Graph *captured = nullptr;

/// Runs `op` now, or records it into the graph being captured.
void issue(std::function<void()> op) {
  if (capturing)
    captured->nodes.push_back(std::move(op));
  else
    op();
}

// Each fake entry point below has the signature of the CUDA 13 one it
// stands for.

CUresult fakeInit(unsigned) { return CUDA_SUCCESS; }
CUresult fakeGetErrorName(CUresult r, const char **name) {
  *name = r == CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED
              ? "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"
              : "CUDA_ERROR_FAKE";
  return CUDA_SUCCESS;
}
CUresult fakeGetErrorString(CUresult, const char **text) {
  *text = "an error of the fake driver";
  return CUDA_SUCCESS;
}
CUresult fakeDeviceGetCount(int *n) {
  *n = 1;
  return CUDA_SUCCESS;
}
CUresult fakeDeviceGet(CUdevice *d, int) {
  *d = 0;
  return CUDA_SUCCESS;
}
CUresult fakeDeviceGetName(char *name, int len, CUdevice) {
  snprintf(name, len, "Fake GPU");
  return CUDA_SUCCESS;
}
CUresult fakeDeviceGetAttribute(int *v, CUdevice_attribute a, CUdevice) {
  *v = a == CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED
           ? envInt("SCAN_FAKE_CUDA_POOLS", 1)
           : 0;
  return CUDA_SUCCESS;
}
CUresult fakePrimaryCtxRetain(CUcontext *c, CUdevice) {
  static int context;
  *c = reinterpret_cast<CUcontext>(&context);
  return CUDA_SUCCESS;
}
CUresult fakeCtxSetCurrent(CUcontext) { return CUDA_SUCCESS; }
CUresult fakeStreamCreate(CUstream *s, unsigned) {
  static int stream;
  *s = reinterpret_cast<CUstream>(&stream);
  return CUDA_SUCCESS;
}
CUresult fakeStreamSynchronize(CUstream) {
  if (capturing) {
    // As the real driver: not allowed while capturing, and it invalidates
    // the capture.
    captureInvalidated = true;
    log("cuStreamSynchronize while capturing");
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  }
  log("cuStreamSynchronize");
  return CUDA_SUCCESS;
}
CUresult fakeStreamWaitEvent(CUstream, CUevent, unsigned) {
  return CUDA_SUCCESS;
}
CUresult fakeModuleLoadData(CUmodule *m, const void *) {
  static int module;
  *m = reinterpret_cast<CUmodule>(&module);
  return CUDA_SUCCESS;
}
CUresult fakeModuleLoadDataEx(CUmodule *m, const void *p, unsigned,
                              CUjit_option *, void **) {
  return fakeModuleLoadData(m, p);
}
CUresult fakeModuleUnload(CUmodule) { return CUDA_SUCCESS; }
CUresult fakeModuleGetFunction(CUfunction *f, CUmodule, const char *) {
  static int function;
  *f = reinterpret_cast<CUfunction>(&function);
  return CUDA_SUCCESS;
}
CUresult fakeLaunchKernel(CUfunction, unsigned gx, unsigned gy, unsigned gz,
                          unsigned, unsigned, unsigned, unsigned, CUstream,
                          void **, void **) {
  issue([=] { log("kernel launch %ux%ux%u", gx, gy, gz); });
  return CUDA_SUCCESS;
}
CUresult allocate(CUdeviceptr *p, size_t bytes, const char *what) {
  void *mem = calloc(1, bytes ? bytes : 1);
  *p = reinterpret_cast<CUdeviceptr>(mem);
  allocations[*p] = bytes;
  log("%s %zu%s", what, bytes, capturing ? " (captured)" : "");
  return CUDA_SUCCESS;
}
CUresult fakeMemAlloc(CUdeviceptr *p, size_t bytes) {
  return allocate(p, bytes, "cuMemAlloc");
}
CUresult fakeMemAllocAsync(CUdeviceptr *p, size_t bytes, CUstream) {
  return allocate(p, bytes, "cuMemAllocAsync");
}
CUresult fakeMemAllocManaged(CUdeviceptr *p, size_t bytes, unsigned) {
  return allocate(p, bytes, "cuMemAllocManaged");
}
CUresult release(CUdeviceptr p, const char *what) {
  log("%s%s", what, capturing ? " (captured)" : "");
  // Captured frees are not done: a replay still needs the memory.
  if (!capturing && allocations.erase(p))
    free(reinterpret_cast<void *>(p));
  return CUDA_SUCCESS;
}
CUresult fakeMemFree(CUdeviceptr p) { return release(p, "cuMemFree"); }
CUresult fakeMemFreeAsync(CUdeviceptr p, CUstream) {
  return release(p, "cuMemFreeAsync");
}
CUresult fakeMemAllocHost(void **p, size_t bytes) {
  *p = malloc(bytes ? bytes : 1);
  hostAllocations.insert(*p);
  return CUDA_SUCCESS;
}
CUresult fakeMemFreeHost(void *p) {
  hostAllocations.erase(p);
  free(p);
  return CUDA_SUCCESS;
}
CUresult fakeMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                         CUstream) {
  issue([=] {
    memcpy(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src),
           bytes);
  });
  return CUDA_SUCCESS;
}
CUresult fakeMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n,
                           CUstream) {
  issue([=] { memset(reinterpret_cast<void *>(dst), v, n); });
  return CUDA_SUCCESS;
}
CUresult fakeMemsetD16Async(CUdeviceptr dst, unsigned short v, size_t n,
                            CUstream) {
  issue([=] {
    for (size_t i = 0; i < n; ++i)
      reinterpret_cast<unsigned short *>(dst)[i] = v;
  });
  return CUDA_SUCCESS;
}
CUresult fakeMemsetD32Async(CUdeviceptr dst, unsigned v, size_t n, CUstream) {
  issue([=] {
    for (size_t i = 0; i < n; ++i)
      reinterpret_cast<unsigned *>(dst)[i] = v;
  });
  return CUDA_SUCCESS;
}
CUresult fakeEventCreate(CUevent *e, unsigned) {
  *e = reinterpret_cast<CUevent>(new int(0));
  return CUDA_SUCCESS;
}
CUresult fakeEventDestroy(CUevent e) {
  delete reinterpret_cast<int *>(e);
  return CUDA_SUCCESS;
}
CUresult fakeEventRecord(CUevent, CUstream) { return CUDA_SUCCESS; }
CUresult fakeEventSynchronize(CUevent) { return CUDA_SUCCESS; }
CUresult fakeEventElapsedTime(float *ms, CUevent, CUevent) {
  *ms = 1.0f;
  return CUDA_SUCCESS;
}
CUresult fakePointerGetAttribute(void *data, CUpointer_attribute attribute,
                                 CUdeviceptr p) {
  if (attribute != CU_POINTER_ATTRIBUTE_MEMORY_TYPE)
    return CUDA_ERROR_INVALID_VALUE;
  auto it = allocations.upper_bound(p);
  if (it != allocations.begin()) {
    --it;
    if (p < it->first + std::max<size_t>(it->second, 1)) {
      *static_cast<unsigned *>(data) = CU_MEMORYTYPE_DEVICE;
      return CUDA_SUCCESS;
    }
  }
  if (hostAllocations.count(reinterpret_cast<void *>(p))) {
    *static_cast<unsigned *>(data) = CU_MEMORYTYPE_HOST;
    return CUDA_SUCCESS;
  }
  // Ordinary host memory is unknown to the driver.
  return CUDA_ERROR_INVALID_VALUE;
}
CUresult fakeDeviceGetDefaultMemPool(CUmemoryPool *pool, CUdevice) {
  static int defaultPool;
  *pool = reinterpret_cast<CUmemoryPool>(&defaultPool);
  return CUDA_SUCCESS;
}
CUresult fakeMemPoolSetAttribute(CUmemoryPool, CUmemPool_attribute attribute,
                                 void *value) {
  if (attribute == CU_MEMPOOL_ATTR_RELEASE_THRESHOLD)
    log("release threshold %llu",
        static_cast<unsigned long long>(*static_cast<cuuint64_t *>(value)));
  return CUDA_SUCCESS;
}
CUresult fakeStreamBeginCapture(CUstream, CUstreamCaptureMode mode) {
  log("begin capture (%s)",
      mode == CU_STREAM_CAPTURE_MODE_RELAXED ? "relaxed" : "not relaxed");
  capturing = true;
  captureInvalidated = false;
  captured = new Graph;
  return CUDA_SUCCESS;
}
CUresult fakeStreamEndCapture(CUstream, CUgraph *graph) {
  capturing = false;
  log("end capture: %zu nodes%s", captured->nodes.size(),
      captureInvalidated ? ", invalidated" : "");
  if (captureInvalidated) {
    delete captured;
    captured = nullptr;
    *graph = nullptr;
    return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
  }
  *graph = reinterpret_cast<CUgraph>(captured);
  captured = nullptr;
  return CUDA_SUCCESS;
}
CUresult fakeGraphInstantiate(CUgraphExec *exec, CUgraph graph,
                              unsigned long long) {
  *exec = reinterpret_cast<CUgraphExec>(
      new Graph(*reinterpret_cast<Graph *>(graph)));
  return CUDA_SUCCESS;
}
CUresult fakeGraphLaunch(CUgraphExec exec, CUstream) {
  Graph *g = reinterpret_cast<Graph *>(exec);
  log("graph launch: %zu nodes", g->nodes.size());
  for (auto &node : g->nodes)
    node();
  return CUDA_SUCCESS;
}
CUresult fakeGraphExecDestroy(CUgraphExec exec) {
  delete reinterpret_cast<Graph *>(exec);
  return CUDA_SUCCESS;
}
CUresult fakeGraphDestroy(CUgraph graph) {
  delete reinterpret_cast<Graph *>(graph);
  return CUDA_SUCCESS;
}

template <typename T>
void gemm(const char *name, cublasOperation_t ta, cublasOperation_t tb, int m,
          int n, int k, T alpha, const T *a, int lda, const T *b, int ldb,
          T beta, T *c, int ldc) {
  issue([=] {
    log("%s %s%s m=%d n=%d k=%d", name, ta == CUBLAS_OP_T ? "T" : "N",
        tb == CUBLAS_OP_T ? "T" : "N", m, n, k);
    // Column-major C = alpha op(A) op(B) + beta C.
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        T sum = 0;
        for (int l = 0; l < k; ++l)
          sum += (ta == CUBLAS_OP_T ? a[l + i * lda] : a[i + l * lda]) *
                 (tb == CUBLAS_OP_T ? b[j + l * ldb] : b[l + j * ldb]);
        c[i + j * ldc] = alpha * sum + (beta == T(0) ? T(0) : beta * c[i + j * ldc]);
      }
  });
}

} // namespace

extern "C" {
__attribute__((visibility("default"))) CUresult
cuDriverGetVersion(int *version) {
  *version = envInt("SCAN_FAKE_CUDA_VERSION", 13000);
  return CUDA_SUCCESS;
}

__attribute__((visibility("default"))) CUresult
cuGetProcAddress_v2(const char *symbol, void **fn, int version,
                    cuuint64_t /*flags*/,
                    CUdriverProcAddressQueryResult *status) {
  static const std::map<std::string, void *> table = {
      {"cuInit", (void *)fakeInit},
      {"cuGetErrorName", (void *)fakeGetErrorName},
      {"cuGetErrorString", (void *)fakeGetErrorString},
      {"cuDeviceGetCount", (void *)fakeDeviceGetCount},
      {"cuDeviceGet", (void *)fakeDeviceGet},
      {"cuDeviceGetName", (void *)fakeDeviceGetName},
      {"cuDeviceGetAttribute", (void *)fakeDeviceGetAttribute},
      {"cuDevicePrimaryCtxRetain", (void *)fakePrimaryCtxRetain},
      {"cuCtxSetCurrent", (void *)fakeCtxSetCurrent},
      {"cuStreamCreate", (void *)fakeStreamCreate},
      {"cuStreamSynchronize", (void *)fakeStreamSynchronize},
      {"cuStreamWaitEvent", (void *)fakeStreamWaitEvent},
      {"cuModuleLoadData", (void *)fakeModuleLoadData},
      {"cuModuleLoadDataEx", (void *)fakeModuleLoadDataEx},
      {"cuModuleUnload", (void *)fakeModuleUnload},
      {"cuModuleGetFunction", (void *)fakeModuleGetFunction},
      {"cuLaunchKernel", (void *)fakeLaunchKernel},
      {"cuMemAlloc", (void *)fakeMemAlloc},
      {"cuMemFree", (void *)fakeMemFree},
      {"cuMemAllocAsync", (void *)fakeMemAllocAsync},
      {"cuMemFreeAsync", (void *)fakeMemFreeAsync},
      {"cuMemAllocManaged", (void *)fakeMemAllocManaged},
      {"cuMemAllocHost", (void *)fakeMemAllocHost},
      {"cuMemFreeHost", (void *)fakeMemFreeHost},
      {"cuMemcpyAsync", (void *)fakeMemcpyAsync},
      {"cuMemsetD8Async", (void *)fakeMemsetD8Async},
      {"cuMemsetD16Async", (void *)fakeMemsetD16Async},
      {"cuMemsetD32Async", (void *)fakeMemsetD32Async},
      {"cuEventCreate", (void *)fakeEventCreate},
      {"cuEventDestroy", (void *)fakeEventDestroy},
      {"cuEventRecord", (void *)fakeEventRecord},
      {"cuEventSynchronize", (void *)fakeEventSynchronize},
      {"cuEventElapsedTime", (void *)fakeEventElapsedTime},
      {"cuPointerGetAttribute", (void *)fakePointerGetAttribute},
      {"cuDeviceGetDefaultMemPool", (void *)fakeDeviceGetDefaultMemPool},
      {"cuMemPoolSetAttribute", (void *)fakeMemPoolSetAttribute},
      {"cuStreamBeginCapture", (void *)fakeStreamBeginCapture},
      {"cuStreamEndCapture", (void *)fakeStreamEndCapture},
      {"cuGraphInstantiateWithFlags", (void *)fakeGraphInstantiate},
      {"cuGraphLaunch", (void *)fakeGraphLaunch},
      {"cuGraphExecDestroy", (void *)fakeGraphExecDestroy},
      {"cuGraphDestroy", (void *)fakeGraphDestroy},
  };
  if (!strcmp(symbol, "cuInit"))
    log("cuGetProcAddress asked for version %d", version);
  *fn = nullptr;
  std::string missing = ",";
  if (const char *env = getenv("SCAN_FAKE_CUDA_MISSING"))
    missing += std::string(env) + ",";
  auto it = table.find(symbol);
  if (it == table.end() ||
      missing.find("," + std::string(symbol) + ",") != std::string::npos) {
    if (status)
      *status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
    return CUDA_ERROR_NOT_FOUND;
  }
  *fn = it->second;
  if (status)
    *status = CU_GET_PROC_ADDRESS_SUCCESS;
  return CUDA_SUCCESS;
}

__attribute__((visibility("default"))) cublasStatus_t
cublasCreate_v2(cublasHandle_t *handle) {
  static int h;
  *handle = reinterpret_cast<cublasHandle_t>(&h);
  return CUBLAS_STATUS_SUCCESS;
}
__attribute__((visibility("default"))) cublasStatus_t
cublasSetStream_v2(cublasHandle_t, CUstream) {
  return CUBLAS_STATUS_SUCCESS;
}
__attribute__((visibility("default"))) cublasStatus_t
cublasSetWorkspace_v2(cublasHandle_t, void *, size_t bytes) {
  log("cuBLAS workspace %zu bytes", bytes);
  return CUBLAS_STATUS_SUCCESS;
}
__attribute__((visibility("default"))) const char *
cublasGetStatusString(cublasStatus_t) {
  return "CUBLAS_STATUS_FAKE";
}
__attribute__((visibility("default"))) cublasStatus_t
cublasSgemm_v2(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb,
               int m, int n, int k, const float *alpha, const float *a,
               int lda, const float *b, int ldb, const float *beta, float *c,
               int ldc) {
  gemm<float>("sgemm", ta, tb, m, n, k, *alpha, a, lda, b, ldb, *beta, c, ldc);
  return CUBLAS_STATUS_SUCCESS;
}
__attribute__((visibility("default"))) cublasStatus_t
cublasDgemm_v2(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb,
               int m, int n, int k, const double *alpha, const double *a,
               int lda, const double *b, int ldb, const double *beta,
               double *c, int ldc) {
  gemm<double>("dgemm", ta, tb, m, n, k, *alpha, a, lda, b, ldb, *beta, c,
               ldc);
  return CUBLAS_STATUS_SUCCESS;
}
} // extern "C"
