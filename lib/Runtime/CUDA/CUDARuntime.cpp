//===- CUDARuntime.cpp - the scan-mlir CUDA runtime -------------*- C++ -*-===//
//
// Implements CUDARuntime.h on the CUDA driver API and cuBLAS, both opened
// with dlopen so that the library itself never fails to load.
//
// One file of about 1150 lines on purpose: every entry point (scancuda_*,
// the mgpu* functions lowered code calls, graph capture, the GEMM log)
// reads and updates one State (the driver and cuBLAS tables, the stream, the
// capture in progress), kept in an anonymous namespace so that nothing but
// the C ABI leaves the library. Split into files, that state would become an
// internal interface with external linkage. Its sections (errors, loading,
// memory and events, GEMM, mgpu*, capture and GEMM log) are marked below.
//
//===----------------------------------------------------------------------===//

#include "scan/Runtime/CUDARuntime.h"

#include <cublas_api.h>
#include <cuda.h>

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#ifndef SCANCUDA_TOOLKIT_LIB_DIR
#define SCANCUDA_TOOLKIT_LIB_DIR "/usr/local/cuda/lib64"
#endif

namespace {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

std::mutex errorMutex;
std::string firstError;
bool hasError = false;

/// Records (the first) error and prints every one to stderr.
void recordError(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void recordError(const char *fmt, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(buffer, sizeof(buffer), fmt, args);
  va_end(args);
  std::lock_guard<std::mutex> lock(errorMutex);
  fprintf(stderr, "scan-cuda: %s\n", buffer);
  if (!hasError) {
    firstError = buffer;
    hasError = true;
  }
}

bool failed() {
  std::lock_guard<std::mutex> lock(errorMutex);
  return hasError;
}

//===----------------------------------------------------------------------===//
// Driver and cuBLAS entry points
//===----------------------------------------------------------------------===//

using GetProcAddressFn = CUresult (*)(const char *, void **, int, cuuint64_t,
                                      CUdriverProcAddressQueryResult *);

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned,
                                 CUjit_option *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuDeviceGetAttribute)(int *, CUdevice_attribute, CUdevice);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuPointerGetAttribute)(void *, CUpointer_attribute, CUdeviceptr);
  CUresult (*cuMemAllocHost)(void **, size_t);
  CUresult (*cuMemFreeHost)(void *);
  // Optional: memory pools and graphs. A driver without them still runs,
  // with synchronous allocations and direct launches.
  CUresult (*cuDeviceGetDefaultMemPool)(CUmemoryPool *, CUdevice);
  CUresult (*cuMemPoolSetAttribute)(CUmemoryPool, CUmemPool_attribute, void *);
  CUresult (*cuStreamBeginCapture)(CUstream, CUstreamCaptureMode);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph,
                                          unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  CUresult (*cuGraphDestroy)(CUgraph);
};

struct Blas {
  cublasStatus_t (*create)(cublasHandle_t *);
  cublasStatus_t (*setStream)(cublasHandle_t, CUstream);
  cublasStatus_t (*sgemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t,
                          int, int, int, const float *, const float *, int,
                          const float *, int, const float *, float *, int);
  cublasStatus_t (*dgemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t,
                          int, int, int, const double *, const double *, int,
                          const double *, int, const double *, double *, int);
  const char *(*statusString)(cublasStatus_t);
  // Optional (cuBLAS 11+): a fixed workspace, so that cuBLAS allocates
  // nothing while a graph is captured.
  cublasStatus_t (*setWorkspace)(cublasHandle_t, void *, size_t);
};

/// An instantiated graph of one captured call, with the pinned host buffers
/// its copies read.
struct CapturedCall {
  CUgraphExec exec;
  std::vector<void *> staging;
};

/// One cuBLAS GEMM as lowered code asked for it, kept while GEMM logging is
/// on (scancuda_gemm_log_begin) to time the GEMMs of a call alone.
struct LoggedGemm {
  bool isDouble;
  cublasOperation_t transa, transb;
  int m, n, k, lda, ldb, ldc;
  double alpha, beta;
};

struct State {
  Driver cu{};
  Blas blas{};
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  cublasHandle_t handle = nullptr;
  int deviceCount = 0;
  char deviceName[256] = "";
  std::string initError;
  bool ready = false;
  /// The driver's CUDA version (e.g. 12040).
  int driverVersion = 0;
  /// Stream-ordered allocation (cuMemAllocAsync) works on this device.
  bool memoryPools = false;
  void *blasWorkspace = nullptr;
  std::string blasLibrary; // the cuBLAS that was loaded
  /// Graph capture of the runtime's stream (scancuda_capture_*).
  bool capturing = false;
  std::string captureBroken; // why the capture in progress cannot be used
  /// A broken capture leaves the rest of the call with addresses of
  /// allocations that were recorded but never made: everything the call does
  /// after the break is skipped (scancuda_capture_end reports why).
  bool captureAbandoned = false;
  /// Allocations made while capturing: their addresses are mapped only when
  /// the graph runs, so the driver cannot classify them yet.
  std::vector<std::pair<CUdeviceptr, uint64_t>> capturedAllocations;
  /// Pinned host copies of what the captured call copied from host memory
  /// to the device (constants, host-computed scalars): a replay copies from
  /// these, since the call's own host buffers are gone by then.
  std::vector<void *> capturedStaging;
  /// GEMM logging (scancuda_gemm_log_*).
  bool loggingGemms = false;
  std::vector<LoggedGemm> gemmLog;
};

