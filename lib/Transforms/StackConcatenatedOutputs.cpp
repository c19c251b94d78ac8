//===- StackConcatenatedOutputs.cpp - concatenate outputs per step --------===//
//
// Rewrites a tensor.concat of stacked scan outputs (along a dimension other
// than the steps) into one stacked output of the per-step concatenation, so
// the concatenated tensor is built step by step instead of copied after the
// loop.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/Transforms/MatmulUtils.h"
#include "scan/Transforms/Passes.h"
#include "scan/Transforms/StackedOutputs.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::scan {
#define GEN_PASS_DEF_STACKCONCATENATEDOUTPUTSPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

#define DEBUG_TYPE "scan-stack-concatenated-outputs"

namespace {

struct StackConcatenatedOutputsPass final
    : scan::impl::StackConcatenatedOutputsPassBase<
          StackConcatenatedOutputsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<tensor::ConcatOp> concats;
    getOperation().walk([&](tensor::ConcatOp op) { concats.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (tensor::ConcatOp concat : concats) {
      if (concat.getInputs().size() < 2)
        continue;
      std::optional<StackedOutputs> m = matchStackedOutputs(
          concat.getInputs(), static_cast<int64_t>(concat.getDim()));
      if (!m)
        continue;
      ScanOp scan = m->scan;
      SmallVector<Value> perStep = m->yieldedValues();
      rewriter.setInsertionPoint(scan.getYieldOp());
      Value stepConcat = tensor::ConcatOp::create(
          rewriter, concat.getLoc(), m->stepDim, perStep);
      ScanOp newScan =
          scan.appendOutputsAndSequences(rewriter, stepConcat, ValueRange());
      Value stacked = newScan.getResults().back();
      rewriter.setInsertionPoint(concat);
      Value replacement = stacked;
      if (m->collapse)
        replacement = tensor::CollapseShapeOp::create(
            rewriter, concat.getLoc(), concat.getType(), stacked,
            *m->collapse);
      std::string shape;
      llvm::raw_string_ostream os(shape);
      llvm::interleave(concat.getType().getShape(), os, "x");
      concat.emitRemark() << "stacked " << m->outputs.size()
                          << " outputs concatenated after the loop: one "
                          << shape << " copy less per call";
      SmallVector<Operation *> collapses;
      for (Value input : concat.getInputs())
        if (auto collapse = input.getDefiningOp<tensor::CollapseShapeOp>())
          collapses.push_back(collapse);
      Block *block = concat->getBlock();
      rewriter.replaceOp(concat, replacement);
      eraseDeadOpsAndProducers(rewriter, collapses, block);
    }
  }
};

} // namespace
