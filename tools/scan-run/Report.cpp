//===- Report.cpp - what scan-run prints ------------------------*- C++ -*-===//

#include "Report.h"
#include "CUDA.h"

#include "scan/Runner/Compile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace scanrun;
using llvm::ArrayRef;
using llvm::StringRef;
using mlir::scan::runner::variantPipeline;

static llvm::json::Value jsonNumber(double d) {
  if (std::isnan(d) || std::isinf(d))
    return nullptr;
  return d;
}

static llvm::json::Array jsonShape(ArrayRef<int64_t> shape) {
  llvm::json::Array a;
  for (int64_t d : shape)
    a.push_back(d);
  return a;
}

std::string scanrun::fmt(double d, const char *f) {
  if (std::isnan(d))
    return "nan";
  return llvm::formatv("{0}", llvm::format(f, d)).str();
}

static void printJson(const RunOptions &opts, const RunReport &r) {
  double refMedian = r.results[0].median();
  llvm::json::Object root;
  root["file"] = opts.inputFile;
  root["entry"] = opts.entryName;
  root["lowering"] = variantPipeline(opts.loweringName());
  root["target"] = opts.target == Target::CUDA ? "cuda" : "cpu";
  if (opts.target == Target::CUDA)
    root["device"] = cudaRuntime().device;
  root["warmup"] = static_cast<int64_t>(opts.warmup);
  root["repeat"] = static_cast<int64_t>(opts.timedCalls());
  llvm::json::Array ins;
  for (auto [i, a] : llvm::enumerate(r.inputs))
    ins.push_back(llvm::json::Object{{"index", static_cast<int64_t>(i)},
                                     {"dtype", elementTypeName(a.dtype())},
                                     {"shape", jsonShape(a.shape())},
                                     {"source", r.inputSources[i]}});
  root["inputs"] = std::move(ins);
  llvm::json::Array vars;
  for (auto [vi, res] : llvm::enumerate(r.results)) {
    llvm::json::Array outs;
    for (auto [i, a] : llvm::enumerate(res.outputs)) {
      llvm::json::Object o{{"index", static_cast<int64_t>(i)},
                           {"dtype", elementTypeName(a.dtype())},
                           {"shape", jsonShape(a.shape())}};
      if (a.numElements() == 1)
        o["value"] = jsonNumber(a.get(0));
      NonFinite nf = countNonFinite(a);
      o["nan_elements"] = nf.nan;
      o["inf_elements"] = nf.inf;
      if (vi > 0) {
        o["max_abs_diff"] = jsonNumber(res.vsRef[i].diff.maxAbs);
        o["max_rel_diff"] = jsonNumber(res.vsRef[i].diff.maxRel);
        o["normwise_diff"] = jsonNumber(res.vsRef[i].diff.normwise());
        o["elements_outside_tolerance"] = res.vsRef[i].diff.numOutside;
      }
      if (i < res.vsExpect.size()) {
        o["expect_max_abs_diff"] = jsonNumber(res.vsExpect[i].diff.maxAbs);
        o["expect_normwise_diff"] =
            jsonNumber(res.vsExpect[i].diff.normwise());
        o["expect_elements_outside_tolerance"] =
            res.vsExpect[i].diff.numOutside;
      }
      outs.push_back(std::move(o));
    }
    llvm::json::Array times;
    for (double t : res.times)
      times.push_back(t);
    llvm::json::Object var{
        {"name", res.name},
        {"pipeline", res.pipeline},
        {"compile_s",
         llvm::json::Object{{"variant", res.variantSec},
                            {"lowering", res.loweringSec},
                            {"jit", res.jitSec}}},
        {"llvm_instructions",
         llvm::json::Object{{"translated", res.translatedInstructions},
                            {"optimized", res.optimizedInstructions}}},
        {"time_s", llvm::json::Object{{"min", res.min()},
                                      {"median", res.median()},
                                      {"max", res.max()},
                                      {"all", std::move(times)}}},
        {"gflop", res.gflop},
        {"gflops", jsonNumber(res.gflop / res.median())},
        {"speedup", jsonNumber(refMedian / res.median())},
        {"peak_rss_mib", res.peakRssMiB},
        {"peak_rss_per_variant", res.peakIsPerVariant},
        {"call_extra_mib", res.callExtraMiB},
        {"inputs_modified", res.inputsModified},
        {"repeatable_calls", res.repeatableCalls},
        {"outputs", std::move(outs)}};
    if (!res.cudaMode.empty()) {
      llvm::json::Array spans;
      for (double t : res.streamSpans)
        spans.push_back(t);
      llvm::json::Object c{
          {"mode", res.cudaMode},
          {"stream_span_s",
           llvm::json::Object{{"min", res.streamSpans.front()},
                              {"median", medianOf(res.streamSpans)},
                              {"all", std::move(spans)}}}};
      if (!res.cudaDirectWhy.empty())
        c["direct_because"] = res.cudaDirectWhy;
      if (res.gemmCount >= 0) {
        c["gemms"] = res.gemmCount;
        c["gemms_alone_s"] = jsonNumber(res.gemmSec);
      }
      var["cuda"] = std::move(c);
    }
    if (r.grad) {
      llvm::json::Array gs;
      for (const GradCheck &c : r.gradChecks[vi])
        gs.push_back(llvm::json::Object{{"arg", c.arg},
                                        {"shape", c.spec},
                                        {"max_abs_err", jsonNumber(c.maxAbsErr)},
                                        {"max_abs_fd", jsonNumber(c.maxFd)},
                                        {"rel_err", jsonNumber(c.relErr)},
                                        {"normwise_diff", jsonNumber(c.relErr)},
                                        {"max_rel_diff", jsonNumber(c.maxRelDiff)},
                                        {"elements", c.checked},
                                        {"ok", c.ok}});
      var["check_grad"] = std::move(gs);
    }
    vars.push_back(std::move(var));
  }
  root["variants"] = std::move(vars);
  if (r.grad) {
    root["fd_callee"] = r.grad->callee;
    root["fd_rtol"] = r.gradTol;
  }
  llvm::json::Array fails;
  for (const std::string &f : r.failures)
    fails.push_back(f);
  root["failures"] = std::move(fails);
  root["ok"] = !r.failed;
  root["total_s"] = r.totalSec;
  llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
               << "\n";
}

