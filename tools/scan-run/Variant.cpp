//===- Variant.cpp - compile and time one variant of an entry ---*- C++ -*-===//

#include "Variant.h"
#include "CUDA.h"
#include "Flops.h"

#include "scan/Runner/Compile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <sys/resource.h>

using namespace mlir;
using namespace scanrun;
using namespace mlir::scan::runner;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

double scanrun::since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double scanrun::medianOf(const std::vector<double> &v) {
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Error scanrun::inputWriteError(const RunContext &ctx, StringRef what, size_t i,
                               const Array &input) {
  return fail(what + " wrote into input " + llvm::Twine(i) + " (" +
              input.specStr() + ") of @" + ctx.options.entryName +
              "; pass --allow-input-writes to run it anyway, with the inputs "
              "restored before every call");
}

Error scanrun::runToolPipeline(RunContext &ctx, ModuleOp module,
                               StringRef pipeline, StringRef what,
                               TimingScope &timing) {
  return runPipeline(module, pipeline, what, ctx.diagnostics,
                     [&](PassManager &pm) -> Error {
                       if (failed(applyPassManagerCLOptions(pm)))
                         return fail(what + ": bad pass manager options");
                       pm.enableTiming(timing);
                       return Error::success();
                     });
}

Expected<Jitted> scanrun::jitForTarget(RunContext &ctx, ModuleOp module,
                                       llvm::ArrayRef<std::string> wrapped) {
  const RunOptions &opts = ctx.options;
  for (const std::string &lib : opts.extraLibs)
    if (!llvm::sys::fs::exists(lib))
      return fail("shared library '" + lib + "' does not exist");
  SmallVector<std::string> libs;
  // The lowered code of the CUDA target calls the mgpu* functions and
  // scancuda_*gemm of the CUDA runtime; its module constructor loads the
  // kernels, so the library must be there before initialize().
  if (opts.target == Target::CUDA)
    libs.push_back(cudaRuntimePath(opts));
  libs.append(cpuRuntimeLibraries());
  libs.append(opts.extraLibs.begin(), opts.extraLibs.end());
  auto jit =
      jitCompile(module, wrapped, libs, opts.optLevel, ctx.diagnostics);
  if (!jit)
    return jit.takeError();
  // The module constructor has loaded the kernels on the device.
  if (opts.target == Target::CUDA) {
    std::string err = cudaRuntime().error();
    if (!err.empty())
      return fail("loading the compiled code on the device failed: " + err);
  }
  return std::move(*jit);
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// Reads a "VmXXX:  N kB" line of /proc/self/status, in MiB.
static std::optional<double> procStatusMiB(StringRef key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    StringRef l(line);
    if (!l.consume_front(key) || !l.consume_front(":"))
      continue;
    uint64_t kb;
    if (l.trim().split(' ').first.getAsInteger(10, kb))
      return std::nullopt;
    return kb / 1024.0;
  }
  return std::nullopt;
}

/// Resets the peak resident set size of the process (Linux >= 4.0).
static bool resetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out)
    return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

static double maxRssMiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

//===----------------------------------------------------------------------===//
// Variants
//===----------------------------------------------------------------------===//

