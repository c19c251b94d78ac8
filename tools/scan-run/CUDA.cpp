//===- CUDA.cpp - running a variant on an NVIDIA GPU ------------*- C++ -*-===//

#include "CUDA.h"
#include "Signature.h"
#include "Variant.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <dlfcn.h>
#include <optional>

using namespace scanrun;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using mlir::scan::runner::fail;
using mlir::scan::runner::oneLine;

static std::optional<CUDARuntime> cuda;

CUDARuntime &scanrun::cudaRuntime() { return *cuda; }

std::string scanrun::cudaRuntimePath(const RunOptions &options) {
  llvm::SmallString<256> path(options.exeDir);
  llvm::sys::path::append(path, "..", "lib", "libScanCUDARuntime.so");
  return path.str().str();
}

Error scanrun::openCUDARuntime(const RunOptions &options) {
  std::string path = cudaRuntimePath(options);
  if (!llvm::sys::fs::exists(path))
    return fail("--target=cuda needs the CUDA runtime '" + path +
                "', which is not there (it is built only where CMake finds "
                "the CUDA toolkit)");
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!handle)
    return fail("cannot load '" + path + "': " + oneLine(dlerror()));
  CUDARuntime rt;
  std::string missing;
  auto bind = [&](auto &fn, const char *name) {
    void *sym = dlsym(handle, name);
    if (!sym && missing.empty())
      missing = name;
    static_assert(sizeof(fn) == sizeof(sym));
    std::memcpy(&fn, &sym, sizeof(sym));
  };
  bind(rt.init, "scancuda_init");
  bind(rt.deviceName, "scancuda_device_name");
  bind(rt.lastError, "scancuda_last_error");
  bind(rt.alloc, "scancuda_alloc");
  bind(rt.free, "scancuda_free");
  bind(rt.copyToDevice, "scancuda_copy_to_device");
  bind(rt.copyToHost, "scancuda_copy_to_host");
  bind(rt.synchronize, "scancuda_synchronize");
  bind(rt.eventCreate, "scancuda_event_create");
  bind(rt.eventRecord, "scancuda_event_record");
  bind(rt.eventElapsedMs, "scancuda_event_elapsed_ms");
  bind(rt.eventDestroy, "scancuda_event_destroy");
  bind(rt.clearError, "scancuda_clear_error");
  bind(rt.captureBegin, "scancuda_capture_begin");
  bind(rt.captureEnd, "scancuda_capture_end");
  bind(rt.graphLaunch, "scancuda_graph_launch");
  bind(rt.graphDestroy, "scancuda_graph_destroy");
  bind(rt.gemmLogBegin, "scancuda_gemm_log_begin");
  bind(rt.gemmLogEnd, "scancuda_gemm_log_end");
  bind(rt.gemmLogReplayMs, "scancuda_gemm_log_replay_ms");
  if (!missing.empty())
    return fail("'" + path + "' does not define " + missing);
  char err[1024] = {0};
  if (rt.init(err, sizeof(err)) != 0) {
    std::string why = oneLine(err);
    if (why.empty())
      why = "scancuda_init failed without a message";
    if (!StringRef(why).starts_with("no CUDA device"))
      why = "no CUDA device: " + why;
    if (!options.cudaWithoutDevice)
      return fail(why);
    llvm::errs() << "scan-run: warning: " << why
                 << " (going on: --cuda-continue-without-device)\n";
  } else {
    rt.device = rt.deviceName();
  }
  cuda = rt;
  return Error::success();
}

namespace {

/// Device buffers, freed together.
class DeviceBuffers {
public:
  DeviceBuffers() = default;
  DeviceBuffers(const DeviceBuffers &) = delete;
  DeviceBuffers &operator=(const DeviceBuffers &) = delete;
  ~DeviceBuffers() {
    for (void *p : ptrs)
      cuda->free(p);
  }
  Expected<void *> alloc(int64_t bytes, const llvm::Twine &what) {
    void *p = cuda->alloc(std::max<int64_t>(bytes, 1));
    if (!p) {
      std::string why = cuda->error();
      return fail("cannot allocate " + llvm::Twine(bytes) +
                  " bytes of device memory for " + what + ": " +
                  (why.empty() ? std::string("out of memory") : why));
    }
    ptrs.push_back(p);
    return p;
  }

private:
  std::vector<void *> ptrs;
};

/// A CUDA event of the runtime's stream.
class DeviceEvent {
public:
  DeviceEvent() : event(cuda->eventCreate()) {}
  DeviceEvent(const DeviceEvent &) = delete;
  DeviceEvent &operator=(const DeviceEvent &) = delete;
  ~DeviceEvent() {
    if (event)
      cuda->eventDestroy(event);
  }
  void record() { cuda->eventRecord(event); }
  void *get() { return event; }

private:
  void *event;
};

} // namespace

