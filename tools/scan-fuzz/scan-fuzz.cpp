//===- scan-fuzz.cpp - libFuzzer harness for the scan-opt front end -------===//
//
// Feeds each input, as textual IR, through the parser, the verifier and a pass
// pipeline, exactly as scan-opt would. Diagnostics are expected and ignored;
// only crashes, sanitizer reports and hangs count as findings. The pipeline is
// SCAN_FUZZ_PIPELINE if set, else every scan pipeline that is registered.
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
  for (StringRef name : {"scan-differentiate", "scan-optimize"})
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

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FuzzState *state = new FuzzState();
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