/// Compiles and runs one variant.
Expected<VariantResult> scanrun::runVariant(RunContext &ctx, ModuleOp source,
                                            StringRef variant,
                                            const Signature &sig,
                                            std::vector<Array> &inputs,
                                            TimingScope &timing) {
  const RunOptions &opts = ctx.options;
  VariantResult res;
  res.name = splitLabel(variant).first;
  res.pipeline = variantPipeline(variant);
  std::string what = "variant '" + res.name + "'";
  OwningOpRef<ModuleOp> module(source.clone());

  auto t0 = Clock::now();
  {
    TimingScope scope = timing.nest("variant " + res.name);
    if (Error e = runToolPipeline(ctx, *module, res.pipeline, what, scope))
      return std::move(e);
  }
  res.variantSec = since(t0);

  auto entry =
      lookupFunc(*module, opts.entryName, " after the " + what + " pipeline");
  if (!entry)
    return entry.takeError();
  auto newSig = signatureOf(*entry);
  if (!newSig)
    return newSig.takeError();
  auto sameSpecs = [](ArrayRef<ArraySpec> a, ArrayRef<ArraySpec> b) {
    return a.size() == b.size() &&
           llvm::all_of(llvm::zip(a, b), [](auto p) {
             return std::get<0>(p).str() == std::get<1>(p).str() &&
                    std::get<0>(p).scalar == std::get<1>(p).scalar;
           });
  };
  if (!sameSpecs(newSig->args, sig.args) ||
      !sameSpecs(newSig->results, sig.results))
    return fail(what + " changed the signature of @" + opts.entryName);
  if (Error e = checkValueSizes(*module, *entry))
    return std::move(e);
  res.gflop = countFlops(*entry) * 1e-9;
  if (Error e = buildWrapper(*module, *entry))
    return std::move(e);

  t0 = Clock::now();
  {
    TimingScope scope = timing.nest("lowering " + res.name);
    if (Error e = runToolPipeline(ctx, *module,
                                  variantPipeline(opts.loweringName()),
                                  "lowering '" + opts.loweringName() + "'",
                                  scope))
      return std::move(e);
  }
  res.loweringSec = since(t0);
  if (Error e = checkCInterface(*module, opts.entryName,
                                sig.args.size() + sig.results.size()))
    return std::move(e);

  t0 = Clock::now();
  Jitted jit;
  {
    TimingScope scope = timing.nest("JIT " + res.name);
    auto j = jitForTarget(ctx, *module, {opts.entryName});
    if (!j)
      return j.takeError();
    jit = std::move(*j);
  }
  res.jitSec = since(t0);
  res.translatedInstructions = jit.translatedInstructions;
  res.optimizedInstructions = jit.optimizedInstructions;

  bool onDevice = opts.target == Target::CUDA;
  std::vector<Array> pristine;
  if (!onDevice)
    for (const Array &a : inputs) {
      pristine.push_back(a.clone());
      if (!pristine.back().data())
        return fail("cannot allocate a copy of an input (" + a.specStr() +
                    ")");
    }
  // After every call: an input the call wrote into is an error, or, with
  // --allow-input-writes, is noted and restored, so that the next call sees
  // the same inputs as the first.
  auto checkInputs = [&]() -> Error {
    for (size_t i = 0; i < pristine.size(); ++i) {
      if (std::memcmp(inputs[i].data(), pristine[i].data(),
                      inputs[i].byteSize()) == 0)
        continue;
      res.inputsModified = true;
      std::memcpy(inputs[i].data(), pristine[i].data(), inputs[i].byteSize());
      if (!opts.allowInputWrites)
        return inputWriteError(ctx, what, i, inputs[i]);
    }
    return Error::success();
  };
  auto outputs = allocate(sig.results);
  if (!outputs)
    return outputs.takeError();
  res.outputs = std::move(*outputs);

  double rssBefore = procStatusMiB("VmRSS").value_or(0);
  res.peakIsPerVariant = resetPeakRss();
  if (onDevice) {
    if (Error e = runOnDevice(ctx, jit.fns[opts.entryName], inputs, res, what))
      return std::move(e);
  } else {
    Invocation call(jit.fns[opts.entryName], inputs, res.outputs);
    // With --check-repeatable: the first call's results, against which every
    // later call's are compared bit for bit (outside the timed region).
    std::vector<Array> firstResults;
    unsigned callNumber = 0;
    auto afterCall = [&]() -> Error {
      ++callNumber;
      if (Error e = checkInputs())
        return e;
      if (!opts.checkRepeatable)
        return Error::success();
      if (callNumber == 1) {
        for (const Array &r : res.outputs)
          firstResults.push_back(r.clone());
        return Error::success();
      }
      for (size_t k = 0; k < res.outputs.size(); ++k)
        if (std::memcmp(res.outputs[k].data(), firstResults[k].data(),
                        res.outputs[k].byteSize()) != 0)
          return fail(what + ": call " + llvm::Twine(callNumber) +
                      " gave result " + llvm::Twine(k) +
                      " not bitwise equal to the first call's "
                      "(--check-repeatable)");
      return Error::success();
    };
    for (unsigned i = 0; i < opts.warmup; ++i) {
      call();
      if (Error e = afterCall())
        return std::move(e);
    }
    for (unsigned i = 0; i < opts.timedCalls(); ++i) {
      auto start = Clock::now();
      call();
      res.times.push_back(since(start));
      if (Error e = afterCall())
        return std::move(e);
    }
    res.repeatableCalls = opts.checkRepeatable ? callNumber : 0;
  }
  std::optional<double> hwm =
      res.peakIsPerVariant ? procStatusMiB("VmHWM") : std::nullopt;
  res.peakIsPerVariant = hwm.has_value();
  res.peakRssMiB = hwm ? *hwm : maxRssMiB();
  res.callExtraMiB = std::max(0.0, res.peakRssMiB - rssBefore);
  llvm::sort(res.times);
  return res;
}