State state;
std::once_flag initOnce;

const char *errorName(CUresult result) {
  const char *name = nullptr;
  if (state.cu.cuGetErrorName)
    state.cu.cuGetErrorName(result, &name);
  return name ? name : "unknown CUresult";
}

const char *errorText(CUresult result) {
  const char *text = nullptr;
  if (state.cu.cuGetErrorString)
    state.cu.cuGetErrorString(result, &text);
  return text ? text : "";
}

/// Checks a driver call made by `what`; records a message on failure.
bool check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return true;
  recordError("%s failed: %s (%s)", what, errorName(result), errorText(result));
  return false;
}

bool checkBlas(cublasStatus_t status, const char *what) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return true;
  recordError("%s failed: %s", what,
              state.blas.statusString ? state.blas.statusString(status)
                                      : "unknown cublasStatus_t");
  return false;
}

/// The driver library: $SCANCUDA_LIBCUDA if set (tests point it at a fake
/// driver, or at nothing to act as a machine without one), else libcuda.so.1.
const char *driverLibrary() {
  const char *env = getenv("SCANCUDA_LIBCUDA");
  return env && *env ? env : "libcuda.so.1";
}

std::string versionString(int version) {
  return std::to_string(version / 1000) + "." +
         std::to_string(version % 1000 / 10);
}

