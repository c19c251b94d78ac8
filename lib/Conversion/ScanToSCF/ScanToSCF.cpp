//===- ScanToSCF.cpp - lower scan.scan to scf.for ---------------*- C++ -*-===//
//
// Turns every scan.scan into an scf.for over tensors. Sequences are sliced
// per step with rank-reducing tensor.extract_slice; per-step outputs are
// written with tensor.insert_slice into stacked tensors that the loop carries
// as iter_args, so that one-shot bufferization writes each step in place into
// a single buffer. A carry whose incoming value is stacked lives in its stack
// of T + 1 slices, so that no step copies it.
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

StepSlice getStepSlice(OpBuilder &b, RankedTensorType stacked,
                       OpFoldResult t) {
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
    unsigned numOutputs = op.getNumOutputs();
    Block *scanBody = op.getBodyBlock();
    ValueRange yieldedValues = yield.getValues();

    // A forward scan that stacks a carry's incoming value (h_(t-1), which a
    // gradient keeps for its backward loop) holds that carry in its stack: a
    // tensor of T + 1 slices, slice t the carry entering step t. A step reads
    // slice t and computes the next carry into slice t + 1, so no step
    // copies its carry into the stack; the stacked output is slices 0..T-1
    // and the final carry slice T. Where the op that computes the next
    // carry also reads the incoming one (a GRU's (1 - z) * h + ...),
    // bufferization cannot tell slices t and t + 1 apart and reads a copy of
    // slice t; scan-forward-temporary-copies then reads slice t itself.
    SmallVector<int> stackOfCarry(numCarries, -1);
    SmallVector<int> carryOfOutput(numOutputs, -1);
    SmallVector<int64_t> firstSliceOfOutput(numOutputs, 0);
    if (!op.getReverse()) {
      for (unsigned j = 0; j < numOutputs; ++j) {
        auto arg = dyn_cast<BlockArgument>(yieldedValues[numCarries + j]);
        if (!arg || arg.getOwner() != scanBody ||
            arg.getArgNumber() >= numCarries ||
            !isa<RankedTensorType>(arg.getType()))
          continue;
        unsigned i = arg.getArgNumber();
        Operation *next = yieldedValues[i].getDefiningOp();
        if (stackOfCarry[i] != -1 || !next || next->getBlock() != scanBody)
          continue;
        stackOfCarry[i] = static_cast<int>(j);
        carryOfOutput[j] = static_cast<int>(i);
      }
      // A stacked next carry (h_t) is slices 1..T of the same stack.
      for (unsigned j = 0; j < numOutputs; ++j)
        for (unsigned i = 0; i < numCarries && carryOfOutput[j] < 0; ++i)
          if (stackOfCarry[i] >= 0 &&
              yieldedValues[numCarries + j] == yieldedValues[i]) {
            carryOfOutput[j] = static_cast<int>(i);
            firstSliceOfOutput[j] = 1;
          }
    }
    auto outputType = [&](unsigned j) {
      return cast<RankedTensorType>(op.getOutputResults()[j].getType());
    };
    // The stack of T + 1 slices that holds carry i.
    auto carryStackType = [&](unsigned i) {
      RankedTensorType stacked = outputType(stackOfCarry[i]);
      SmallVector<int64_t> shape(stacked.getShape());
      shape.front() += 1;
      return RankedTensorType::get(shape, stacked.getElementType(),
                                   stacked.getEncoding());
    };
    auto emptyLike = [&](RankedTensorType type) -> Value {
      return tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                     type.getElementType(),
                                     type.getEncoding());
    };

    // Carries first (a stacked carry as its stack, the initial value in
    // slice 0), then one stacked tensor per other per-step output.
    SmallVector<Value> inits;
    for (auto [i, init] : llvm::enumerate(adaptor.getInitCarries())) {
      if (stackOfCarry[i] < 0) {
        inits.push_back(init);
        continue;
      }
      RankedTensorType type = carryStackType(i);
      StepSlice first = getStepSlice(rewriter, type, rewriter.getIndexAttr(0));
      inits.push_back(tensor::InsertSliceOp::create(
          rewriter, loc, init, emptyLike(type), first.offsets, first.sizes,
          first.strides));
    }
    for (unsigned j = 0; j < numOutputs; ++j)
      if (carryOfOutput[j] < 0)
        inits.push_back(emptyLike(outputType(j)));

    Value lb = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value ub = arith::ConstantIndexOp::create(rewriter, loc, *tripCount);
    Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto forOp = scf::ForOp::create(rewriter, loc, lb, ub, step, inits);
    Block *loopBody = forOp.getBody();

    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(loopBody);
      Value t = forOp.getInductionVar();
      if (op.getReverse()) {
        // Step i visits index T-1-i, so the last slice comes first.
        Value last =
            arith::ConstantIndexOp::create(rewriter, loc, *tripCount - 1);
        t = arith::SubIOp::create(rewriter, loc, last, t);
      }
      Value nextT;
      if (llvm::any_of(stackOfCarry, [](int j) { return j >= 0; }))
        nextT = arith::AddIOp::create(rewriter, loc, t, step);

      // The body's block arguments: the loop's carries (a stacked one read
      // from slice t), then this step's slice of every sequence.
      SmallVector<Value> bodyArgs;
      for (unsigned i = 0; i < numCarries; ++i) {
        Value iterArg = forOp.getRegionIterArgs()[i];
        if (stackOfCarry[i] < 0) {
          bodyArgs.push_back(iterArg);
          continue;
        }
        RankedTensorType type = carryStackType(i);
        StepSlice slice = getStepSlice(rewriter, type, t);
        bodyArgs.push_back(tensor::ExtractSliceOp::create(
            rewriter, loc,
            cast<RankedTensorType>(scanBody->getArgument(i).getType()),
            iterArg, slice.offsets, slice.sizes, slice.strides));
      }
      for (Value seq : adaptor.getSequences()) {
        auto type = cast<RankedTensorType>(seq.getType());
        StepSlice slice = getStepSlice(rewriter, type, t);
        bodyArgs.push_back(tensor::ExtractSliceOp::create(
            rewriter, loc, ScanOp::getSliceType(type), seq, slice.offsets,
            slice.sizes, slice.strides));
      }
      // Ops up to here compute the step index and the slices; the body
      // follows.
      Operation *prologueEnd = loopBody->empty() ? nullptr : &loopBody->back();
      rewriter.inlineBlockBefore(scanBody, loopBody, loopBody->end(),
                                 bodyArgs);

      // Next carries pass through, a stacked one into slice t + 1 of its
      // stack; each other per-step output goes into slice `t` of its
      // stacked tensor. An output computed in the body is inserted at the
      // end of the body, after its last reader: bufferization then computes
      // it in its stack slice (the insertion a no-op) even where other ops
      // read it, which it does not do when a read follows the insertion.
      // Any other output is inserted where the step starts: one that is the
      // incoming carry of a reverse scan (which keeps no carry stack) is
      // then read before the new carry is computed, which lets
      // bufferization compute the new carry in place.
      SmallVector<Value> yielded;
      for (unsigned i = 0; i < numCarries; ++i) {
        Value next = yieldedValues[i];
        if (stackOfCarry[i] < 0) {
          yielded.push_back(next);
          continue;
        }
        rewriter.setInsertionPoint(yield);
        StepSlice slice = getStepSlice(rewriter, carryStackType(i), nextT);
        yielded.push_back(tensor::InsertSliceOp::create(
            rewriter, loc, next, forOp.getRegionIterArgs()[i], slice.offsets,
            slice.sizes, slice.strides));
      }
      auto stackedArgs = forOp.getRegionIterArgs().drop_front(numCarries);
      unsigned stackIndex = 0;
      for (unsigned j = 0; j < numOutputs; ++j) {
        if (carryOfOutput[j] >= 0)
          continue;
        Value value = yieldedValues[numCarries + j];
        Value stacked = stackedArgs[stackIndex++];
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
    }

    // The scan's results: a stacked carry is slice T of its stack, its
    // stacked incoming values slices 0..T-1 and its stacked next values
    // slices 1..T.
    SmallVector<Value> results;
    for (unsigned i = 0; i < numCarries; ++i) {
      Value result = forOp.getResult(i);
      if (stackOfCarry[i] < 0) {
        results.push_back(result);
        continue;
      }
      StepSlice last = getStepSlice(rewriter, carryStackType(i),
                                    rewriter.getIndexAttr(*tripCount));
      results.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, cast<RankedTensorType>(op.getResult(i).getType()),
          result, last.offsets, last.sizes, last.strides));
    }
    unsigned stackIndex = numCarries;
    for (unsigned j = 0; j < numOutputs; ++j) {
      if (carryOfOutput[j] < 0) {
        results.push_back(forOp.getResult(stackIndex++));
        continue;
      }
      RankedTensorType type = outputType(j);
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      offsets.front() = rewriter.getIndexAttr(firstSliceOfOutput[j]);
      SmallVector<OpFoldResult> sizes, strides(type.getRank(),
                                               rewriter.getIndexAttr(1));
      for (int64_t size : type.getShape())
        sizes.push_back(rewriter.getIndexAttr(size));
      results.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, type, forOp.getResult(carryOfOutput[j]), offsets,
          sizes, strides));
    }
    rewriter.replaceOp(op, results);
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
