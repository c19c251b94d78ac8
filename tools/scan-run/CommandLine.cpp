//===- CommandLine.cpp - scan-run's options ---------------------*- C++ -*-===//
//
// The command-line options of scan-run, parsed once into a RunOptions.
//
//===----------------------------------------------------------------------===//

#include "Options.h"

#include "scan/Runner/Compile.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace scanrun;
namespace cl = llvm::cl;
namespace runner = mlir::scan::runner;
using llvm::Error;

namespace {
cl::OptionCategory runCat("scan-run options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir>"),
                                      cl::Required, cl::cat(runCat));
cl::opt<std::string> entryName("entry", cl::desc("Function to run"),
                                      cl::value_desc("name"), cl::Required,
                                      cl::cat(runCat));
cl::list<std::string>
    inputFiles("input",
               cl::desc("A .npy file per entry argument, in argument order "
                        "(repeat the option; omit all for random inputs)"),
               cl::value_desc("file.npy"), cl::cat(runCat));
cl::opt<uint64_t>
    randomSeed("random-seed",
               cl::desc("Seed of the random inputs; argument i uses seed+i"),
               cl::init(0), cl::cat(runCat));
cl::opt<std::string> randomScale(
    "random-scale",
    cl::desc("Standard deviation of the random normal inputs: one value, or "
             "one per argument separated by commas"),
    cl::init("1e-4"), cl::cat(runCat));
cl::opt<std::string>
    outputDir("output-dir",
              cl::desc("Write the results of the first variant as "
                       "DIR/<entry>.<i>.npy"),
              cl::value_desc("dir"), cl::cat(runCat));
cl::opt<std::string> variantOpt(
    "variant",
    cl::desc("plain = builtin.module(scan-differentiate), optimized = "
             "builtin.module(scan-differentiate,scan-optimize), none = no "
             "passes, or any pass pipeline (LABEL=PIPELINE names it)"),
    cl::init("plain"), cl::cat(runCat));
cl::opt<std::string> compareOpt(
    "compare",
    cl::desc("Run several variants on the same inputs, comma-separated; the "
             "first is the reference; LABEL=PIPELINE names a variant"),
    cl::value_desc("V1,V2,..."), cl::cat(runCat));
cl::opt<Target> targetOpt(
    "target", cl::desc("Where the compiled code runs"),
    cl::values(clEnumValN(Target::CPU, "cpu", "the host CPU (default)"),
               clEnumValN(Target::CUDA, "cuda",
                          "an NVIDIA GPU, through libScanCUDARuntime.so")),
    cl::init(Target::CPU), cl::cat(runCat));
cl::opt<std::string> loweringOpt(
    "lowering",
    cl::desc("Pipeline that lowers the wrapped module to the LLVM dialect "
             "(default scan-lower-to-cpu, scan-lower-to-cuda with "
             "--target=cuda)"),
    cl::init("scan-lower-to-cpu"), cl::cat(runCat));
cl::opt<bool> cudaWithoutDevice(
    "cuda-continue-without-device",
    cl::desc("With --target=cuda: go on after scancuda_init fails, so that "
             "lowering and JIT compilation can be tested without a GPU (the "
             "run then stops at the runtime's first recorded error)"),
    cl::Hidden, cl::cat(runCat));
cl::opt<bool> cudaGraphs(
    "cuda-graphs",
    cl::desc("With --target=cuda: capture one call into a CUDA graph and "
             "time its replays (one launch per call instead of one per "
             "kernel and GEMM); a call that cannot be captured runs directly, "
             "and the report says which mode ran (default on)"),
    cl::init(true), cl::cat(runCat));
cl::opt<bool> cudaGemmTime(
    "cuda-gemm-time",
    cl::desc("With --target=cuda: also time the cuBLAS GEMMs of one call "
             "alone (same shapes, scratch operands, replayed as one graph), "
             "the floor that the call's time is measured against"),
    cl::init(false), cl::cat(runCat));