/// Loads every driver function through cuGetProcAddress, asking for the
/// lower of the driver's CUDA version and the headers' (CUDA_VERSION): a
/// driver older than the headers still resolves each function, at the ABI
/// version it has.
bool loadDriver(std::string &why) {
  const char *name = driverLibrary();
  void *lib = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    const char *err = dlerror();
    why = std::string("no CUDA device: the CUDA driver (") + name +
          ") cannot be loaded: " + (err ? err : "unknown dlopen error");
    return false;
  }
  auto getVersion =
      reinterpret_cast<CUresult (*)(int *)>(dlsym(lib, "cuDriverGetVersion"));
  int driverVersion = 0;
  if (!getVersion || getVersion(&driverVersion) != CUDA_SUCCESS ||
      driverVersion <= 0) {
    why = std::string("no CUDA device: the CUDA driver (") + name +
          ") does not report its version (cuDriverGetVersion)";
    return false;
  }
  state.driverVersion = driverVersion;
  const int apiVersion = std::min(driverVersion, CUDA_VERSION);
  const int oldestSupported = 12000;
  auto getProc =
      reinterpret_cast<GetProcAddressFn>(dlsym(lib, "cuGetProcAddress_v2"));
  if (driverVersion < oldestSupported || !getProc) {
    why = "no CUDA device: the CUDA driver supports CUDA " +
          versionString(driverVersion) + ", older than the CUDA " +
          versionString(oldestSupported) +
          " this runtime needs (it was built with CUDA " +
          versionString(CUDA_VERSION) + " headers)";
    return false;
  }
  bool ok = true;
  auto resolve = [&](auto &fn, const char *symbol, bool required) {
    void *p = nullptr;
    CUdriverProcAddressQueryResult found;
    if (getProc(symbol, &p, apiVersion, CU_GET_PROC_ADDRESS_DEFAULT, &found) !=
            CUDA_SUCCESS ||
        !p) {
      p = nullptr;
      if (required && ok)
        why = std::string("the CUDA driver (CUDA ") +
              versionString(driverVersion) + ", asked for version " +
              versionString(apiVersion) + ") lacks " + symbol;
      if (required)
        ok = false;
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
  };
  auto load = [&](auto &fn, const char *symbol) { resolve(fn, symbol, true); };
  auto loadOptional = [&](auto &fn, const char *symbol) {
    resolve(fn, symbol, false);
  };
  Driver &d = state.cu;
  load(d.cuInit, "cuInit");
  load(d.cuGetErrorName, "cuGetErrorName");
  load(d.cuGetErrorString, "cuGetErrorString");
  load(d.cuDeviceGetCount, "cuDeviceGetCount");
  load(d.cuDeviceGet, "cuDeviceGet");
  load(d.cuDeviceGetName, "cuDeviceGetName");
  load(d.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  load(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  load(d.cuCtxSetCurrent, "cuCtxSetCurrent");
  load(d.cuStreamCreate, "cuStreamCreate");
  load(d.cuStreamSynchronize, "cuStreamSynchronize");
  load(d.cuStreamWaitEvent, "cuStreamWaitEvent");
  load(d.cuModuleLoadData, "cuModuleLoadData");
  load(d.cuModuleLoadDataEx, "cuModuleLoadDataEx");
  load(d.cuModuleUnload, "cuModuleUnload");
  load(d.cuModuleGetFunction, "cuModuleGetFunction");
  load(d.cuLaunchKernel, "cuLaunchKernel");
  load(d.cuMemAlloc, "cuMemAlloc");
  load(d.cuMemFree, "cuMemFree");
  load(d.cuMemAllocManaged, "cuMemAllocManaged");
  load(d.cuMemcpyAsync, "cuMemcpyAsync");
  load(d.cuMemsetD32Async, "cuMemsetD32Async");
  load(d.cuMemsetD16Async, "cuMemsetD16Async");
  load(d.cuMemsetD8Async, "cuMemsetD8Async");
  load(d.cuEventCreate, "cuEventCreate");
  load(d.cuEventDestroy, "cuEventDestroy");
  load(d.cuEventRecord, "cuEventRecord");
  load(d.cuEventSynchronize, "cuEventSynchronize");
  load(d.cuEventElapsedTime, "cuEventElapsedTime");
  load(d.cuPointerGetAttribute, "cuPointerGetAttribute");
  load(d.cuMemAllocHost, "cuMemAllocHost");
  load(d.cuMemFreeHost, "cuMemFreeHost");
  loadOptional(d.cuMemAllocAsync, "cuMemAllocAsync");
  loadOptional(d.cuMemFreeAsync, "cuMemFreeAsync");
  loadOptional(d.cuDeviceGetDefaultMemPool, "cuDeviceGetDefaultMemPool");
  loadOptional(d.cuMemPoolSetAttribute, "cuMemPoolSetAttribute");
  loadOptional(d.cuStreamBeginCapture, "cuStreamBeginCapture");
  loadOptional(d.cuStreamEndCapture, "cuStreamEndCapture");
  loadOptional(d.cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags");
  loadOptional(d.cuGraphLaunch, "cuGraphLaunch");
  loadOptional(d.cuGraphExecDestroy, "cuGraphExecDestroy");
  loadOptional(d.cuGraphDestroy, "cuGraphDestroy");
  return ok;
}

/// cuBLAS: the first of a list of candidates that loads. By default
/// libcublas.so.13, then .so.12 (the same C ABI for what we call) from the
/// loader's path, then both from the toolkit the runtime was built with;
/// $SCANCUDA_LIBCUBLAS replaces the list (colon-separated).
bool loadBlas(std::string &why) {
  std::string list;
  if (const char *env = getenv("SCANCUDA_LIBCUBLAS"); env && *env)
    list = env;
  else
    list = "libcublas.so.13:libcublas.so.12:" SCANCUDA_TOOLKIT_LIB_DIR
           "/libcublas.so.13:" SCANCUDA_TOOLKIT_LIB_DIR "/libcublas.so.12";
  void *lib = nullptr;
  std::string tried;
  for (size_t begin = 0; begin <= list.size() && !lib;) {
    size_t end = list.find(':', begin);
    if (end == std::string::npos)
      end = list.size();
    std::string candidate = list.substr(begin, end - begin);
    begin = end + 1;
    if (candidate.empty())
      continue;
    if ((lib = dlopen(candidate.c_str(), RTLD_NOW | RTLD_GLOBAL))) {
      state.blasLibrary = candidate;
      break;
    }
    const char *err = dlerror();
    tried += std::string(tried.empty() ? "" : "; ") +
             (err ? err : candidate + ": unknown dlopen error");
  }
  if (!lib) {
    why = "cuBLAS cannot be loaded: " + tried;
    return false;
  }
  bool ok = true;
  auto load = [&](auto &fn, const char *name) {
    void *p = dlsym(lib, name);
    if (!p) {
      if (ok)
        why = std::string("cuBLAS lacks ") + name;
      ok = false;
      return;
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
  };
  load(state.blas.create, "cublasCreate_v2");
  load(state.blas.setStream, "cublasSetStream_v2");
  load(state.blas.sgemm, "cublasSgemm_v2");
  load(state.blas.dgemm, "cublasDgemm_v2");
  load(state.blas.statusString, "cublasGetStatusString");
  state.blas.setWorkspace = reinterpret_cast<decltype(state.blas.setWorkspace)>(
      dlsym(lib, "cublasSetWorkspace_v2"));
  return ok;
}

std::string describe(const char *what, CUresult result) {
  return std::string(what) + " failed: " + errorName(result) + " (" +
         errorText(result) + ")";
}

void initialize() {
  std::string why;
  if (!loadDriver(why)) {
    state.initError = why;
    return;
  }
  Driver &d = state.cu;
  CUresult r = d.cuInit(0);
  if (r == CUDA_ERROR_NO_DEVICE) {
    state.initError = "no CUDA device: cuInit reports CUDA_ERROR_NO_DEVICE";
    return;
  }
  if (r != CUDA_SUCCESS) {
    state.initError = "no CUDA device: " + describe("cuInit", r);
    return;
  }
  if ((r = d.cuDeviceGetCount(&state.deviceCount)) != CUDA_SUCCESS) {
    state.initError = "no CUDA device: " + describe("cuDeviceGetCount", r);
    return;
  }
  if (state.deviceCount == 0) {
    state.initError = "no CUDA device: the driver sees no device";
    return;
  }
  CUdevice device;
  if ((r = d.cuDeviceGet(&device, 0)) != CUDA_SUCCESS) {
    state.initError = describe("cuDeviceGet", r);
    return;
  }
  d.cuDeviceGetName(state.deviceName, sizeof(state.deviceName), device);
  if ((r = d.cuDevicePrimaryCtxRetain(&state.context, device)) !=
          CUDA_SUCCESS ||
      (r = d.cuCtxSetCurrent(state.context)) != CUDA_SUCCESS) {
    state.initError = describe("creating the CUDA context", r);
    return;
  }
  if ((r = d.cuStreamCreate(&state.stream, CU_STREAM_NON_BLOCKING)) !=
      CUDA_SUCCESS) {
    state.initError = describe("cuStreamCreate", r);
    return;
  }
  // Stream-ordered allocation where the device has memory pools; the default
  // pool then keeps what is freed (release threshold: unlimited) instead of
  // unmapping it at every synchronisation and mapping it again on the next
  // call, which would be timed with the call.
  int pools = 0;
  if (d.cuMemAllocAsync && d.cuMemFreeAsync &&
      d.cuDeviceGetAttribute(&pools, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED,
                             device) == CUDA_SUCCESS &&
      pools && !getenv("SCANCUDA_NO_MEMORY_POOLS")) {
    state.memoryPools = true;
    CUmemoryPool pool = nullptr;
    cuuint64_t keepAll = UINT64_MAX;
    if (d.cuDeviceGetDefaultMemPool && d.cuMemPoolSetAttribute &&
        d.cuDeviceGetDefaultMemPool(&pool, device) == CUDA_SUCCESS)
      d.cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                              &keepAll);
  }
  if (!loadBlas(why)) {
    state.initError = why;
    return;
  }
  cublasStatus_t s = state.blas.create(&state.handle);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = state.blas.setStream(state.handle, state.stream);
  if (s != CUBLAS_STATUS_SUCCESS) {
    state.initError =
        std::string("cublasCreate failed: ") + state.blas.statusString(s);
    return;
  }
  // A workspace of our own (32 MiB, what cuBLAS asks for on Hopper), so that
  // cuBLAS allocates nothing while a graph is being captured.
  const size_t workspaceBytes = size_t(32) << 20;
  CUdeviceptr workspace = 0;
  if (state.blas.setWorkspace &&
      d.cuMemAlloc(&workspace, workspaceBytes) == CUDA_SUCCESS) {
    if (state.blas.setWorkspace(state.handle, reinterpret_cast<void *>(workspace),
                                workspaceBytes) == CUBLAS_STATUS_SUCCESS)
      state.blasWorkspace = reinterpret_cast<void *>(workspace);
    else
      d.cuMemFree(workspace);
  }
  state.ready = true;
}

/// Initialises on first use; records the reason when the device is unusable.
/// Returns whether work may be issued (no error recorded so far).
bool ensureReady() {
  std::call_once(initOnce, initialize);
  if (!state.ready) {
    if (!failed())
      recordError("%s", state.initError.c_str());
    return false;
  }
  if (failed() || state.captureAbandoned)
    return false;
  // Lowered code may run on another thread than the one that initialised.
  thread_local bool contextIsCurrent = false;
  if (!contextIsCurrent)
    contextIsCurrent =
        check(state.cu.cuCtxSetCurrent(state.context), "cuCtxSetCurrent");
  return contextIsCurrent;
}

CUstream toStream(void *stream) {
  return stream ? static_cast<CUstream>(stream) : state.stream;
}

CUdeviceptr toDevice(const void *ptr) {
  return reinterpret_cast<CUdeviceptr>(ptr);
}

bool fitsInt(int64_t v) { return v >= 0 && v <= INT32_MAX; }

/// Writes `message` into the caller's buffer `out[0..len)`, cut to fit.
void writeMessage(char *out, size_t len, const std::string &message) {
  if (!out || !len)
    return;
  strncpy(out, message.c_str(), len - 1);
  out[len - 1] = '\0';
}

/// Whether `ptr` is device (or managed) memory of the driver, as opposed to
/// ordinary host memory.
bool isDeviceMemory(const void *ptr) {
  CUdeviceptr address = toDevice(ptr);
  for (auto [base, bytes] : state.capturedAllocations)
    if (address >= base && address < base + bytes)
      return true;
  unsigned type = 0;
  return state.cu.cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                                        address) == CUDA_SUCCESS &&
         type == CU_MEMORYTYPE_DEVICE;
}

/// Ends the capture in progress because the call does something a graph
/// cannot replay; the rest of the call is skipped.
void breakCapture(const char *why) {
  if (!state.capturing)
    return;
  state.capturing = false;
  state.captureAbandoned = true;
  state.captureBroken = why;
  CUgraph graph = nullptr;
  state.cu.cuStreamEndCapture(state.stream, &graph);
  if (graph)
    state.cu.cuGraphDestroy(graph);
}

} // namespace

//===----------------------------------------------------------------------===//
// scan-run interface
//===----------------------------------------------------------------------===//

extern "C" int scancuda_init(char *err, size_t len) {
  std::call_once(initOnce, initialize);
  if (state.ready)
    return 0;
  writeMessage(err, len, state.initError);
  return 1;
}

extern "C" int scancuda_device_count(void) {
  std::call_once(initOnce, initialize);
  return state.deviceCount;
}

extern "C" const char *scancuda_device_name(void) {
  std::call_once(initOnce, initialize);
  return state.deviceName;
}

extern "C" const char *scancuda_last_error(void) {
  std::lock_guard<std::mutex> lock(errorMutex);
  return hasError ? firstError.c_str() : nullptr;
}

extern "C" void scancuda_clear_error(void) {
  std::lock_guard<std::mutex> lock(errorMutex);
  hasError = false;
  firstError.clear();
}

extern "C" void *scancuda_stream(void) {
  return ensureReady() ? state.stream : nullptr;
}

extern "C" void *scancuda_alloc(int64_t bytes) {
  return mgpuMemAlloc(static_cast<uint64_t>(bytes), nullptr, false);
}

extern "C" void scancuda_free(void *ptr) { mgpuMemFree(ptr, nullptr); }

extern "C" int scancuda_copy_to_device(void *dst, const void *src,
                                       int64_t bytes) {
  if (!ensureReady())
    return 1;
  return check(state.cu.cuMemcpyAsync(toDevice(dst), toDevice(src), bytes,
                                      state.stream),
               "copy to device") &&
                 check(state.cu.cuStreamSynchronize(state.stream),
                       "cuStreamSynchronize")
             ? 0
             : 1;
}

extern "C" int scancuda_copy_to_host(void *dst, const void *src,
                                     int64_t bytes) {
  if (!ensureReady())
    return 1;
  return check(state.cu.cuMemcpyAsync(toDevice(dst), toDevice(src), bytes,
                                      state.stream),
               "copy to host") &&
                 check(state.cu.cuStreamSynchronize(state.stream),
                       "cuStreamSynchronize")
             ? 0
             : 1;
}

extern "C" int scancuda_memset(void *dst, int value, int64_t bytes) {
  if (!ensureReady())
    return 1;
  return check(state.cu.cuMemsetD8Async(toDevice(dst),
                                        static_cast<unsigned char>(value),
                                        bytes, state.stream),
               "cuMemsetD8Async")
             ? 0
             : 1;
}

extern "C" int scancuda_synchronize(void) {
  if (!ensureReady())
    return 1;
  return check(state.cu.cuStreamSynchronize(state.stream),
               "cuStreamSynchronize")
             ? 0
             : 1;
}

extern "C" void *scancuda_event_create(void) { return mgpuEventCreate(); }

extern "C" void scancuda_event_record(void *event) {
  mgpuEventRecord(event, nullptr);
}

extern "C" float scancuda_event_elapsed_ms(void *start, void *end) {
  if (!ensureReady() || !start || !end)
    return -1;
  float ms = -1;
  if (!check(state.cu.cuEventSynchronize(static_cast<CUevent>(end)),
             "cuEventSynchronize") ||
      !check(state.cu.cuEventElapsedTime(&ms, static_cast<CUevent>(start),
                                         static_cast<CUevent>(end)),
             "cuEventElapsedTime"))
    return -1;
  return ms;
}

extern "C" void scancuda_event_destroy(void *event) { mgpuEventDestroy(event); }

//===----------------------------------------------------------------------===//
// cuBLAS
//===----------------------------------------------------------------------===//

namespace {
bool checkGemmShape(const char *name, int64_t m, int64_t n, int64_t k,
                    int64_t lda, int64_t ldb, int64_t ldc) {
  if (fitsInt(m) && fitsInt(n) && fitsInt(k) && fitsInt(lda) && fitsInt(ldb) &&
      fitsInt(ldc))
    return true;
  recordError("%s: sizes m=%lld n=%lld k=%lld lda=%lld ldb=%lld ldc=%lld do "
              "not fit cuBLAS's int arguments",
              name, (long long)m, (long long)n, (long long)k, (long long)lda,
              (long long)ldb, (long long)ldc);
  return false;
}

cublasOperation_t toOp(int32_t trans) {
  return trans ? CUBLAS_OP_T : CUBLAS_OP_N;
}

/// Runs one GEMM on cuBLAS (recording it while GEMM logging is on): what
/// lowered code asks for, and what a replay of the log runs again.
void issueGemm(const LoggedGemm &g, const void *a, const void *b, void *c) {
  if (state.loggingGemms)
    state.gemmLog.push_back(g);
  if (g.isDouble) {
    checkBlas(state.blas.dgemm(state.handle, g.transa, g.transb, g.m, g.n, g.k,
                               &g.alpha, static_cast<const double *>(a), g.lda,
                               static_cast<const double *>(b), g.ldb, &g.beta,
                               static_cast<double *>(c), g.ldc),
              "cublasDgemm");
    return;
  }
  float alpha = float(g.alpha), beta = float(g.beta);
  checkBlas(state.blas.sgemm(state.handle, g.transa, g.transb, g.m, g.n, g.k,
                             &alpha, static_cast<const float *>(a), g.lda,
                             static_cast<const float *>(b), g.ldb, &beta,
                             static_cast<float *>(c), g.ldc),
            "cublasSgemm");
}
} // namespace

extern "C" void scancuda_sgemm(int32_t transa, int32_t transb, int64_t m,
                               int64_t n, int64_t k, float alpha,
                               const float *a, int64_t lda, const float *b,
                               int64_t ldb, float beta, float *c, int64_t ldc) {
  if (!ensureReady() || !checkGemmShape("sgemm", m, n, k, lda, ldb, ldc))
    return;
  issueGemm({false, toOp(transa), toOp(transb), int(m), int(n), int(k),
             int(lda), int(ldb), int(ldc), alpha, beta},
            a, b, c);
}

extern "C" void scancuda_dgemm(int32_t transa, int32_t transb, int64_t m,
                               int64_t n, int64_t k, double alpha,
                               const double *a, int64_t lda, const double *b,
                               int64_t ldb, double beta, double *c,
                               int64_t ldc) {
  if (!ensureReady() || !checkGemmShape("dgemm", m, n, k, lda, ldb, ldc))
    return;
  issueGemm({true, toOp(transa), toOp(transb), int(m), int(n), int(k),
             int(lda), int(ldb), int(ldc), alpha, beta},
            a, b, c);
}

//===----------------------------------------------------------------------===//
// mgpu* host ABI
//===----------------------------------------------------------------------===//

extern "C" void *mgpuModuleLoad(void *data, size_t /*size*/) {
  if (!ensureReady())
    return nullptr;
  CUmodule module = nullptr;
  if (!check(state.cu.cuModuleLoadData(&module, data),
             "loading a cubin (cuModuleLoadData)"))
    return nullptr;
  return module;
}

extern "C" void *mgpuModuleLoadJIT(void *data, int optLevel) {
  if (!ensureReady())
    return nullptr;
  char log[4096] = "";
  CUjit_option options[] = {CU_JIT_OPTIMIZATION_LEVEL, CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {reinterpret_cast<void *>(static_cast<intptr_t>(optLevel)),
                    log, reinterpret_cast<void *>(sizeof(log))};
  CUmodule module = nullptr;
  CUresult r = state.cu.cuModuleLoadDataEx(&module, data, 3, options, values);
  if (r != CUDA_SUCCESS) {
    recordError("JIT-compiling PTX (cuModuleLoadDataEx) failed: %s (%s)%s%s",
                errorName(r), errorText(r), log[0] ? ": " : "", log);
    return nullptr;
  }
  return module;
}

extern "C" void mgpuModuleUnload(void *module) {
  // Runs from a global destructor: only when the context still works.
  if (!module || !state.ready)
    return;
  check(state.cu.cuModuleUnload(static_cast<CUmodule>(module)),
        "cuModuleUnload");
}

extern "C" void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!ensureReady() || !module)
    return nullptr;
  CUfunction function = nullptr;
  if (!check(state.cu.cuModuleGetFunction(&function,
                                          static_cast<CUmodule>(module), name),
             "cuModuleGetFunction"))
    return nullptr;
  return function;
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ, int32_t smem,
                                 void *stream, void **params, void **extra,
                                 size_t /*paramsCount*/) {
  if (!ensureReady() || !function)
    return;
  // A grid or block with no threads has nothing to do (a dynamic size of
  // 0); CUDA would refuse it. Sizes past CUDA's limits get a clear message
  // instead of the driver's CUDA_ERROR_INVALID_VALUE.
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockY <= 0 ||
      blockZ <= 0)
    return;
  if (gridX > INT32_MAX || gridY > 65535 || gridZ > 65535 || blockX > 1024 ||
      blockY > 1024 || blockZ > 64 || blockX * blockY * blockZ > 1024) {
    recordError("kernel launch of grid %ldx%ldx%ld, blocks %ldx%ldx%ld: beyond "
                "CUDA's limits (grid x < 2^31, y and z <= 65535; at most 1024 "
                "threads a block)",
                (long)gridX, (long)gridY, (long)gridZ, (long)blockX,
                (long)blockY, (long)blockZ);
    return;
  }
  check(state.cu.cuLaunchKernel(static_cast<CUfunction>(function), gridX, gridY,
                                gridZ, blockX, blockY, blockZ, smem,
                                toStream(stream), params, extra),
        "cuLaunchKernel");
}

