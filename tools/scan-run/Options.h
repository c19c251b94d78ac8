//===- Options.h - what scan-run was asked to do ----------------*- C++ -*-===//
//
// The command line of scan-run as a plain struct, filled once by
// CommandLine.cpp and passed down to the parts of the tool, none of which
// reads a global option.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUN_OPTIONS_H
#define SCAN_RUN_OPTIONS_H

#include "scan/Runner/Compile.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scanrun {

enum class Target { CPU, CUDA };

struct RunOptions {
  std::string inputFile;
  std::string entryName;
  /// One .npy per argument; empty for random inputs.
  std::vector<std::string> inputFiles;
  uint64_t randomSeed = 0;
  /// One scale, or one per argument, comma-separated.
  std::string randomScale = "1e-4";
  std::string outputDir;
  std::string variant = "plain";
  /// Comma-separated variants; empty to run `variant` alone.
  std::string compare;
  Target target = Target::CPU;
  /// The lowering pipeline when given with --lowering.
  std::optional<std::string> lowering;
  bool cudaWithoutDevice = false;
  bool cudaGraphs = true;
  bool cudaGemmTime = false;
  std::vector<std::string> extraLibs;
  unsigned optLevel = 3;
  unsigned warmup = 1;
  unsigned repeat = 5;
  bool json = false;
  double rtol = 1e-5;
  double atol = 1e-8;
  /// --rtol or --atol given: --compare then checks the tolerance.
  bool tolerancesGiven = false;
  std::vector<std::string> expectFiles;
  bool checkGrad = false;
  std::string fdCallee;
  std::vector<unsigned> fdWrt;
  std::optional<double> fdRtol;
  std::optional<double> fdStep;
  unsigned fdMaxElements = 0;
  bool allowNonFinite = false;
  bool allowAnyInput = false;
  bool allowInputWrites = false;
  /// Every call's results must equal the first call's bit for bit.
  bool checkRepeatable = false;
  /// Directory of the scan-run binary (the CUDA runtime is in ../lib).
  std::string exeDir;

  /// The lowering pipeline: --lowering when given, else the target's.
  std::string loweringName() const {
    if (lowering)
      return *lowering;
    return target == Target::CUDA ? "scan-lower-to-cuda" : "scan-lower-to-cpu";
  }
  /// Timed calls (at least one).
  unsigned timedCalls() const { return repeat ? repeat : 1; }
};

/// Parses the command line into `options`. On failure prints one
/// `scan-run: error:` line and returns false.
bool parseCommandLine(int argc, char **argv, RunOptions &options);

/// What the parts of a run share: its options and the context's collected
/// diagnostics.
struct RunContext {
  const RunOptions &options;
  mlir::scan::runner::DiagnosticCollector &diagnostics;
};

} // namespace scanrun

#endif // SCAN_RUN_OPTIONS_H