/// The lowering pipeline: --lowering when given, else the target's.
cl::list<std::string>
    extraLibs("shared-libs", cl::desc("Extra shared libraries for the JIT"),
              cl::CommaSeparated, cl::cat(runCat));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimisation level"),
                                  cl::init(3), cl::Prefix, cl::cat(runCat));
cl::opt<unsigned> warmup("warmup", cl::desc("Untimed calls first"),
                                cl::init(1), cl::cat(runCat));
cl::opt<unsigned> repeat("repeat", cl::desc("Timed calls"),
                                cl::init(5), cl::cat(runCat));
cl::opt<bool> jsonOut("json",
                             cl::desc("Print one JSON object on stdout"),
                             cl::cat(runCat));
cl::opt<double> rtolOpt("rtol",
                            cl::desc("Relative tolerance: |a-b| <= atol + "
                                     "rtol*|ref| (checked for --expect "
                                     "always, for --compare when given)"),
                            cl::init(1e-5), cl::cat(runCat));
cl::opt<double> atolOpt("atol", cl::desc("Absolute tolerance"),
                            cl::init(1e-8), cl::cat(runCat));
cl::list<std::string>
    expectFiles("expect",
                cl::desc("Reference .npy for result i, in result order "
                         "(repeat the option); a mismatch exits 1"),
                cl::value_desc("ref.npy"), cl::cat(runCat));
cl::opt<bool> checkGrad(
    "check-grad",
    cl::desc("Check the entry's gradients (of its single scan.grad, or of "
             "--fd-callee) against central finite differences"),
    cl::cat(runCat));
cl::opt<std::string> fdCallee(
    "fd-callee",
    cl::desc("With --check-grad: the entry takes the arguments of this "
             "function and returns its gradients w.r.t. --fd-wrt"),
    cl::value_desc("name"), cl::cat(runCat));
cl::list<unsigned> fdWrt("fd-wrt",
                                cl::desc("Argument indices for --fd-callee"),
                                cl::CommaSeparated, cl::cat(runCat));
cl::opt<double> fdRtol(
    "fd-rtol",
    cl::desc("Largest accepted max|g-fd|/max|fd| (default 1e-6 at f64, "
             "1e-2 at f32)"),
    cl::cat(runCat));
cl::opt<double>
    fdStep("fd-step",
           cl::desc("Finite-difference step relative to max(1,|x|) (default "
                    "1e-6 at f64, 1e-2 at f32)"),
           cl::cat(runCat));
cl::opt<bool> allowNonFinite(
    "allow-non-finite",
    cl::desc("Run on .npy inputs holding NaN or infinite values (refused "
             "otherwise)"),
    cl::cat(runCat));
cl::opt<bool> allowAnyInput(
    "allow-any-input",
    cl::desc("Run a trusted program that holds ops outside the dialects of "
             "scan programs (llvm.*, memref.*, external declarations, ...); "
             "the compiled code still links only the runtime libraries and "
             "libm"),
    cl::cat(runCat));
cl::opt<bool> allowInputWrites(
    "allow-input-writes",
    cl::desc("Run a variant whose compiled code writes into its input "
             "buffers (an error otherwise): the inputs are then restored "
             "before every call, outside the timed region"),
    cl::cat(runCat));
cl::opt<bool> checkRepeatable(
    "check-repeatable",
    cl::desc("Fail unless every call of a variant (warm-up and timed) gives "
             "results bitwise equal to its first call's (CPU only)"),
    cl::cat(runCat));
cl::opt<unsigned> fdMaxElements(
    "fd-max-elements",
    cl::desc("Check at most this many evenly spaced elements per gradient "
             "(0: all)"),
    cl::init(0), cl::cat(runCat));
} // namespace

static std::string fmtNumber(double d) {
  if (std::isnan(d))
    return "nan";
  return llvm::formatv("{0}", llvm::format("%.4g", d)).str();
}

