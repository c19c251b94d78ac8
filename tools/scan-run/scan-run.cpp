//===- scan-run.cpp - JIT runner for scan-mlir programs ---------*- C++ -*-===//
//
// Runs one function of a .mlir file on the CPU or, with --target=cuda, on an
// NVIDIA GPU: applies a variant pipeline (plain, optimized, or any pass
// pipeline), wraps the entry so every result is a tensor returned through an
// out-parameter, lowers with a lowering pipeline (scan-lower-to-cpu, or
// scan-lower-to-cuda for the GPU, by default), JIT-compiles the host code at
// -O3, and calls it on inputs read from .npy files or drawn from a seeded
// normal distribution. It times the call, counts GFLOP from the tensor IR,
// compares variants and reference arrays, writes outputs as .npy files and
// checks gradients against central finite differences (CPU only).
//
// The compile steps are the runner library's (scan/Runner/Compile.h); this
// file reads the inputs, runs the variants and checks, and hands the results
// to Report.cpp. Options.h (the command line), Signature.h, Variant.h,
// CUDA.h and GradCheck.h hold the rest.
//
//===----------------------------------------------------------------------===//

#include "Array.h"
#include "CUDA.h"
#include "GradCheck.h"
#include "Options.h"
#include "Report.h"
#include "Signature.h"
#include "Variant.h"

#include "scan/Runner/Compile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <string>
#include <vector>

using namespace mlir;
using namespace scanrun;
using namespace mlir::scan::runner;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

static Expected<std::vector<Array>> makeInputs(const RunOptions &opts,
                                               const Signature &sig,
                                               std::vector<std::string> &src) {
  std::vector<Array> inputs;
  size_t n = sig.args.size();
  if (!opts.inputFiles.empty()) {
    if (opts.inputFiles.size() != n)
      return fail("@" + opts.entryName + " takes " + llvm::Twine(n) +
                  " arguments but " + llvm::Twine(opts.inputFiles.size()) +
                  " --input files were given");
    for (size_t i = 0; i < n; ++i) {
      auto a = readNpy(opts.inputFiles[i]);
      if (!a)
        return a.takeError();
      const ArraySpec &spec = sig.args[i];
      if (a->dtype() != spec.element)
        return fail("'" + opts.inputFiles[i] + "' holds " + elementTypeName(a->dtype()) +
                    " but argument " + llvm::Twine(i) + " of @" + opts.entryName +
                    " is " + spec.str());
      if (a->shape() != ArrayRef<int64_t>(spec.shape))
        return fail("'" + opts.inputFiles[i] + "' has shape " + a->specStr() +
                    " but argument " + llvm::Twine(i) + " of @" + opts.entryName +
                    " is " + spec.str());
      NonFinite nf = countNonFinite(*a);
      if (nf.any() && !opts.allowNonFinite)
        return fail("'" + opts.inputFiles[i] + "' holds non-finite values (" +
                    llvm::Twine(nf.nan) + " NaN, " + llvm::Twine(nf.inf) +
                    " infinite, the first at flat index " +
                    llvm::Twine(nf.first) +
                    "); pass --allow-non-finite to run on them anyway");
      inputs.push_back(std::move(*a));
      src.push_back(opts.inputFiles[i]);
    }
    return inputs;
  }
  SmallVector<double> scales;
  for (StringRef s : llvm::split(StringRef(opts.randomScale), ',')) {
    double d;
    if (s.trim().getAsDouble(d))
      return fail("--random-scale: '" + s + "' is not a number");
    if (!std::isfinite(d) || d < 0)
      return fail("--random-scale: '" + s +
                  "' is not a finite non-negative number");
    scales.push_back(d);
  }
  if (scales.size() != 1 && scales.size() != n)
    return fail("--random-scale has " + llvm::Twine(scales.size()) +
                " values but @" + opts.entryName + " takes " + llvm::Twine(n) +
                " arguments");
  for (size_t i = 0; i < n; ++i) {
    Array a(sig.args[i].element, sig.args[i].shape);
    if (!a.data())
      return fail("cannot allocate argument " + llvm::Twine(i) + " of @" +
                  opts.entryName + " (" + sig.args[i].str() + ")");
    double scale = scales[scales.size() == 1 ? 0 : i];
    fillRandomNormal(a, opts.randomSeed + i, scale);
    inputs.push_back(std::move(a));
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "normal(0, " << scale << "), seed " << opts.randomSeed + i;
    src.push_back(s);
  }
  return inputs;
}

//===----------------------------------------------------------------------===//
// The run
//===----------------------------------------------------------------------===//

