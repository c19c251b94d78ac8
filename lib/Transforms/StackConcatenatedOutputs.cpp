//===- StackConcatenatedOutputs.cpp - concatenate outputs per step --------===//
//
// Rewrites a tensor.concat of stacked scan outputs (along a dimension other
// than the steps) into one stacked output of the per-step concatenation, so
// the concatenated tensor is built step by step instead of copied after the
// loop.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/Transforms/Utils/DeadCode.h"
#include "scan/Transforms/Utils/MatmulModel.h"
#include "scan/Transforms/Passes.h"
#include "scan/Transforms/Utils/StackedOutputs.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::scan {
#define GEN_PASS_DEF_STACKCONCATENATEDOUTPUTSPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

#define DEBUG_TYPE "scan-stack-concatenated-outputs"

namespace {

/// A per-step output that is a static, unit-stride, full-rank slice of a
/// value of the body.
struct SliceOutput {
  unsigned output; // output index
  tensor::ExtractSliceOp slice;
};

/// Whether `slices` of one value cover it exactly, without overlap.
bool partitionsSource(MutableArrayRef<SliceOutput> slices) {
  auto sourceType = slices.front().slice.getSourceType();
  int64_t covered = 0;
  for (auto [i, a] : llvm::enumerate(slices)) {
    covered += a.slice.getType().getNumElements();
    for (SliceOutput &b : slices.drop_front(i + 1)) {
      FailureOr<bool> overlap = ValueBoundsConstraintSet::areOverlappingSlices(
          a.slice.getContext(), HyperrectangularSlice(a.slice),
          HyperrectangularSlice(b.slice));
      if (failed(overlap) || *overlap)
        return false;
    }
  }
  return covered == sourceType.getNumElements();
}

/// Per-step outputs that are slices covering one value of the body (the
/// halves of a merged matmul, each stored for the backward loop) become one
/// output stacking the whole value, sliced after the loop: the value is then
/// computed straight into its stack, where each slice would be copied into
/// its own stack at every step. Returns whether it rewrote `scan`.
bool stackSlicedValue(ScanOp scan, IRRewriter &rewriter) {
  unsigned numCarries = scan.getNumCarries();
  auto yielded = scan.getYieldOp().getValues().drop_front(numCarries);
  llvm::MapVector<Value, SmallVector<SliceOutput>> bySource;
  for (auto [i, value] : llvm::enumerate(yielded)) {
    auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || scan.getResult(numCarries + i).use_empty() ||
        !slice.hasUnitStride() || !slice.getSourceType().hasStaticShape() ||
        slice.getType().getRank() != slice.getSourceType().getRank() ||
        ShapedType::isDynamicShape(slice.getStaticOffsets()) ||
        !scan.getBody().isAncestor(slice.getSource().getParentRegion()))
      continue;
    bySource[slice.getSource()].push_back({static_cast<unsigned>(i), slice});
  }
  for (auto &[source, slices] : bySource) {
    if (slices.size() < 2 || !partitionsSource(slices))
      continue;
    ScanOp newScan = scan.appendOutputsAndSequences(rewriter, source, {});
    Value stacked = newScan.getResults().back();
    int64_t steps = *newScan.getTripCount();
    rewriter.setInsertionPointAfter(newScan);
    for (SliceOutput &out : slices) {
      SmallVector<int64_t> offsets{0}, sizes{steps};
      llvm::append_range(offsets, out.slice.getStaticOffsets());
      llvm::append_range(sizes, out.slice.getStaticSizes());
      SmallVector<int64_t> strides(offsets.size(), 1);
      Value result = newScan.getResult(numCarries + out.output);
      Value view = tensor::ExtractSliceOp::create(
          rewriter, newScan.getLoc(), cast<RankedTensorType>(result.getType()),
          stacked, ValueRange(), ValueRange(), ValueRange(), offsets, sizes,
          strides);
      rewriter.replaceAllUsesWith(result, view);
    }
    newScan.emitRemark() << "stacked " << slices.size()
                         << " per-step slices of one value as one output: "
                         << slices.size() << " copies less per step";
    return true;
  }
  return false;
}

struct StackConcatenatedOutputsPass final
    : scan::impl::StackConcatenatedOutputsPassBase<
          StackConcatenatedOutputsPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter sliceRewriter(&getContext());
    for (bool changed = true; changed;) {
      changed = false;
      SmallVector<ScanOp> scans;
      getOperation().walk([&](ScanOp scan) { scans.push_back(scan); });
      for (ScanOp scan : scans)
        if (stackSlicedValue(scan, sliceRewriter)) {
          changed = true;
          break;
        }
    }
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