/// Refuses option values that parse but make no sense.
static Error checkOptionValues() {
  auto nonNegative = [](cl::opt<double> &o) -> Error {
    if (std::isfinite(o) && o >= 0)
      return Error::success();
    return runner::fail("--" + o.ArgStr + "=" + fmtNumber(o) +
                        ": must be a finite non-negative number");
  };
  auto positive = [](cl::opt<double> &o) -> Error {
    if (!o.getNumOccurrences() || (std::isfinite(o) && o > 0))
      return Error::success();
    return runner::fail("--" + o.ArgStr + "=" + fmtNumber(o) +
                        ": must be a finite positive number");
  };
  if (Error e = nonNegative(rtolOpt))
    return e;
  if (Error e = nonNegative(atolOpt))
    return e;
  if (Error e = positive(fdRtol))
    return e;
  if (Error e = positive(fdStep))
    return e;
  if (optLevel > 3)
    return runner::fail("-O" + llvm::Twine(optLevel.getValue()) +
                        ": the optimisation level must be 0, 1, 2 or 3");
  if (!fdWrt.empty() && fdCallee.empty())
    return runner::fail("--fd-wrt needs --fd-callee");
  return Error::success();
}

bool scanrun::parseCommandLine(int argc, char **argv, RunOptions &options) {
  runner::initializeOnce();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  cl::HideUnrelatedOptions(runCat);
  // Command-line errors become one `scan-run: error:` line like the others.
  // The parser reports some errors to the stream given here and bad option
  // values straight to stderr, sometimes over several lines: both are
  // captured while parsing.
  std::string cliErrors;
  llvm::raw_string_ostream cliErrorStream(cliErrors);
  bool parsed = false;
  std::string direct = runner::captureStderr([&] {
    parsed = cl::ParseCommandLineOptions(
        argc, argv,
        "scan-run: JIT-compile and run a function of a scan-mlir program\n\n"
        "  --help-hidden also lists the MLIR options, e.g. --mlir-timing "
        "and\n  --mlir-print-ir-after-all.\n",
        &cliErrorStream);
  });
  if (!parsed) {
    std::string why = runner::firstLine(direct);
    if (why.empty())
      why = runner::firstLine(cliErrors);
    llvm::errs() << "scan-run: error: " << why << "\n";
    return false;
  }
  llvm::errs() << direct;
  if (Error e = checkOptionValues()) {
    llvm::errs() << "scan-run: error: "
                 << runner::oneLine(llvm::toString(std::move(e))) << "\n";
    return false;
  }

  options.inputFile = inputFile;
  options.entryName = entryName;
  options.inputFiles.assign(inputFiles.begin(), inputFiles.end());
  options.randomSeed = randomSeed;
  options.randomScale = randomScale;
  options.outputDir = outputDir;
  options.variant = variantOpt;
  options.compare = compareOpt;
  options.target = targetOpt;
  if (loweringOpt.getNumOccurrences())
    options.lowering = loweringOpt.getValue();
  options.cudaWithoutDevice = cudaWithoutDevice;
  options.cudaGraphs = cudaGraphs;
  options.cudaGemmTime = cudaGemmTime;
  options.extraLibs.assign(extraLibs.begin(), extraLibs.end());
  options.optLevel = optLevel;
  options.warmup = warmup;
  options.repeat = repeat;
  options.json = jsonOut;
  options.rtol = rtolOpt;
  options.atol = atolOpt;
  options.tolerancesGiven =
      rtolOpt.getNumOccurrences() > 0 || atolOpt.getNumOccurrences() > 0;
  options.expectFiles.assign(expectFiles.begin(), expectFiles.end());
  options.checkGrad = checkGrad;
  options.fdCallee = fdCallee;
  options.fdWrt.assign(fdWrt.begin(), fdWrt.end());
  if (fdRtol.getNumOccurrences())
    options.fdRtol = fdRtol.getValue();
  if (fdStep.getNumOccurrences())
    options.fdStep = fdStep.getValue();
  options.fdMaxElements = fdMaxElements;
  options.allowNonFinite = allowNonFinite;
  options.allowAnyInput = allowAnyInput;
  options.allowInputWrites = allowInputWrites;
  options.checkRepeatable = checkRepeatable;
  return true;
}
