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