extern "C" void *mgpuStreamCreate(void) {
  // One stream for everything: ordering replaces host synchronisation.
  return ensureReady() ? state.stream : nullptr;
}

extern "C" void mgpuStreamDestroy(void * /*stream*/) {}

extern "C" void mgpuStreamSynchronize(void *stream) {
  if (!ensureReady())
    return;
  // The wait at the end of a lowered function: while the call is captured
  // into a graph there is nothing to wait for yet (the graph's launch is
  // waited for instead). Host code that reads device data after a wait
  // copies it to host memory first, which breaks the capture (mgpuMemcpy).
  if (state.capturing)
    return;
  check(state.cu.cuStreamSynchronize(toStream(stream)), "cuStreamSynchronize");
}

extern "C" void mgpuStreamWaitEvent(void *stream, void *event) {
  if (!ensureReady() || !event)
    return;
  check(state.cu.cuStreamWaitEvent(toStream(stream),
                                   static_cast<CUevent>(event), 0),
        "cuStreamWaitEvent");
}

extern "C" void *mgpuEventCreate(void) {
  if (!ensureReady())
    return nullptr;
  CUevent event = nullptr;
  if (!check(state.cu.cuEventCreate(&event, CU_EVENT_DEFAULT), "cuEventCreate"))
    return nullptr;
  return event;
}

