//===- CUDARuntime.cpp - the scan-mlir CUDA runtime -------------*- C++ -*-===//
//
// Implements CUDARuntime.h on the CUDA driver API and cuBLAS, both opened
// with dlopen so that the library itself never fails to load.
//
//===----------------------------------------------------------------------===//

#include "CUDARuntime.h"

#include <cublas_api.h>
#include <cuda.h>

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mutex>
#include <string>

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

/// Loads every driver function through cuGetProcAddress, which resolves the
/// versioned symbol matching the headers we were compiled against.
bool loadDriver(std::string &why) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    const char *err = dlerror();
    why = std::string("no CUDA device: the CUDA driver (libcuda.so.1) "
                      "cannot be loaded: ") +
          (err ? err : "unknown dlopen error");
    return false;
  }
  auto getProc =
      reinterpret_cast<GetProcAddressFn>(dlsym(lib, "cuGetProcAddress_v2"));
  if (!getProc) {
    why = "no CUDA device: the CUDA driver is too old (no "
          "cuGetProcAddress_v2; CUDA 12 or newer is needed)";
    return false;
  }
  bool ok = true;
  auto load = [&](auto &fn, const char *name) {
    void *p = nullptr;
    CUdriverProcAddressQueryResult found;
    if (getProc(name, &p, CUDA_VERSION, CU_GET_PROC_ADDRESS_DEFAULT, &found) !=
            CUDA_SUCCESS ||
        !p) {
      if (ok)
        why = std::string("the CUDA driver lacks ") + name;
      ok = false;
      return;
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
  };
  Driver &d = state.cu;
  load(d.cuInit, "cuInit");
  load(d.cuGetErrorName, "cuGetErrorName");
  load(d.cuGetErrorString, "cuGetErrorString");
  load(d.cuDeviceGetCount, "cuDeviceGetCount");
  load(d.cuDeviceGet, "cuDeviceGet");
  load(d.cuDeviceGetName, "cuDeviceGetName");
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
  load(d.cuMemAllocAsync, "cuMemAllocAsync");
  load(d.cuMemFreeAsync, "cuMemFreeAsync");
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
  return ok;
}

bool loadBlas(std::string &why) {
  void *lib = dlopen("libcublas.so.13", RTLD_NOW | RTLD_GLOBAL);
  if (!lib)
    lib = dlopen(SCANCUDA_TOOLKIT_LIB_DIR "/libcublas.so.13",
                 RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    const char *err = dlerror();
    why = std::string("cuBLAS (libcublas.so.13) cannot be loaded: ") +
          (err ? err : "unknown dlopen error");
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
  if (failed())
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

} // namespace

//===----------------------------------------------------------------------===//
// scan-run interface
//===----------------------------------------------------------------------===//

extern "C" int scancuda_init(char *err, size_t len) {
  std::call_once(initOnce, initialize);
  if (state.ready)
    return 0;
  if (err && len) {
    strncpy(err, state.initError.c_str(), len - 1);
    err[len - 1] = '\0';
  }
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
} // namespace

extern "C" void scancuda_sgemm(int32_t transa, int32_t transb, int64_t m,
                               int64_t n, int64_t k, float alpha,
                               const float *a, int64_t lda, const float *b,
                               int64_t ldb, float beta, float *c, int64_t ldc) {
  if (!ensureReady() || !checkGemmShape("sgemm", m, n, k, lda, ldb, ldc))
    return;
  checkBlas(state.blas.sgemm(state.handle, toOp(transa), toOp(transb), m, n, k,
                             &alpha, a, lda, b, ldb, &beta, c, ldc),
            "cublasSgemm");
}

extern "C" void scancuda_dgemm(int32_t transa, int32_t transb, int64_t m,
                               int64_t n, int64_t k, double alpha,
                               const double *a, int64_t lda, const double *b,
                               int64_t ldb, double beta, double *c,
                               int64_t ldc) {
  if (!ensureReady() || !checkGemmShape("dgemm", m, n, k, lda, ldb, ldc))
    return;
  checkBlas(state.blas.dgemm(state.handle, toOp(transa), toOp(transb), m, n, k,
                             &alpha, a, lda, b, ldb, &beta, c, ldc),
            "cublasDgemm");
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
  } else if (!check(state.cu.cuMemAllocAsync(&ptr, bytes, toStream(stream)),
                    "cuMemAllocAsync")) {
    return nullptr;
  }
  return reinterpret_cast<void *>(ptr);
}

extern "C" void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr || !ensureReady())
    return;
  check(state.cu.cuMemFreeAsync(toDevice(ptr), toStream(stream)),
        "cuMemFreeAsync");
}

extern "C" void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (!ensureReady() || bytes == 0)
    return;
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
