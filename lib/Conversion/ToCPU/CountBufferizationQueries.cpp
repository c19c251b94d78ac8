//===- CountBufferizationQueries.cpp - bufferization work, counted -*- C++ -*-===//
//
// Measures how much work bufferization does on a module, as a count rather
// than a time, so that tests can bound it: empty-tensor elimination and
// one-shot module bufferization run on a copy of the module with the options
// of the scan lowering, and every time they ask about an op (which goes
// through the op filter of the bufferization options) is counted.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"
#include "mlir/Dialect/Bufferization/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/PatternMatch.h"

#define DEBUG_TYPE "scan-count-bufferization-queries"

namespace mlir::scan {
#define GEN_PASS_DEF_COUNTBUFFERIZATIONQUERIESPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

struct CountBufferizationQueriesPass final
    : scan::impl::CountBufferizationQueriesPassBase<
          CountBufferizationQueriesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    uint64_t queries = 0;
    bool overLimit = false;
    // Past the limit every op is refused: bufferization then treats all ops
    // as unknown, which ends its walks at once, so the count stays cheap to
    // take even where the real work would not finish.
    auto countQuery = [&](Operation *) {
      ++queries;
      if (maxQueries > 0 && queries > static_cast<uint64_t>(maxQueries))
        overLimit = true;
      return !overLimit;
    };

    // The options of addScanBufferizationPasses.
    bufferization::OneShotBufferizationOptions options;
    options.bufferizeFunctionBoundaries = true;
    options.setFunctionBoundaryTypeConversion(
        bufferization::LayoutMapOption::IdentityLayoutMap);
    options.allowReturnAllocsFromLoops = true;
    options.opFilter.allowOperation(countQuery);

    OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
    bool failedToBufferize = false;
    {
      // What goes wrong on the copy (past the limit, everything) is
      // reported below as one line.
      ScopedDiagnosticHandler silence(&getContext(),
                                      [](Diagnostic &) { return success(); });
      IRRewriter rewriter(&getContext());
      bufferization::OneShotAnalysisState analysis(*copy, options);
      bufferization::BufferizationState state;
      failedToBufferize =
          failed(bufferization::analyzeModuleOp(*copy, analysis)) ||
          failed(bufferization::eliminateEmptyTensors(rewriter, *copy,
                                                      analysis)) ||
          failed(bufferization::runOneShotModuleBufferize(*copy, options,
                                                          state));
    }
    numQueries = queries;
    if (overLimit) {
      module.emitError("bufferization asked about ops more than ")
          << static_cast<int64_t>(maxQueries) << " times";
      return signalPassFailure();
    }
    if (failedToBufferize) {
      module.emitError("bufferization failed on a copy of the module");
      return signalPassFailure();
    }
    module.emitRemark("bufferization made ") << queries << " op queries";
    markAllAnalysesPreserved();
  }
};

} // namespace