extern "C" void mgpuEventDestroy(void *event) {
  if (!event || !state.ready)
    return;
  check(state.cu.cuEventDestroy(static_cast<CUevent>(event)), "cuEventDestroy");
}

extern "C" void mgpuEventSynchronize(void *event) {
  if (!ensureReady() || !event)
    return;
  check(state.cu.cuEventSynchronize(static_cast<CUevent>(event)),
        "cuEventSynchronize");
}

extern "C" void mgpuEventRecord(void *event, void *stream) {
  if (!ensureReady() || !event)
    return;
  check(state.cu.cuEventRecord(static_cast<CUevent>(event), toStream(stream)),
        "cuEventRecord");
}

extern "C" void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared) {
  if (!ensureReady())
    return nullptr;
  CUdeviceptr ptr = 0;
  if (bytes == 0)
    return nullptr;
  if (hostShared) {
    if (!check(state.cu.cuMemAllocManaged(&ptr, bytes, CU_MEM_ATTACH_GLOBAL),
               "cuMemAllocManaged"))
      return nullptr;
  } else if (state.memoryPools) {
    if (!check(state.cu.cuMemAllocAsync(&ptr, bytes, toStream(stream)),
               "cuMemAllocAsync"))
      return nullptr;
    if (state.capturing)
      state.capturedAllocations.push_back({ptr, bytes});
  } else if (!check(state.cu.cuMemAlloc(&ptr, bytes), "cuMemAlloc")) {
    return nullptr;
  }
  return reinterpret_cast<void *>(ptr);
}

