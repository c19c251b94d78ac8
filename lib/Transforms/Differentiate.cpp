//===- Differentiate.cpp - expand scan.grad by reverse-mode AD -----------===//
//
// scan-differentiate replaces every `scan.grad @f(...) wrt [...]` with a call
// to a generated function `@f_grad_<i>_<j>...` that recomputes @f and then
// runs the reverse rules of its ops (lib/Transforms/Differentiation/) from
// the returned scalar back to the chosen arguments.
//
//===----------------------------------------------------------------------===//

#include "Differentiation/Differentiation.h"

#include "scan/Dialect/Scan/IR/ScanDialect.h"
#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::scan {
#define GEN_PASS_DEF_DIFFERENTIATEPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

#define DEBUG_TYPE "scan-differentiate"

/// Erases the ops of `block` whose results are unused and that have no
/// effects (the cost computation itself, once its adjoints exist).
static void eraseDeadOps(Block &block) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
      if (isOpTriviallyDead(&op)) {
        op.erase();
        changed = true;
      }
  }
}

/// Builds the gradient of `callee` w.r.t. the arguments `wrt` as a new
/// private function placed after `callee`. Reports errors at `grad` or at the
/// offending op of the callee.
static FailureOr<func::FuncOp> buildGradient(func::FuncOp callee,
                                             ArrayRef<int64_t> wrt,
                                             SymbolTable &symbols,
                                             Operation *grad) {
  if (callee.isExternal())
    return grad->emitError("scan-differentiate: cannot differentiate the "
                           "external function @")
           << callee.getSymName();
  if (!llvm::hasSingleElement(callee.getBody()))
    return grad->emitError("scan-differentiate: cannot differentiate @")
           << callee.getSymName() << ": it has more than one block";
  auto ret = dyn_cast<func::ReturnOp>(callee.getBody().front().getTerminator());
  if (!ret || ret.getNumOperands() != 1)
    return grad->emitError("scan-differentiate: @")
           << callee.getSymName() << " must end in func.return of one value";

  std::string name = (callee.getSymName() + "_grad").str();
  SmallVector<Type> gradTypes;
  for (int64_t index : wrt) {
    name += "_" + std::to_string(index);
    gradTypes.push_back(callee.getArgumentTypes()[index]);
  }
  OpBuilder moduleBuilder(callee->getContext());
  auto gradFn = func::FuncOp::create(
      moduleBuilder, callee.getLoc(), name,
      moduleBuilder.getFunctionType(callee.getArgumentTypes(), gradTypes));
  gradFn.setPrivate();
  symbols.insert(gradFn, std::next(Block::iterator(callee)));

  // Recompute the primal.
  Block *entry = gradFn.addEntryBlock();
  IRMapping mapping;
  mapping.map(callee.getArguments(), entry->getArguments());
  OpBuilder b = OpBuilder::atBlockEnd(entry);
  for (Operation &op : callee.getBody().front().without_terminator())
    b.clone(op, mapping);

  ad::SharedState shared(ad::getReverseRules());
  for (int64_t index : wrt)
    shared.varied.insert(entry->getArgument(index));
  ad::propagateVaried(*entry, shared);
  ad::AdjointContext ctx(shared);

  auto fail = [&]() -> FailureOr<func::FuncOp> {
    gradFn.erase();
    return failure();
  };

  // Let rules make the primal keep what their reverse needs.
  if (failed(ad::prepareOps(*entry, ctx)))
    return fail();

  // Seed d(cost)/d(cost) = 1 and sweep back to the arguments.
  Location loc = ret.getLoc();
  Value cost = mapping.lookupOrDefault(ret.getOperand(0));
  if (ctx.needsAdjoint(cost))
    ctx.setAdjoint(cost, ad::createFloatConstant(b, ad::nameLoc(loc, "dcost"),
                                                 cost.getType(), 1.0));
  SmallVector<Operation *> ops =
      llvm::map_to_vector(*entry, [](Operation &op) { return &op; });
  if (failed(ctx.reverseSweep(ops, b)))
    return fail();

  SmallVector<Value> results;
  for (int64_t index : wrt)
    results.push_back(ctx.getAdjointOrZeros(b, loc, entry->getArgument(index)));
  func::ReturnOp::create(b, loc, results);
  eraseDeadOps(*entry);
  return gradFn;
}

namespace {
struct DifferentiatePass final
    : scan::impl::DifferentiatePassBase<DifferentiatePass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void DifferentiatePass::runOnOperation() {
  ModuleOp module = getOperation();
  SymbolTable symbols(module);
  SmallVector<GradOp> grads;
  module.walk([&](GradOp grad) { grads.push_back(grad); });

  // One gradient function per (callee, wrt) pair.
  llvm::StringMap<func::FuncOp> generated;
  for (GradOp grad : grads) {
    auto callee = symbols.lookup<func::FuncOp>(grad.getCallee());
    if (!callee) {
      grad.emitError("scan-differentiate: no func.func named @")
          << grad.getCallee();
      return signalPassFailure();
    }
    std::string key = grad.getCallee().str();
    for (int64_t index : grad.getWrt())
      key += "," + std::to_string(index);
    func::FuncOp &gradFn = generated[key];
    if (!gradFn) {
      FailureOr<func::FuncOp> built =
          buildGradient(callee, grad.getWrt(), symbols, grad);
      if (failed(built))
        return signalPassFailure();
      gradFn = *built;
    }
    OpBuilder b(grad);
    auto call = func::CallOp::create(b, grad.getLoc(), gradFn, grad.getArgs());
    grad->replaceAllUsesWith(call.getResults());
    grad->erase();
  }

  // With every gradient built, the markers have done their work.
  module.walk([](StopGradientOp stop) {
    stop.replaceAllUsesWith(stop.getInput());
    stop.erase();
  });
}