static void printText(const RunOptions &opts, const RunReport &r) {
  const std::vector<VariantResult> &results = r.results;
  double refMedian = results[0].median();
  llvm::raw_ostream &os = llvm::outs();
  os << "scan-run: " << opts.inputFile << " @" << opts.entryName << ", "
     << r.inputs.size() << " inputs ("
     << (opts.inputFiles.empty()
             ? "random normal, seed " + std::to_string(opts.randomSeed) +
                   ", scale " + opts.randomScale
             : std::string(".npy files"))
     << "), warmup " << opts.warmup << ", repeat "
     << opts.timedCalls();
  if (opts.target == Target::CUDA)
    os << ", CUDA device "
       << (cudaRuntime().device.empty() ? std::string("(none)") : cudaRuntime().device)
       << " (times: call latency on the host, the call issued until its "
          "stream is idle)";
  os << "\n";
  size_t width = 8;
  for (const VariantResult &res : results)
    width = std::max(width, res.name.size());
  auto row = [&](StringRef name, ArrayRef<std::string> cols) {
    os << name;
    os.indent(width - name.size());
    static const unsigned widths[] = {11, 11, 11, 10, 10, 9, 9, 10};
    for (auto [c, w] : llvm::zip(cols, widths)) {
      os.indent(w > c.size() ? w - c.size() : 1);
      os << c;
    }
    os << "\n";
  };
  row("variant", {"min ms", "median ms", "max ms", "GFLOP", "GFLOP/s",
                  "speed-up", "RSS MiB", "+call MiB"});
  for (const VariantResult &res : results)
    row(res.name,
        {fmt(res.min() * 1e3, "%.5g"), fmt(res.median() * 1e3, "%.5g"),
         fmt(res.max() * 1e3, "%.5g"),
         fmt(res.gflop), fmt(res.gflop / res.median()),
         fmt(refMedian / res.median(), "%.3fx"), fmt(res.peakRssMiB, "%.1f"),
         fmt(res.callExtraMiB, "%.1f")});
  for (const VariantResult &res : results) {
    if (res.cudaMode.empty())
      continue;
    os << "  " << res.name << " on CUDA: " << res.cudaMode;
    if (!res.cudaDirectWhy.empty())
      os << " (" << res.cudaDirectWhy << ")";
    os << ", stream span median " << fmt(medianOf(res.streamSpans) * 1e3, "%.5g")
       << " ms (events around the call on the stream)";
    if (res.gemmCount >= 0)
      os << ", its " << res.gemmCount << " GEMMs alone "
         << fmt(res.gemmSec * 1e3, "%.5g") << " ms";
    os << "\n";
  }
  for (const VariantResult &res : results)
    if (res.name != res.pipeline)
      os << "  " << res.name << " = "
         << (res.pipeline.empty() ? "(no passes)" : res.pipeline) << "\n";
  os << "  compile (s):";
  for (const VariantResult &res : results)
    os << " " << res.name << " " << fmt(res.variantSec, "%.3f") << "+"
       << fmt(res.loweringSec, "%.3f") << "+" << fmt(res.jitSec, "%.3f");
  os << " (variant+lowering+JIT)\n";
  os << "  LLVM IR instructions:";
  for (const VariantResult &res : results)
    os << " " << res.name << " " << res.translatedInstructions << "->"
       << res.optimizedInstructions;
  os << " (translated->optimised)\n";
  for (auto [i, a] : llvm::enumerate(results[0].outputs)) {
    os << "result " << i << ": " << a.specStr();
    if (a.numElements() == 1)
      os << " = " << llvm::format("%.9g", a.get(0));
    os << "\n";
    for (size_t v = 1; v < results.size(); ++v)
      os << "  " << results[v].name << " vs " << results[0].name
         << ": max abs diff " << fmt(results[v].vsRef[i].diff.maxAbs)
         << ", max rel diff " << fmt(results[v].vsRef[i].diff.maxRel)
         << ", normwise diff " << fmt(results[v].vsRef[i].diff.normwise())
         << "\n";
    for (const VariantResult &res : results)
      if (i < res.vsExpect.size())
        os << "  " << res.name << " vs " << opts.expectFiles[i]
           << ": max abs diff " << fmt(res.vsExpect[i].diff.maxAbs)
           << ", " << res.vsExpect[i].diff.numOutside
           << " elements outside tolerance\n";
  }
  if (r.grad)
    for (auto [vi, res] : llvm::enumerate(results))
      for (const GradCheck &c : r.gradChecks[vi])
        os << "check-grad " << res.name << ": d@" << r.grad->callee
           << "/darg" << c.arg << " " << c.spec << ": max |g - fd| "
           << fmt(c.maxAbsErr) << ", max |fd| " << fmt(c.maxFd)
           << ", max rel diff " << fmt(c.maxRelDiff)
           << ", normwise diff " << fmt(c.relErr) << " over " << c.checked
           << " elements " << (c.ok ? "< " : ">= ") << fmt(r.gradTol) << ": "
           << (c.ok ? "ok" : "FAILED") << "\n";
}

void scanrun::printReport(const RunOptions &options, const RunReport &report) {
  if (options.json)
    printJson(options, report);
  else
    printText(options, report);
  llvm::outs().flush();
}