extern "C" void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr || !ensureReady())
    return;
  if (state.memoryPools) {
    check(state.cu.cuMemFreeAsync(toDevice(ptr), toStream(stream)),
          "cuMemFreeAsync");
    return;
  }
  // cuMemFree waits for the work on the device that may still use `ptr`.
  check(state.cu.cuMemFree(toDevice(ptr)), "cuMemFree");
}

extern "C" void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  // In the skipped rest of an abandoned capture, a host destination reads
  // zeros rather than whatever was there (a loop bound read from the device
  // then runs no iteration instead of an arbitrary number).
  if (state.captureAbandoned) {
    if (bytes && !isDeviceMemory(dst))
      memset(dst, 0, bytes);
    return;
  }
  if (!ensureReady() || bytes == 0)
    return;
  if (state.capturing && !isDeviceMemory(dst)) {
    breakCapture("the call copies device memory to the host (a host read of "
                 "a device value), which a graph cannot replay");
    memset(dst, 0, bytes);
    return;
  }
  if (state.capturing && !isDeviceMemory(src)) {
    // Host to device: what the host holds now is what every replay must
    // copy (host values that do not depend on device data are the same at
    // every call), so the graph copies it from a pinned snapshot.
    void *staging = nullptr;
    if (!check(state.cu.cuMemAllocHost(&staging, bytes), "cuMemAllocHost"))
      return;
    memcpy(staging, src, bytes);
    state.capturedStaging.push_back(staging);
    src = staging;
  }
  check(state.cu.cuMemcpyAsync(toDevice(dst), toDevice(src), bytes,
                               toStream(stream)),
        "cuMemcpyAsync");
}

