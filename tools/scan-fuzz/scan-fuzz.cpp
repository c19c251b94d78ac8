//===- scan-fuzz.cpp - libFuzzer harness for the scan-opt front end -------===//
//
// Feeds each input, as textual IR, through the parser, the verifier and a pass
// pipeline, exactly as scan-opt would. Diagnostics are expected and ignored;
// only crashes, sanitizer reports and hangs count as findings. The pipeline is
// SCAN_FUZZ_PIPELINE if set, else every scan pipeline that is registered,
// ending with the CPU lowering.
//
//===----------------------------------------------------------------------===//

#include "scan/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdlib>
#include <string>

using namespace mlir;

namespace {
/// The pass pipeline run on every input that parses and verifies.
std::string defaultPipeline() {
  if (const char *env = std::getenv("SCAN_FUZZ_PIPELINE"))
    return env;
  std::string pipeline = "builtin.module(canonicalize,cse";
  pipeline += ",func.func(loop-invariant-code-motion)";
  for (StringRef name :
       {"scan-differentiate", "scan-optimize", "scan-lower-to-cpu"})
    if (PassPipelineInfo::lookup(name) || PassInfo::lookup(name))
      pipeline += ("," + name).str();
  return pipeline + ")";
}

struct FuzzState {
  MLIRContext context;
  std::string pipeline;

  FuzzState() : context(makeRegistry()) {
    context.loadAllAvailableDialects();
    context.disableMultithreading();
    pipeline = defaultPipeline();
  }

  static DialectRegistry makeRegistry() {
    registerAllPasses();
    scan::registerAllScanPasses();
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    scan::registerAllScanDialects(registry);
    return registry;
  }
};
} // namespace

/// Inputs that crash upstream MLIR 22's parsers (mlir-opt crashes the same
/// way) are skipped, so that the fuzzer spends its time past the parser
/// rather than rediscovering these crashes:
/// - the parsers of `permutation = [...]` and `dimensions = [...]`
///   (linalg.transpose, linalg.reduce, linalg.broadcast) dereference a null
///   attribute when the list is malformed or missing, e.g.
///   `permutation = [1, ]0` or `dimensions = :0, 1]`;
/// - named linalg ops given properties that are not a dictionary, e.g.
///   `linalg.matmul<f64>`, read uninitialised memory as a dictionary.
static bool hitsKnownUpstreamCrash(StringRef text) {
  for (size_t pos = text.find("linalg."); pos != StringRef::npos;
       pos = text.find("linalg.", pos + 1)) {
    StringRef rest = text.drop_front(pos + 7);
    rest = rest.drop_while([](char c) { return llvm::isAlnum(c) || c == '_'; });
    rest = rest.ltrim();
    if (rest.consume_front("<") && !rest.ltrim().starts_with("{"))
      return true;
  }
  for (StringRef key : {"permutation", "dimensions"}) {
    for (size_t pos = text.find(key); pos != StringRef::npos;
         pos = text.find(key, pos + 1)) {
      StringRef rest = text.drop_front(pos + key.size()).ltrim();
      if (!rest.consume_front("="))
        continue;
      rest = rest.ltrim();
      if (!rest.consume_front("["))
        return true;
      size_t end = rest.find_first_not_of("0123456789, \t\n-");
      if (end == StringRef::npos || rest[end] != ']')
        return true;
      // A well-formed list: `[]` or integers separated by commas.
      StringRef list = rest.take_front(end).trim();
      if (list.empty())
        continue;
      SmallVector<StringRef> items;
      list.split(items, ',');
      if (llvm::any_of(items, [](StringRef item) {
            item = item.trim();
            item.consume_front("-");
            return item.empty() || !llvm::all_of(item, llvm::isDigit);
          }))
        return true;
    }
  }
  return false;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FuzzState *state = new FuzzState();
  if (hitsKnownUpstreamCrash(
          StringRef(reinterpret_cast<const char *>(data), size)))
    return 0;
  MLIRContext &context = state->context;
  ScopedDiagnosticHandler silence(&context, [](Diagnostic &) {});

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(reinterpret_cast<const char *>(data), size), "input"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module || failed(verify(*module)))
    return 0;

  PassManager pm(&context);
  if (failed(parsePassPipeline(state->pipeline, pm)))
    std::abort(); // a broken SCAN_FUZZ_PIPELINE, not a finding
  (void)pm.run(*module);
  return 0;
}
