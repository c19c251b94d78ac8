//===- OutlineNestedLoops.cpp - bound loop nests for bufferization -*- C++ -*-===//
//
// Keeps one-shot bufferization linear in the nesting depth of loops.
//
// Why upstream's bufferization is exponential in nesting depth: when an
// scf.for's init is the iter_arg of the loop around it (a scan nested in
// a scan carrying the outer carry), two upstream queries recurse through
// the whole nest without remembering answers:
//  * Analysis (one-shot analysis and empty-tensor elimination): whether a
//    loop reads an init operand is `AnalysisState::isValueRead` of the tied
//    iter_arg, a walk over its uses; at a nested loop's init the walk asks
//    that loop twice (`bufferizesToAliasOnly`, which asks whether the operand
//    is read, then the read question itself), so the cost doubles per level.
//  * Rewriting: `getBufferType` of an iter_arg computes the init's buffer
//    type and then the yielded value's; the yielded value is the nested
//    loop's result, whose iter_arg's init is this iter_arg again, so the
//    init chain above is walked once more at every level. Ops are rewritten
//    innermost first, so no loop is bufferized yet when these queries run.
// Both cost 2^depth per question: 0.25 s at depth 16, 3.4 s at depth 20,
// about a minute at depth 24.
//
// Both recursions stop at function arguments, whose buffer type comes from
// the function type and whose reads come from the callee's summary. The
// first pass outlines every scf.for with `max-depth` loops around it in its
// function into a private function, so no function holds a nest deeper than
// that; the second, run right after bufferization, inlines those calls back
// and erases the functions. Nests up to `max-depth` are left as they are.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

#define DEBUG_TYPE "scan-outline-nested-loops"

namespace mlir::scan {
#define GEN_PASS_DEF_OUTLINENESTEDLOOPSPASS
#define GEN_PASS_DEF_INLINEOUTLINEDLOOPSPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Marks the functions this pass creates, for the inlining pass.
constexpr StringLiteral kOutlinedLoopAttr = "scan.outlined_loop";

/// Number of scf.for ops around `op` inside its function.
unsigned getLoopDepth(Operation *op) {
  unsigned depth = 0;
  for (Operation *parent = op->getParentOp();
       parent && !isa<FunctionOpInterface>(parent);
       parent = parent->getParentOp())
    if (isa<scf::ForOp>(parent))
      ++depth;
  return depth;
}

/// Whether `op` is a constant, a static `tensor.empty` or a `linalg.fill` of
/// such values: definitions the loop gets its own copy of, since the
/// preparation for bufferization must see, in the loop's function, which
/// destinations are empty or zero-filled.
bool isRematerializable(Operation *op) {
  if (op->hasTrait<OpTrait::ConstantLike>())
    return true;
  if (auto empty = dyn_cast<tensor::EmptyOp>(op))
    return empty.getDynamicSizes().empty();
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.hasPureTensorSemantics() &&
           llvm::all_of(fill->getOperands(), [](Value operand) {
             Operation *def = operand.getDefiningOp();
             return def && isRematerializable(def);
           });
  return false;
}

/// Gives the ops in `body` their own copies of rematerializable values
/// defined outside of it.
void rematerializeCapturedValues(RewriterBase &rewriter, Block *body) {
  Region *region = body->getParent();
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(*region, captured);
  rewriter.setInsertionPointToStart(body);
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (!def || !isRematerializable(def))
      continue;
    IRMapping mapping;
    // Operands first (a fill's empty and constant), then the op itself.
    SmallVector<Operation *> chain;
    SmallVector<Operation *> worklist{def};
    while (!worklist.empty()) {
      Operation *next = worklist.pop_back_val();
      chain.push_back(next);
      for (Value operand : next->getOperands())
        worklist.push_back(operand.getDefiningOp());
    }
    for (Operation *op : llvm::reverse(chain))
      if (!mapping.contains(op->getResult(0)))
        rewriter.clone(*op, mapping);
    Value copy = mapping.lookup(value);
    rewriter.replaceUsesWithIf(value, copy, [&](OpOperand &use) {
      return region->isAncestor(use.getOwner()->getParentRegion());
    });
  }
}