extern "C" void mgpuMemset32(void *dst, unsigned int value, size_t count,
                             void *stream) {
  if (!ensureReady())
    return;
  check(
      state.cu.cuMemsetD32Async(toDevice(dst), value, count, toStream(stream)),
      "cuMemsetD32Async");
}

extern "C" void mgpuMemset16(void *dst, unsigned short value, size_t count,
                             void *stream) {
  if (!ensureReady())
    return;
  check(
      state.cu.cuMemsetD16Async(toDevice(dst), value, count, toStream(stream)),
      "cuMemsetD16Async");
}

extern "C" void mgpuSetDefaultDevice(int32_t device) {
  // Device 0 is the only one used; anything else is reported, not ignored.
  if (device != 0)
    recordError("mgpuSetDefaultDevice(%d): only device 0 is supported", device);
}

//===----------------------------------------------------------------------===//
// Graphs, GEMM logging, facts
//===----------------------------------------------------------------------===//

extern "C" int scancuda_driver_version(void) {
  std::call_once(initOnce, initialize);
  return state.driverVersion;
}

extern "C" const char *scancuda_blas_library(void) {
  std::call_once(initOnce, initialize);
  return state.blasLibrary.c_str();
}

extern "C" int scancuda_memory_pools(void) {
  std::call_once(initOnce, initialize);
  return state.ready && state.memoryPools;
}

extern "C" int scancuda_capture_begin(char *why, size_t len) {
  auto refuse = [&](const char *reason) {
    writeMessage(why, len, reason);
    return 1;
  };
  if (!ensureReady())
    return refuse("the CUDA runtime is not ready");
  const Driver &d = state.cu;
  if (!d.cuStreamBeginCapture || !d.cuStreamEndCapture ||
      !d.cuGraphInstantiateWithFlags || !d.cuGraphLaunch ||
      !d.cuGraphExecDestroy || !d.cuGraphDestroy)
    return refuse("the CUDA driver has no graph capture");
  // Synchronous cuMemAlloc/cuMemFree inside a call would run once, at
  // capture, and not at each replay.
  if (!state.memoryPools)
    return refuse("the device has no memory pools (stream-ordered "
                  "allocation), which captured allocations need");
  if (state.capturing)
    return refuse("a capture is already in progress");
  state.captureBroken.clear();
  state.capturedAllocations.clear();
  state.capturedStaging.clear();
  // Relaxed: the lowered code's own calls (cuPointerGetAttribute, module
  // functions) are not stream work and must not invalidate the capture.
  if (!check(d.cuStreamBeginCapture(state.stream,
                                    CU_STREAM_CAPTURE_MODE_RELAXED),
             "cuStreamBeginCapture"))
    return refuse("cuStreamBeginCapture failed");
  state.capturing = true;
  return 0;
}

namespace {
void freeStaging(std::vector<void *> &staging) {
  for (void *p : staging)
    state.cu.cuMemFreeHost(p);
  staging.clear();
}
} // namespace

