//===- FuseElementwise.cpp - fuse elementwise linalg chains -----*- C++ -*-===//
//
// Producer-consumer fusion of elementwise linalg.generic ops, without the
// reshape propagation of upstream's pass, which would turn matmuls over
// reshaped tensors into generic contractions.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "scan-fuse-elementwise"

namespace mlir::scan {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

struct FuseElementwisePass final
    : scan::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    // A producer with other uses would be computed twice.
    linalg::ControlFusionFn onlyUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, onlyUse);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
