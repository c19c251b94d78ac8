//===- PrepareBufferization.cpp - in-place friendly destinations -*- C++ -*-===//
//
// Chooses tensor destinations before one-shot bufferization so that loop
// carries are computed into their own buffers, zero-initialised
// accumulators are filled next to their use, public functions never write
// into their arguments, loops never start two stacks from one tensor and no
// function returns one tensor twice.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SmallPtrSet.h"

#define DEBUG_TYPE "scan-prepare-bufferization"

namespace mlir::scan {
#define GEN_PASS_DEF_PREPAREBUFFERIZATIONPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Makes each iter_arg the destination of the linalg op computing its next
/// value, when that op's destination is a tensor.empty it never reads, or a
/// linalg.fill (used only there, in the loop body) of a tensor.empty: the
/// fill then writes into the carry. Either way the old contents of the
/// destination are never read, so any tensor of the type will do.
void useCarriesAsDestinations(scf::ForOp loop) {
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (auto [iterArg, yielded] :
       llvm::zip_equal(loop.getRegionIterArgs(), yield.getOperands())) {
    auto result = dyn_cast<OpResult>(yielded);
    if (!result || result.getOwner()->getBlock() != loop.getBody())
      continue;
    auto linalgOp = dyn_cast<linalg::LinalgOp>(result.getOwner());
    if (!linalgOp || !linalgOp.hasPureTensorSemantics())
      continue;
    OpOperand *init = linalgOp.getDpsInitOperand(result.getResultNumber());
    if (init->get().getType() != iterArg.getType())
      continue;
    if (init->get().getDefiningOp<tensor::EmptyOp>()) {
      if (!linalgOp.payloadUsesValueFromOperand(init))
        init->set(iterArg);
      continue;
    }
    auto fill = init->get().getDefiningOp<linalg::FillOp>();
    if (fill && fill->getBlock() == loop.getBody() && fill->hasOneUse() &&
        fill.hasPureTensorSemantics() &&
        fill.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>())
      fill.getDpsInitsMutable()[0].set(iterArg);
  }
}

/// Gives `op` a private copy of a zero-like fill defined in another block.
void sinkFillIntoUse(linalg::LinalgOp op) {
  for (OpOperand &init : op.getDpsInitsMutable()) {
    auto fill = init.get().getDefiningOp<linalg::FillOp>();
    if (!fill || fill->getBlock() == op->getBlock() ||
        !fill.hasPureTensorSemantics())
      continue;
    auto empty = fill.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>();
    if (!empty || !empty.getDynamicSizes().empty())
      continue;
    OpBuilder builder(op);
    IRMapping mapping;
    builder.clone(*empty, mapping);
    Operation *newFill = builder.clone(*fill, mapping);
    init.set(newFill->getResult(0));
    // Drop the original when this was its last use, so that no buffer is
    // filled for nothing.
    if (fill->use_empty()) {
      fill->erase();
      if (empty->use_empty())
        empty->erase();
    }
  }
}

/// Gives every loop init that repeats a tensor.empty of an earlier init of
/// the same loop its own tensor.empty.
/// CSE merges the empty stacks of a loop's per-step outputs into one value;
/// empty-tensor elimination then lets a step value be computed directly in
/// its stack slice, and one-shot bufferization, which does not see a conflict
/// between two writes into undefined contents, gives both stacks one buffer:
/// a value computed into one stack's slice is overwritten by the other
/// stack's write before it is read again.
void unshareEmptyInits(scf::ForOp loop) {
  llvm::SmallPtrSet<Operation *, 4> seen;
  for (OpOperand &init : loop.getInitArgsMutable()) {
    auto empty = init.get().getDefiningOp<tensor::EmptyOp>();
    if (!empty || seen.insert(empty).second)
      continue;
    OpBuilder builder(loop);
    init.set(builder.clone(*empty)->getResult(0));
  }
}

/// A tensor.concat of values that linalg ops compute into tensor.empty
/// destinations (read by nobody else): the ops compute straight into slices
/// of one tensor.empty of the concatenation's shape, and the concatenation
/// becomes insertions of them into it, which bufferize to copies of a slice
/// into itself (removed). Empty-tensor elimination can then place the whole
/// in a stacked output's slice. This is what lets several results of one
/// fused elementwise op land side by side in one buffer, which upstream's
/// concat decomposition plus empty-tensor elimination cannot do (the second
/// insertion's destination does not dominate the op).
void computeConcatenationInPlace(tensor::ConcatOp concat,
                                 DominanceInfo &dominance) {
  auto type = dyn_cast<RankedTensorType>(concat.getType());
  if (!type || !type.hasStaticShape())
    return;
  SmallVector<OpOperand *> inits;
  Operation *first = nullptr;
  for (Value piece : concat.getInputs()) {
    auto result = dyn_cast<OpResult>(piece);
    auto linalgOp =
        result ? dyn_cast<linalg::LinalgOp>(result.getOwner()) : nullptr;
    if (!linalgOp || !linalgOp.hasPureTensorSemantics() || !piece.hasOneUse() ||
        linalgOp->getBlock() != concat->getBlock() ||
        !cast<RankedTensorType>(piece.getType()).hasStaticShape())
      return;
    OpOperand *init = linalgOp.getDpsInitOperand(result.getResultNumber());
    if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
        linalgOp.payloadUsesValueFromOperand(init))
      return;
    inits.push_back(init);
    if (!first || linalgOp->isBeforeInBlock(first))
      first = linalgOp;
  }
  OpBuilder b(first);
  Location loc = concat.getLoc();
  // Where the whole goes: the slice a user inserts it into (a stacked
  // output's, at this step) when that slice is known before the pieces are
  // computed; else a new tensor.
  Value whole;
  for (Operation *user : concat->getUsers()) {
    auto insert = dyn_cast<tensor::InsertSliceOp>(user);
    if (!insert || insert.getSource() != concat.getResult() ||
        !llvm::all_of(insert->getOperands(), [&](Value v) {
          return v == concat.getResult() || dominance.properlyDominates(v, first);
        }))
      continue;
    whole = tensor::ExtractSliceOp::create(
        b, loc, type, insert.getDest(), insert.getMixedOffsets(),
        insert.getMixedSizes(), insert.getMixedStrides());
    break;
  }
  if (!whole)
    whole = tensor::EmptyOp::create(b, loc, type.getShape(),
                                    type.getElementType());
  int64_t dim = concat.getDim(), offset = 0, rank = type.getRank();
  SmallVector<std::pair<Value, SmallVector<OpFoldResult>>> placed;
  for (OpOperand *init : inits) {
    auto pieceType = cast<RankedTensorType>(init->get().getType());
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    offsets[dim] = b.getIndexAttr(offset);
    SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t size : pieceType.getShape())
      sizes.push_back(b.getIndexAttr(size));
    offset += pieceType.getDimSize(dim);
    b.setInsertionPoint(init->getOwner());
    init->set(tensor::ExtractSliceOp::create(b, loc, pieceType, whole, offsets,
                                             sizes, strides));
    placed.push_back({init->getOwner()->getResult(
                          cast<DestinationStyleOpInterface>(init->getOwner())
                              .getTiedOpResult(init)
                              .getResultNumber()),
                      offsets});
  }
  b.setInsertionPoint(concat);
  for (auto &[value, offsets] : placed) {
    auto pieceType = cast<RankedTensorType>(value.getType());
    SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t size : pieceType.getShape())
      sizes.push_back(b.getIndexAttr(size));
    whole = tensor::InsertSliceOp::create(b, loc, value, whole, offsets, sizes,
                                          strides);
  }
  concat.replaceAllUsesWith(whole);
  concat.erase();
}