Error scanrun::runOnDevice(RunContext &ctx, void (*fn)(void **),
                           ArrayRef<Array> inputs, VariantResult &res,
                           StringRef what) {
  const RunOptions &opts = ctx.options;
  DeviceBuffers buffers;
  std::vector<MemRefDescriptor> descs;
  std::vector<void *> inPtrs, outPtrs;
  for (auto [i, a] : llvm::enumerate(inputs)) {
    auto p = buffers.alloc(a.byteSize(), "input " + llvm::Twine(i));
    if (!p)
      return p.takeError();
    if (cuda->copyToDevice(*p, a.data(), a.byteSize()) != 0)
      return fail("copying input " + llvm::Twine(i) +
                  " to the device failed: " + cuda->error());
    inPtrs.push_back(*p);
    descs.emplace_back(*p, a.shape());
  }
  for (auto [i, a] : llvm::enumerate(res.outputs)) {
    auto p = buffers.alloc(a.byteSize(), "result " + llvm::Twine(i));
    if (!p)
      return p.takeError();
    outPtrs.push_back(*p);
    descs.emplace_back(*p, a.shape());
  }
  Invocation call(fn, std::move(descs));
  auto check = [&](StringRef when) -> Error {
    std::string err = cuda->error();
    if (err.empty())
      return Error::success();
    return fail(what + " failed on the device (" + when + "): " + err);
  };
  // With --allow-input-writes, every input is copied to the device again
  // before each call (synchronously, outside the timed region and never
  // inside a stream capture).
  auto restore = [&]() -> Error {
    if (!opts.allowInputWrites)
      return Error::success();
    for (auto [i, a] : llvm::enumerate(inputs))
      if (cuda->copyToDevice(inPtrs[i], a.data(), a.byteSize()) != 0)
        return fail("restoring input " + llvm::Twine(i) +
                    " on the device failed: " + cuda->error());
    return Error::success();
  };

  // Direct warm-up calls first (at least one before a capture: the first
  // call pays for the memory pool and cuBLAS's first use).
  unsigned directWarmup = std::max(opts.warmup, opts.cudaGraphs ? 1u : 0u);
  for (unsigned i = 0; i < directWarmup; ++i) {
    if (Error e = restore())
      return e;
    call();
    if (Error e = check("warm-up call"))
      return e;
  }
  if (cuda->synchronize() != 0)
    if (Error e = check("synchronising after the warm-up calls"))
      return e;

  // One call captured into a graph, whose replays are then timed.
  void *graph = nullptr;
  res.cudaMode = "direct";
  if (!opts.cudaGraphs) {
    res.cudaDirectWhy = "--cuda-graphs=false";
  } else {
    char why[512] = {0};
    if (cuda->captureBegin(why, sizeof(why)) == 0) {
      call();
      graph = cuda->captureEnd(why, sizeof(why));
    }
    if (graph) {
      res.cudaMode = "graph";
    } else {
      res.cudaDirectWhy = oneLine(why);
      // What the refused capture recorded is not an error of the call,
      // which runs directly from here on.
      cuda->clearError();
      cuda->synchronize();
      cuda->clearError();
    }
  }
  llvm::scope_exit graphGuard([&] {
    if (graph)
      cuda->graphDestroy(graph);
  });
  auto callOnce = [&] {
    if (graph)
      cuda->graphLaunch(graph);
    else
      call();
  };
  if (graph) {
    if (Error e = restore())
      return e;
    callOnce(); // the graph's first launch uploads it
    if (cuda->synchronize() != 0)
      if (Error e = check("first launch of the captured graph"))
        return e;
  }

  // Each timed call: host latency (the call issued until the stream is idle)
  // and the span between CUDA events recorded around it on the stream.
  DeviceEvent start, stop;
  for (unsigned i = 0; i < opts.timedCalls(); ++i) {
    if (Error e = restore())
      return e;
    auto t0 = Clock::now();
    start.record();
    callOnce();
    stop.record();
    float ms = cuda->eventElapsedMs(start.get(), stop.get());
    double latency = since(t0);
    if (Error e = check("timed call"))
      return e;
    if (ms < 0)
      return fail(what + ": timing with CUDA events failed");
    res.times.push_back(latency);
    res.streamSpans.push_back(ms * 1e-3);
  }
  llvm::sort(res.streamSpans);

  // The call's GEMMs alone: one direct call with GEMM logging on, then the
  // logged GEMMs replayed by the runtime.
  if (opts.cudaGemmTime) {
    if (Error e = restore())
      return e;
    cuda->gemmLogBegin();
    call();
    res.gemmCount = cuda->gemmLogEnd();
    if (Error e = check("call logging its GEMMs"))
      return e;
    if (res.gemmCount > 0) {
      float ms = cuda->gemmLogReplayMs(std::max(3u, opts.timedCalls()));
      if (Error e = check("replaying the call's GEMMs"))
        return e;
      res.gemmSec = ms >= 0 ? ms * 1e-3 : -1;
    } else {
      res.gemmSec = 0;
    }
  }

  for (auto [i, a] : llvm::enumerate(res.outputs))
    if (cuda->copyToHost(a.data(), outPtrs[i], a.byteSize()) != 0)
      return fail("copying result " + llvm::Twine(i) +
                  " from the device failed: " + cuda->error());
  for (auto [i, a] : llvm::enumerate(inputs)) {
    Array back(a.dtype(), a.shape());
    if (!back.data())
      return fail("cannot allocate an array of " + a.specStr());
    if (cuda->copyToHost(back.data(), inPtrs[i], a.byteSize()) != 0)
      return fail("copying input " + llvm::Twine(i) +
                  " back from the device failed: " + cuda->error());
    if (std::memcmp(back.data(), a.data(), a.byteSize()) != 0) {
      res.inputsModified = true;
      if (!opts.allowInputWrites)
        return inputWriteError(ctx, what, i, a);
    }
  }
  return Error::success();
}