/// Moves `loop` into a private function of its own and calls it in place.
LogicalResult outlineLoop(RewriterBase &rewriter, scf::ForOp loop,
                          SymbolTable &symbols) {
  auto func = loop->getParentOfType<func::FuncOp>();
  if (!func)
    return loop.emitError("loop to outline is not inside a func.func");
  Location loc = loop.getLoc();

  // The loop alone in an execute_region, whose region is then outlined.
  rewriter.setInsertionPoint(loop);
  auto wrapper =
      scf::ExecuteRegionOp::create(rewriter, loc, loop.getResultTypes());
  Block *body = rewriter.createBlock(&wrapper.getRegion());
  rewriter.replaceAllUsesWith(loop.getResults(), wrapper.getResults());
  rewriter.moveOpBefore(loop, body, body->end());
  rewriter.setInsertionPointToEnd(body);
  scf::YieldOp::create(rewriter, loc, loop.getResults());
  rematerializeCapturedValues(rewriter, body);

  std::string name = (func.getSymName() + "_nested_loop").str();
  for (unsigned suffix = 1; symbols.lookup(name); ++suffix)
    name = (func.getSymName() + "_nested_loop_" + Twine(suffix)).str();
  func::CallOp call;
  FailureOr<func::FuncOp> outlined = outlineSingleBlockRegion(
      rewriter, loc, wrapper.getRegion(), name, &call);
  if (failed(outlined))
    return wrapper.emitError("cannot outline a deeply nested loop");
  symbols.insert(*outlined);
  outlined->setPrivate();
  (*outlined)->setAttr(kOutlinedLoopAttr, rewriter.getUnitAttr());

  // Only the call is left in the wrapper: put it in the wrapper's place.
  rewriter.moveOpBefore(call, wrapper);
  rewriter.replaceOp(wrapper, call.getResults());
  return success();
}

struct OutlineNestedLoopsPass final
    : scan::impl::OutlineNestedLoopsPassBase<OutlineNestedLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (maxDepth < 1) {
      module.emitError("scan-outline-nested-loops: max-depth must be at "
                       "least 1, got ")
          << static_cast<int64_t>(maxDepth);
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    IRRewriter rewriter(&getContext());
    // Each round outlines the loops `maxDepth` deep; their functions may hold
    // loops that deep again, which the next round takes.
    while (true) {
      SmallVector<scf::ForOp> tooDeep;
      module.walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
        if (getLoopDepth(loop) < static_cast<unsigned>(maxDepth))
          return WalkResult::advance();
        tooDeep.push_back(loop);
        return WalkResult::skip();
      });
      if (tooDeep.empty())
        return;
      for (scf::ForOp loop : tooDeep) {
        if (failed(outlineLoop(rewriter, loop, symbols)))
          return signalPassFailure();
        ++numOutlined;
      }
    }
  }
};

struct InlineOutlinedLoopsPass final
    : scan::impl::InlineOutlinedLoopsPassBase<InlineOutlinedLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    IRRewriter rewriter(&getContext());
    SmallVector<func::FuncOp> outlined;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(kOutlinedLoopAttr))
        outlined.push_back(func);
    // Each function has its one call, which moves with its body when the
    // function around it is inlined, so the order does not matter.
    for (func::FuncOp func : outlined) {
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(func, module);
      if (!uses || !llvm::hasSingleElement(*uses)) {
        func.emitError("outlined loop function must have exactly one call");
        return signalPassFailure();
      }
      auto call = dyn_cast<func::CallOp>(uses->begin()->getUser());
      if (!call || !func.getBody().hasOneBlock() ||
          call.getOperandTypes() != func.getArgumentTypes() ||
          call.getResultTypes() != func.getResultTypes()) {
        func.emitError("outlined loop function does not match its call");
        return signalPassFailure();
      }
      Block &body = func.getBody().front();
      auto ret = cast<func::ReturnOp>(body.getTerminator());
      // The return comes along, its operands now in terms of the call's.
      rewriter.inlineBlockBefore(&body, call, call.getOperands());
      rewriter.replaceOp(call, ret.getOperands());
      rewriter.eraseOp(ret);
      symbols.erase(func);
      ++numInlined;
    }
  }
};

} // namespace