/// Gives every destination-style use of a tensor.empty (hoisted out of a
/// loop, or shared by CSE) its own tensor.empty right before the user.
/// Empty-tensor elimination can then replace each by the slice its result
/// is inserted into (a stacked output's, a concatenation's), which it
/// cannot do for one empty shared by several users or defined outside the
/// loop that holds the slice.
void localizeEmptyInits(tensor::EmptyOp empty) {
  if (!empty.getDynamicSizes().empty())
    return; // sizes defined next to the empty may not reach its users
  for (OpOperand &use : llvm::make_early_inc_range(empty->getUses())) {
    auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
    if (!dps || !dps.isDpsInit(&use))
      continue;
    OpBuilder builder(use.getOwner());
    use.set(builder.clone(*empty)->getResult(0));
  }
  if (empty->use_empty())
    empty->erase();
}

/// Returns a fresh copy of a tensor at every repeated position of `ret`.
/// Bufferized, the same buffer would otherwise be returned twice, and
/// buffer-results-to-out-params (which gives each result its own out-param,
/// and with hoist-static-allocs replaces the allocation by it) cannot handle
/// that. A gradient returns the same tensor twice when the zero gradients of
/// two unused arguments of one type were merged by CSE.
void copyRepeatedResults(func::ReturnOp ret) {
  llvm::SmallPtrSet<Value, 8> seen;
  for (OpOperand &operand : ret->getOpOperands()) {
    Value value = operand.get();
    if (!isa<RankedTensorType>(value.getType()) || seen.insert(value).second)
      continue;
    OpBuilder builder(ret);
    auto copy = bufferization::AllocTensorOp::create(
        builder, ret.getLoc(), cast<RankedTensorType>(value.getType()),
        /*dynamicSizes=*/ValueRange(), /*copy=*/value);
    operand.set(copy);
  }
}

struct PrepareBufferizationPass final
    : scan::impl::PrepareBufferizationPassBase<PrepareBufferizationPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<tensor::ConcatOp> concats;
    module.walk([&](tensor::ConcatOp concat) { concats.push_back(concat); });
    DominanceInfo dominance(module);
    for (tensor::ConcatOp concat : concats)
      computeConcatenationInPlace(concat, dominance);
    // Any other concatenation becomes insertions into one tensor.empty, so
    // that empty-tensor elimination can make the producers of its pieces
    // write straight into their places, instead of into temporaries copied
    // afterwards.
    {
      RewritePatternSet patterns(&getContext());
      tensor::populateDecomposeTensorConcatPatterns(patterns);
      if (failed(applyPatternsGreedily(module, std::move(patterns))))
        return signalPassFailure();
    }
    SmallVector<tensor::EmptyOp> empties;
    module.walk([&](tensor::EmptyOp empty) { empties.push_back(empty); });
    for (tensor::EmptyOp empty : empties)
      localizeEmptyInits(empty);
    // Fills first: a fill sunk next to the matmul computing a carry can then
    // be retargeted to the carry.
    SmallVector<linalg::LinalgOp> inLoops;
    module.walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<scf::ForOp>() && op.hasPureTensorSemantics())
        inLoops.push_back(op);
    });
    for (linalg::LinalgOp op : inLoops)
      sinkFillIntoUse(op);
    module.walk([](scf::ForOp loop) {
      useCarriesAsDestinations(loop);
      unshareEmptyInits(loop);
    });
    module.walk([](func::ReturnOp ret) { copyRepeatedResults(ret); });
    auto readOnly = BoolAttr::get(&getContext(), false);
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic())
        continue;
      for (BlockArgument arg : func.getArguments())
        if (isa<TensorType>(arg.getType()))
          func.setArgAttr(arg.getArgNumber(),
                          bufferization::BufferizationDialect::kWritableAttrName,
                          readOnly);
    }
  }
};

} // namespace
