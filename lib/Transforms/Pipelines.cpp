//===- Pipelines.cpp - the scan-optimize pipeline ---------------*- C++ -*-===//
//
// One round of the backward-loop optimisations, and the scan-optimize pass
// that repeats it until the IR stops changing.
//
//===----------------------------------------------------------------------===//

#include "scan/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::scan {
#define GEN_PASS_DEF_OPTIMIZEPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

#define DEBUG_TYPE "scan-optimize"

/// Canonicalisation, CSE and loop-invariant code motion: weight transposes,
/// fills and constants leave scan bodies, dead carries and outputs go.
static void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createLoopInvariantCodeMotionPass());
}

void mlir::scan::buildScanOptimizeRound(OpPassManager &pm) {
  addCleanup(pm);
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createEliminateRecomputationPass());
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createHoistInputProjectionsPass());
  fn.addPass(createHoistAccumulatedMatmulsPass());
  fn.addPass(createMergeMatmulsPass());
  addCleanup(pm);
}

namespace {
struct OptimizePass final : scan::impl::OptimizePassBase<OptimizePass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    OpPassManager round(ModuleOp::getOperationName());
    scan::buildScanOptimizeRound(round);
    round.getDependentDialects(registry);
  }

  void runOnOperation() override {
    OpPassManager round(ModuleOp::getOperationName());
    scan::buildScanOptimizeRound(round);

    // Later rounds repeat the near-miss remarks of the first: show each once.
    llvm::StringSet<> seenRemarks;
    ScopedDiagnosticHandler dedupe(&getContext(), [&](Diagnostic &diag) {
      if (diag.getSeverity() != DiagnosticSeverity::Remark)
        return failure();
      std::string key;
      llvm::raw_string_ostream os(key);
      os << diag.getLocation() << ": " << diag;
      return success(!seenRemarks.insert(key).second);
    });

    for (unsigned i = 0; i < maxIterations; ++i) {
      OperationFingerPrint before(getOperation());
      if (failed(runPipeline(round, getOperation())))
        return signalPassFailure();
      ++numRounds;
      if (OperationFingerPrint(getOperation()) == before)
        return;
    }
  }
};
} // namespace

void mlir::scan::registerScanTransformPipelines() {}