extern "C" void *scancuda_capture_end(char *why, size_t len) {
  auto refuse = [&](const std::string &reason) -> void * {
    freeStaging(state.capturedStaging);
    writeMessage(why, len, reason);
    return nullptr;
  };
  if (!state.ready)
    return refuse("the CUDA runtime is not ready");
  state.capturedAllocations.clear();
  state.captureAbandoned = false;
  if (!state.capturing)
    return refuse(state.captureBroken.empty() ? "no capture in progress"
                                              : state.captureBroken);
  state.capturing = false;
  const Driver &d = state.cu;
  CUgraph graph = nullptr;
  CUresult r = d.cuStreamEndCapture(state.stream, &graph);
  if (r != CUDA_SUCCESS || !graph) {
    if (graph)
      d.cuGraphDestroy(graph);
    return refuse(describe("cuStreamEndCapture", r));
  }
  if (failed()) {
    d.cuGraphDestroy(graph);
    return refuse("the call failed while it was captured");
  }
  CUgraphExec exec = nullptr;
  r = d.cuGraphInstantiateWithFlags(&exec, graph, 0);
  d.cuGraphDestroy(graph);
  if (r != CUDA_SUCCESS || !exec)
    return refuse(describe("cuGraphInstantiate", r));
  auto *call = new CapturedCall{exec, std::move(state.capturedStaging)};
  state.capturedStaging.clear();
  return call;
}

extern "C" int scancuda_graph_launch(void *graph) {
  if (!ensureReady() || !graph)
    return 1;
  return check(state.cu.cuGraphLaunch(static_cast<CapturedCall *>(graph)->exec,
                                      state.stream),
               "cuGraphLaunch")
             ? 0
             : 1;
}

extern "C" void scancuda_graph_destroy(void *graph) {
  if (!graph)
    return;
  auto *call = static_cast<CapturedCall *>(graph);
  if (state.ready) {
    // The pinned buffers may still be read by a launch in flight.
    state.cu.cuStreamSynchronize(state.stream);
    state.cu.cuGraphExecDestroy(call->exec);
    freeStaging(call->staging);
  }
  delete call;
}

extern "C" void scancuda_gemm_log_begin(void) {
  state.gemmLog.clear();
  state.loggingGemms = true;
}

extern "C" int scancuda_gemm_log_end(void) {
  state.loggingGemms = false;
  return static_cast<int>(state.gemmLog.size());
}

namespace {
/// Elements an operand of `rows x cols` (column-major, leading dimension ld)
/// spans.
int64_t span(int64_t rows, int64_t cols, int64_t ld) {
  return cols == 0 ? 0 : ld * (cols - 1) + rows;
}
} // namespace

extern "C" float scancuda_gemm_log_replay_ms(int repeat) {
  if (!ensureReady() || state.gemmLog.empty() || repeat < 1)
    return -1;
  // Scratch operands as large as the largest of each: the time depends on
  // the shapes, not on the values.
  int64_t aElems = 0, bElems = 0, cElems = 0;
  for (const LoggedGemm &g : state.gemmLog) {
    bool ta = g.transa == CUBLAS_OP_T, tb = g.transb == CUBLAS_OP_T;
    aElems = std::max(aElems, span(ta ? g.k : g.m, ta ? g.m : g.k, g.lda));
    bElems = std::max(bElems, span(tb ? g.n : g.k, tb ? g.k : g.n, g.ldb));
    cElems = std::max(cElems, span(g.m, g.n, g.ldc));
  }
  const Driver &d = state.cu;
  // Scratch A, B and C, 8 bytes an element (f64 or f32 alike); A and B zeroed.
  CUdeviceptr scratch[3] = {0, 0, 0};
  const int64_t elements[3] = {aElems, bElems, cElems};
  auto free = [&] {
    for (CUdeviceptr p : scratch)
      if (p)
        d.cuMemFree(p);
  };
  for (int i = 0; i < 3; ++i) {
    size_t bytes = 8 * std::max<int64_t>(elements[i], 1);
    if (!check(d.cuMemAlloc(&scratch[i], bytes), "cuMemAlloc") ||
        (i < 2 && !check(d.cuMemsetD8Async(scratch[i], 0, bytes, state.stream),
                         "cuMemsetD8Async"))) {
      free();
      return -1;
    }
  }
  auto issue = [&] {
    bool logging = state.loggingGemms;
    state.loggingGemms = false;
    for (const LoggedGemm &g : state.gemmLog)
      issueGemm(g, reinterpret_cast<void *>(scratch[0]),
                reinterpret_cast<void *>(scratch[1]),
                reinterpret_cast<void *>(scratch[2]));
    state.loggingGemms = logging;
  };
  // One graph of all the GEMMs when graphs work, so that launch overhead is
  // left out as it is for a captured call; direct calls otherwise.
  char why[256];
  void *graph = nullptr;
  if (scancuda_capture_begin(why, sizeof(why)) == 0) {
    issue();
    graph = scancuda_capture_end(why, sizeof(why));
  }
  auto once = [&] {
    if (graph)
      scancuda_graph_launch(graph);
    else
      issue();
  };
  once(); // warm-up
  CUevent start = nullptr, stop = nullptr;
  std::vector<float> times;
  if (check(d.cuEventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate") &&
      check(d.cuEventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate")) {
    for (int i = 0; i < repeat && !failed(); ++i) {
      float ms = -1;
      d.cuEventRecord(start, state.stream);
      once();
      d.cuEventRecord(stop, state.stream);
      if (check(d.cuEventSynchronize(stop), "cuEventSynchronize") &&
          check(d.cuEventElapsedTime(&ms, start, stop), "cuEventElapsedTime"))
        times.push_back(ms);
    }
  }
  if (start)
    d.cuEventDestroy(start);
  if (stop)
    d.cuEventDestroy(stop);
  scancuda_graph_destroy(graph);
  d.cuStreamSynchronize(state.stream);
  free();
  if (times.empty() || failed())
    return -1;
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}
