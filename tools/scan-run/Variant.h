//===- Variant.h - compile and time one variant of an entry -----*- C++ -*-===//
//
// A variant is a pipeline applied to the program before the entry is
// wrapped, lowered, JIT-compiled and called: its timings, memory and
// outputs.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUN_VARIANT_H
#define SCAN_RUN_VARIANT_H

#include "Array.h"
#include "Options.h"
#include "Signature.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include <chrono>
#include <string>
#include <vector>

namespace scanrun {

using Clock = std::chrono::steady_clock;
/// Seconds since `t0`.
double since(Clock::time_point t0);

/// The median of sorted, non-empty `v`.
double medianOf(const std::vector<double> &v);

struct OutputDiff {
  Difference diff;
  bool checked = false;
};

struct VariantResult {
  std::string name, pipeline;
  double variantSec = 0, loweringSec = 0, jitSec = 0;
  /// LLVM IR instructions the JIT compiled, as translated and optimised.
  unsigned translatedInstructions = 0, optimizedInstructions = 0;
  double gflop = 0;
  std::vector<double> times; // seconds, sorted
  /// --target=cuda: how the calls ran ("graph", or "direct" with why), the
  /// time between CUDA events recorded on the stream around each call
  /// (seconds, sorted; the device's busy time plus any gaps in which it
  /// waited for the host), and the call's cuBLAS GEMMs alone.
  std::string cudaMode, cudaDirectWhy;
  std::vector<double> streamSpans;
  int gemmCount = -1;
  double gemmSec = -1;
  double peakRssMiB = 0, callExtraMiB = 0;
  bool peakIsPerVariant = false;
  std::vector<Array> outputs;
  std::vector<OutputDiff> vsRef;    // per output, vs the first variant
  std::vector<OutputDiff> vsExpect; // per --expect file
  bool inputsModified = false;
  /// With --check-repeatable: how many calls gave bitwise-equal results.
  unsigned repeatableCalls = 0;
  double min() const { return times.front(); }
  double max() const { return times.back(); }
  double median() const { return medianOf(times); }
};

/// The error for a variant whose compiled code wrote into input `i`.
llvm::Error inputWriteError(const RunContext &ctx, llvm::StringRef what,
                            size_t i, const Array &input);

/// Parses and runs `pipeline` on `module` with the pass manager options of
/// the command line and `timing`; `what` names it in errors.
llvm::Error runToolPipeline(RunContext &ctx, mlir::ModuleOp module,
                            llvm::StringRef pipeline, llvm::StringRef what,
                            mlir::TimingScope &timing);

/// JIT-compiles a lowered module for the target with the runtime libraries
/// and --shared-libs, looking up the wrapper of each of `wrapped`.
llvm::Expected<mlir::scan::runner::Jitted>
jitForTarget(RunContext &ctx, mlir::ModuleOp module,
             llvm::ArrayRef<std::string> wrapped);

/// Compiles and runs one variant of the entry on `inputs`.
llvm::Expected<VariantResult> runVariant(RunContext &ctx, mlir::ModuleOp source,
                                         llvm::StringRef variant,
                                         const Signature &sig,
                                         std::vector<Array> &inputs,
                                         mlir::TimingScope &timing);

} // namespace scanrun

#endif // SCAN_RUN_VARIANT_H