static Error run(const RunOptions &opts, int &exitCode) {
  auto tStart = Clock::now();
  // The output directory is made first, so a bad one fails before the run.
  if (!opts.outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(opts.outputDir))
      return fail("cannot create '" + opts.outputDir + "': " + ec.message());
    if (!llvm::sys::fs::is_directory(opts.outputDir))
      return fail("--output-dir '" + opts.outputDir + "' is not a directory");
  }
  if (opts.target == Target::CUDA) {
    if (opts.checkGrad)
      return fail("--check-grad runs on the CPU only (--target=cpu); on "
                  "CUDA, compare the gradients with --expect against a CPU "
                  "run");
    if (opts.checkRepeatable)
      return fail("--check-repeatable runs on the CPU only (--target=cpu)");
    if (Error e = openCUDARuntime(opts))
      return e;
  }
  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  TimingScope timing = tm.getRootScope();

  DialectRegistry registry;
  registerRunnerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  DiagnosticCollector diagnostics(&context, [](const std::string &warning) {
    llvm::errs() << "scan-run: warning: " << warning << "\n";
  });
  RunContext ctx{opts, diagnostics};

  // Parse.
  OwningOpRef<ModuleOp> source;
  {
    TimingScope scope = timing.nest("parse");
    std::string errorMessage;
    auto file = openInputFile(opts.inputFile, &errorMessage);
    if (!file)
      return fail("cannot read '" + opts.inputFile + "': " + oneLine(errorMessage));
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    source = parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
    if (!source)
      return fail("cannot parse '" + opts.inputFile +
                  "': " + diagnostics.take("parse error"));
  }
  auto entry = lookupFunc(*source, opts.entryName, " in '" + opts.inputFile + "'");
  if (!entry)
    return entry.takeError();
  auto sig = signatureOf(*entry);
  if (!sig)
    return sig.takeError();
  if (Error e = opts.allowAnyInput
                    ? Error::success()
                    : checkInputAllowed(*source, "pass --allow-any-input to "
                                                 "run a trusted program"))
    return e;
  if (Error e = checkSignatureMemory(*sig, opts.entryName))
    return e;
  if (Error e = checkValueSizes(*source, *entry))
    return e;

  // Inputs.
  std::vector<std::string> inputSources;
  auto inputsOr = makeInputs(opts, *sig, inputSources);
  if (!inputsOr)
    return inputsOr.takeError();
  std::vector<Array> inputs = std::move(*inputsOr);

  std::vector<Array> expected;
  if (opts.expectFiles.size() > sig->results.size())
    return fail(llvm::Twine(opts.expectFiles.size()) +
                " --expect files but @" + opts.entryName + " has " +
                llvm::Twine(sig->results.size()) + " results");
  for (auto [i, path] : llvm::enumerate(opts.expectFiles)) {
    auto a = readNpy(path);
    if (!a)
      return a.takeError();
    const ArraySpec &spec = sig->results[i];
    // An f64 reference may check an f32 result (the f32 program run on the
    // same inputs rounded to f32: random inputs are drawn in f64).
    bool widerReference = a->dtype() == ElementType::F64 && spec.element == ElementType::F32;
    if ((a->dtype() != spec.element && !widerReference) ||
        a->shape() != ArrayRef<int64_t>(spec.shape))
      return fail("'" + path + "' is " + a->specStr() + " but result " +
                  llvm::Twine(i) + " of @" + opts.entryName + " is " + spec.str());
    expected.push_back(std::move(*a));
  }

  // Variants.
  SmallVector<std::string> variants =
      opts.compare.empty() ? SmallVector<std::string>{opts.variant}
                           : splitTopLevel(opts.compare);
  // Check every pipeline parses before compiling anything.
  for (const std::string &v : variants) {
    if (variantPipeline(v).empty())
      continue;
    auto parsed = parsePipeline(variantPipeline(v), "variant '" + v + "'");
    if (!parsed)
      return parsed.takeError();
  }
  if (!variantPipeline(opts.loweringName()).empty()) {
    auto parsed = parsePipeline(variantPipeline(opts.loweringName()),
                                "lowering '" + opts.loweringName() + "'");
    if (!parsed)
      return parsed.takeError();
  }

  std::optional<GradSetup> grad;
  std::vector<Array> fds;
  double gradTol = 0;
  if (opts.checkGrad) {
    auto g = prepareGradCheck(ctx, *source, *sig, timing);
    if (!g)
      return g.takeError();
    grad = std::move(*g);
    bool anyF32 = grad->calleeSig.results[0].element == ElementType::F32;
    for (int64_t w : grad->wrt)
      anyF32 |= grad->calleeSig.args[w].element == ElementType::F32;
    gradTol = opts.fdRtol ? *opts.fdRtol : anyF32 ? 1e-2 : 1e-6;
    if (anyF32)
      llvm::errs() << "scan-run: warning: finite differences in f32 are "
                      "loose; use f64 programs for tight checks\n";
    TimingScope scope = timing.nest("finite differences");
    auto f = finiteDifferences(opts, *grad, inputs);
    if (!f)
      return f.takeError();
    fds = std::move(*f);
  }

  std::vector<VariantResult> results;
  bool compareChecked = opts.tolerancesGiven;
  bool failed = false;
  std::vector<std::string> failures;
  for (const std::string &v : variants) {
    auto r = runVariant(ctx, *source, v, *sig, inputs, timing);
    if (!r)
      return r.takeError();
    VariantResult &res = *r;
    if (!results.empty()) {
      for (size_t i = 0; i < res.outputs.size(); ++i) {
        OutputDiff d;
        d.diff = compareArrays(res.outputs[i], results[0].outputs[i], opts.rtol,
                               opts.atol);
        d.checked = compareChecked;
        if (d.diff.numNaN) {
          // NaN equals nothing: with or without tolerances, the variants
          // cannot be said to agree.
          failed = true;
          failures.push_back("result " + std::to_string(i) + " of variant '" +
                             res.name + "' and of variant '" +
                             results[0].name + "' cannot be compared: " +
                             std::to_string(d.diff.numNaN) +
                             " elements are NaN in one of them");
        } else if (d.checked && d.diff.numOutside) {
          failed = true;
          failures.push_back("result " + std::to_string(i) + " of variant '" +
                             res.name + "' differs from variant '" +
                             results[0].name + "' in " +
                             std::to_string(d.diff.numOutside) +
                             " elements beyond the tolerance (max abs diff " +
                             fmt(d.diff.maxAbs) + ")");
        }
        res.vsRef.push_back(d);
      }
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      OutputDiff d;
      d.diff = compareArrays(res.outputs[i], expected[i], opts.rtol, opts.atol);
      d.checked = true;
      if (d.diff.numOutside) {
        failed = true;
        failures.push_back("result " + std::to_string(i) + " of variant '" +
                           res.name + "' differs from '" + opts.expectFiles[i] +
                           "' in " + std::to_string(d.diff.numOutside) +
                           " elements (first at flat index " +
                           std::to_string(d.diff.firstOutside) +
                           ", max abs diff " + fmt(d.diff.maxAbs) + ")");
      }
      res.vsExpect.push_back(d);
    }
    if (res.inputsModified)
      llvm::errs() << "scan-run: warning: variant '" << res.name
                   << "' wrote into its input buffers (restored before "
                      "every call: --allow-input-writes)\n";
    results.push_back(std::move(res));
  }

  // Non-finite results are reported, except NaNs already named by a failed
  // comparison.
  for (const VariantResult &res : results)
    for (auto [i, a] : llvm::enumerate(res.outputs)) {
      NonFinite nf = countNonFinite(a);
      if (!nf.any() || (results.size() > 1 && nf.inf == 0))
        continue;
      llvm::errs() << "scan-run: warning: result " << i << " of variant '"
                   << res.name << "' has non-finite values (" << nf.nan
                   << " NaN, " << nf.inf << " infinite, of "
                   << a.numElements() << " elements)\n";
    }

  std::vector<std::vector<GradCheck>> gradChecks;
  if (grad) {
    for (const VariantResult &res : results) {
      gradChecks.push_back(compareGradients(*grad, fds, res, gradTol));
      for (const GradCheck &c : gradChecks.back())
        if (!c.ok) {
          failed = true;
          failures.push_back("gradient w.r.t. argument " +
                             std::to_string(c.arg) + " of @" + grad->callee +
                             " (variant '" + res.name +
                             "') disagrees with finite differences: "
                             "relative error " +
                             fmt(c.relErr) + " >= " + fmt(gradTol));
        }
    }
  }

  // Outputs.
  if (!opts.outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(opts.outputDir))
      return fail("cannot create '" + opts.outputDir + "': " + ec.message());
    for (auto [i, a] : llvm::enumerate(results[0].outputs)) {
      SmallString<256> path(opts.outputDir);
      llvm::sys::path::append(path, opts.entryName + "." + std::to_string(i) +
                                        ".npy");
      if (Error e = writeNpy(path, a))
        return e;
    }
  }


  printReport(opts, RunReport{inputs, inputSources, results,
                               grad ? &*grad : nullptr, gradChecks, gradTol,
                               failures, failed, since(tStart)});
  for (const std::string &f : failures)
    llvm::errs() << "scan-run: error: " << f << "\n";
  exitCode = failed ? 1 : 0;
  return Error::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  RunOptions options;
  if (!parseCommandLine(argc, argv, options))
    return 1;
  options.exeDir = llvm::sys::path::parent_path(
                       llvm::sys::fs::getMainExecutable(argv[0], (void *)&main))
                       .str();
  int exitCode = 0;
  if (Error e = run(options, exitCode)) {
    llvm::handleAllErrors(std::move(e), [](const llvm::ErrorInfoBase &info) {
      llvm::errs() << "scan-run: error: " << oneLine(info.message()) << "\n";
    });
    return 1;
  }
  return exitCode;
}
