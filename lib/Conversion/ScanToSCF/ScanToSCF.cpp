//===- ScanToSCF.cpp - lower scan.scan to scf.for ---------------*- C++ -*-===//
//
// Turns every scan.scan into an scf.for over tensors. Sequences are sliced
// per step with rank-reducing tensor.extract_slice; per-step outputs are
// written with tensor.insert_slice into stacked tensors that the loop carries
// as iter_args, so that one-shot bufferization writes each step in place into
// a single buffer.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/ScanToSCF/ScanToSCF.h"

#include "scan/Conversion/Passes.h"
#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::scan {
#define GEN_PASS_DEF_CONVERTSCANTOSCFPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

namespace {

/// Offsets, sizes and strides that address slice `t` of a tensor of type
/// `stacked` along its leading dimension.
struct StepSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
};

StepSlice getStepSlice(OpBuilder &b, RankedTensorType stacked, Value t) {
  StepSlice slice;
  slice.offsets.push_back(t);
  slice.sizes.push_back(b.getIndexAttr(1));
  slice.strides.push_back(b.getIndexAttr(1));
  for (int64_t size : stacked.getShape().drop_front()) {
    slice.offsets.push_back(b.getIndexAttr(0));
    slice.sizes.push_back(b.getIndexAttr(size));
    slice.strides.push_back(b.getIndexAttr(1));
  }
  return slice;
}

struct ScanOpLowering final : OpConversionPattern<ScanOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ScanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    std::optional<int64_t> tripCount = op.getTripCount();
    if (!tripCount)
      return rewriter.notifyMatchFailure(op, "unknown trip count");
    YieldOp yield = op.getYieldOp();
    if (!yield)
      return rewriter.notifyMatchFailure(op, "body without scan.yield");
    Location loc = op.getLoc();
    unsigned numCarries = op.getNumCarries();

    // Carries first, then one stacked tensor per per-step output.
    SmallVector<Value> inits(adaptor.getInitCarries());
    for (Value result : op.getOutputResults()) {
      auto type = cast<RankedTensorType>(result.getType());
      inits.push_back(tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                              type.getElementType(),
                                              type.getEncoding()));
    }

    Value lb = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value ub = arith::ConstantIndexOp::create(rewriter, loc, *tripCount);
    Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto forOp = scf::ForOp::create(rewriter, loc, lb, ub, step, inits);
    Block *loopBody = forOp.getBody();

    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(loopBody);
    Value t = forOp.getInductionVar();
    if (op.getReverse()) {
      // Step i visits index T-1-i, so the last slice comes first.
      Value last = arith::ConstantIndexOp::create(rewriter, loc, *tripCount - 1);
      t = arith::SubIOp::create(rewriter, loc, last, t);
    }

    // The body's block arguments: the loop's carries, then this step's slice
    // of every sequence.
    SmallVector<Value> bodyArgs(
        forOp.getRegionIterArgs().take_front(numCarries));
    for (Value seq : adaptor.getSequences()) {
      auto type = cast<RankedTensorType>(seq.getType());
      StepSlice slice = getStepSlice(rewriter, type, t);
      bodyArgs.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, ScanOp::getSliceType(type), seq, slice.offsets,
          slice.sizes, slice.strides));
    }
    // Ops up to here compute the step index and the slices; the body follows.
    Operation *prologueEnd = loopBody->empty() ? nullptr : &loopBody->back();
    rewriter.inlineBlockBefore(op.getBodyBlock(), loopBody, loopBody->end(),
                               bodyArgs);

    // Next carries pass through; each per-step output goes into slice `t` of
    // its stacked tensor. An output computed in the body is inserted at the
    // end of the body, after its last reader: bufferization then computes it
    // in its stack slice (the insertion a no-op) even where other ops read
    // it, which it does not do when a read follows the insertion. Any other
    // output is inserted where the step starts: one that is the incoming
    // carry (a stored h_(t-1)) is then read before the new carry is computed,
    // which lets bufferization compute the new carry in place.
    SmallVector<Value> yielded(yield.getValues().take_front(numCarries));
    auto stackedArgs = forOp.getRegionIterArgs().drop_front(numCarries);
    for (auto [value, stacked] :
         llvm::zip_equal(yield.getValues().drop_front(numCarries), stackedArgs)) {
      Operation *def = value.getDefiningOp();
      if (def && def->getBlock() == loopBody)
        rewriter.setInsertionPoint(yield);
      else if (prologueEnd)
        rewriter.setInsertionPointAfter(prologueEnd);
      else
        rewriter.setInsertionPointToStart(loopBody);
      auto type = cast<RankedTensorType>(stacked.getType());
      StepSlice slice = getStepSlice(rewriter, type, t);
      yielded.push_back(tensor::InsertSliceOp::create(
          rewriter, loc, value, stacked, slice.offsets, slice.sizes,
          slice.strides));
    }
    rewriter.setInsertionPoint(yield);
    rewriter.replaceOpWithNewOp<scf::YieldOp>(yield, yielded);
    rewriter.replaceOp(op, forOp.getResults());
    return success();
  }
};

/// scan.stop_gradient only matters to differentiation: it is its operand.
struct StopGradientLowering final
    : OpConversionPattern<StopGradientOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(StopGradientOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct ConvertScanToSCFPass final
    : scan::impl::ConvertScanToSCFPassBase<ConvertScanToSCFPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    configureScanToSCFConversionTarget(target);
    RewritePatternSet patterns(context);
    populateScanToSCFConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::scan::populateScanToSCFConversionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ScanOpLowering, StopGradientLowering>(patterns.getContext());
}

void mlir::scan::configureScanToSCFConversionTarget(ConversionTarget &target) {
  target.addIllegalDialect<ScanDialect>();
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
}
