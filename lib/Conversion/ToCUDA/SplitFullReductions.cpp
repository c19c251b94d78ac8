//===- SplitFullReductions.cpp - two-stage full reductions -----*- C++ -*-===//
//
// A reduction of every dimension has no parallel loop, so on the GPU it would
// run as one thread over all elements. Splitting it into a reduction of the
// inner dimensions per leading index (one thread each) followed by a
// reduction of the partial results shortens the serial chain from
// d0*d1*... to d1*... + d0.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::scan {
#define GEN_PASS_DEF_SPLITFULLREDUCTIONSPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// The neutral element of the single combiner op of `body`, when it is one
/// whose neutral element is known (sum, product, max, min).
std::optional<TypedAttr> neutralElement(Block &body, FloatType type) {
  if (body.getOperations().size() != 2)
    return std::nullopt;
  Operation *combiner = &body.front();
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != combiner->getResult(0) ||
      combiner->getNumOperands() != 2 ||
      !llvm::is_contained(combiner->getOperands(), body.getArgument(0)) ||
      !llvm::is_contained(combiner->getOperands(), body.getArgument(1)))
    return std::nullopt;
  const llvm::fltSemantics &sem = type.getFloatSemantics();
  if (isa<arith::AddFOp>(combiner))
    return FloatAttr::get(type, APFloat::getZero(sem));
  if (isa<arith::MulFOp>(combiner))
    return FloatAttr::get(type, APFloat(sem, 1));
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner))
    return FloatAttr::get(type, APFloat::getInf(sem, /*Negative=*/true));
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(combiner))
    return FloatAttr::get(type, APFloat::getInf(sem, /*Negative=*/false));
  return std::nullopt;
}

/// linalg.reduce of all dims of a rank >= 2 tensor into a rank-0 tensor ->
/// reduce dims 1.. into tensor<d0> (from the neutral element), then dim 0.
struct SplitFullReduction final : OpRewritePattern<linalg::ReduceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::ReduceOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getInputs().size() != 1)
      return rewriter.notifyMatchFailure(op, "not one input on tensors");
    auto inputType = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
    auto initType = dyn_cast<RankedTensorType>(op.getInits()[0].getType());
    if (!inputType || !initType || inputType.getRank() < 2 ||
        initType.getRank() != 0 || !inputType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "not a full reduction");
    auto elementType = dyn_cast<FloatType>(inputType.getElementType());
    if (!elementType)
      return rewriter.notifyMatchFailure(op, "not a float reduction");
    std::optional<TypedAttr> neutral =
        neutralElement(op.getCombiner().front(), elementType);
    if (!neutral)
      return rewriter.notifyMatchFailure(op, "combiner has no known neutral");

    Location loc = op.getLoc();
    int64_t rows = inputType.getDimSize(0);
    auto partialType = RankedTensorType::get({rows}, elementType);
    Value empty = tensor::EmptyOp::create(rewriter, loc, partialType.getShape(),
                                          elementType);
    Value neutralValue = arith::ConstantOp::create(rewriter, loc, *neutral);
    Value partialInit =
        linalg::FillOp::create(rewriter, loc, neutralValue, empty).getResult(0);
    SmallVector<int64_t> innerDims =
        llvm::to_vector(llvm::seq<int64_t>(1, inputType.getRank()));

    auto cloneCombiner = [&](linalg::ReduceOp into) {
      rewriter.cloneRegionBefore(op.getCombiner(), into.getCombiner(),
                                 into.getCombiner().end());
    };
    auto partial = linalg::ReduceOp::create(
        rewriter, loc, TypeRange{partialType}, op.getInputs(),
        ValueRange{partialInit}, innerDims);
    cloneCombiner(partial);
    auto total = linalg::ReduceOp::create(rewriter, loc, TypeRange{initType},
                                          partial.getResults(), op.getInits(),
                                          ArrayRef<int64_t>{0});
    cloneCombiner(total);
    rewriter.replaceOp(op, total.getResults());
    return success();
  }
};

struct SplitFullReductionsPass final
    : scan::impl::SplitFullReductionsPassBase<SplitFullReductionsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitFullReduction>(&getContext());
    // One application per reduction: the new reductions are not full ones of
    // rank >= 2, so the rewrite cannot repeat.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
