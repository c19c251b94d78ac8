//===- Differentiate.cpp - expand scan.grad by reverse-mode AD -----------===//
//
// scan-differentiate replaces every `scan.grad @f(...) wrt [...]` with a call
// to a generated function `@f_grad_<i>_<j>...` that recomputes @f and then
// runs the reverse rules of its ops (lib/Transforms/Differentiation/) from
// the returned scalar back to the chosen arguments, and every `scan.vjp` with
// a call to `@f_vjp_<i>_<j>...`, built the same way from the cotangents of
// all of @f's results.
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
#include "mlir/Transforms/Inliner.h"
#include "mlir/Transforms/InliningUtils.h"
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

/// Inlines into `block` every call of a function with a body, calls within
/// the inlined bodies too, so that the reverse rules see the callee's ops.
/// Upstream's inliner does the work, through the dialects' inliner
/// interfaces; inlined ops are located at their own line called from the
/// call's.
static LogicalResult inlineCalls(Block &block, SymbolTable &symbols) {
  // Only recursion nests calls this deep.
  constexpr unsigned maxDepth = 64;
  InlinerInterface interface(block.getParentOp()->getContext());
  InlinerConfig config;
  for (unsigned depth = 0;; ++depth) {
    SmallVector<std::pair<func::CallOp, func::FuncOp>> calls;
    block.walk([&](func::CallOp call) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (callee && !callee.isExternal())
        calls.emplace_back(call, callee);
    });
    if (calls.empty())
      return success();
    if (depth == maxDepth)
      return calls.front().first.emitError("scan-differentiate: calls nested "
                                           "more than ")
             << maxDepth << " deep (a recursive function?) cannot be "
             << "differentiated";
    for (auto [call, callee] : calls) {
      // Several blocks cannot go into a scan body or a single-block caller.
      if (!llvm::hasSingleElement(callee.getBody()))
        return call.emitError("scan-differentiate: cannot differentiate "
                              "through the call of @")
               << callee.getSymName() << ": it has more than one block";
      if (failed(inlineCall(interface, config.getCloneCallback(), call,
                            callee, &callee.getBody())))
        return call.emitError("scan-differentiate: cannot inline the call "
                              "of @")
               << callee.getSymName();
      call.erase();
    }
  }
}

/// What to generate for a scan.grad or scan.vjp: the pullback of `callee`
/// w.r.t. the arguments `wrt`. A gradient seeds its scalar result with 1 and
/// returns the gradients; a vjp takes one cotangent per result after the
/// arguments and returns the results, then the gradients.
struct PullbackRequest {
  func::FuncOp callee;
  ArrayRef<int64_t> wrt;
  bool isVjp;
};

/// Builds the function of `request` as a new private function placed after
/// the callee. Reports errors at `user` (the scan.grad or scan.vjp) or at
/// the offending op of the callee.
static FailureOr<func::FuncOp> buildPullback(const PullbackRequest &request,
                                             SymbolTable &symbols,
                                             Operation *user) {
  func::FuncOp callee = request.callee;
  if (callee.isExternal())
    return user->emitError("scan-differentiate: cannot differentiate the "
                           "external function @")
           << callee.getSymName();
  if (!llvm::hasSingleElement(callee.getBody()))
    return user->emitError("scan-differentiate: cannot differentiate @")
           << callee.getSymName() << ": it has more than one block";
  auto ret = dyn_cast<func::ReturnOp>(callee.getBody().front().getTerminator());
  if (!ret || (!request.isVjp && ret.getNumOperands() != 1))
    return user->emitError("scan-differentiate: @")
           << callee.getSymName() << " must end in func.return of one value";

  std::string name =
      (callee.getSymName() + (request.isVjp ? "_vjp" : "_grad")).str();
  SmallVector<Type> inputTypes(callee.getArgumentTypes());
  SmallVector<Type> resultTypes;
  if (request.isVjp) {
    llvm::append_range(inputTypes, callee.getResultTypes());
    llvm::append_range(resultTypes, callee.getResultTypes());
  }
  for (int64_t index : request.wrt) {
    name += "_" + std::to_string(index);
    resultTypes.push_back(callee.getArgumentTypes()[index]);
  }
  OpBuilder moduleBuilder(callee->getContext());
  auto pullback = func::FuncOp::create(
      moduleBuilder, callee.getLoc(), name,
      moduleBuilder.getFunctionType(inputTypes, resultTypes));
  pullback.setPrivate();
  symbols.insert(pullback, std::next(Block::iterator(callee)));

  // Recompute the primal.
  Block *entry = pullback.addEntryBlock();
  IRMapping mapping;
  unsigned numArgs = callee.getNumArguments();
  mapping.map(callee.getArguments(),
              entry->getArguments().take_front(numArgs));
  OpBuilder b = OpBuilder::atBlockEnd(entry);
  for (Operation &op : callee.getBody().front().without_terminator())
    b.clone(op, mapping);
  // A copy of the return keeps track of the results while a prepare rule
  // replaces the op defining one of them.
  Operation *retCopy = b.clone(*ret, mapping);
  if (failed(inlineCalls(*entry, symbols))) {
    pullback.erase();
    return failure();
  }

  ad::SharedState shared(ad::getReverseRules());
  for (int64_t index : request.wrt)
    shared.varied.insert(entry->getArgument(index));
  ad::propagateVaried(*entry, shared);
  ad::AdjointContext ctx(shared);

  auto fail = [&]() -> FailureOr<func::FuncOp> {
    pullback.erase();
    return failure();
  };

  // Let rules make the primal keep what their reverse needs.
  if (failed(ad::prepareOps(*entry, ctx)))
    return fail();
  SmallVector<Value> primalResults(retCopy->getOperands());
  retCopy->erase();

  // Seed the results' adjoints and sweep back to the arguments: the
  // cotangents of a vjp, d(cost)/d(cost) = 1 for a gradient.
  Location loc = ret.getLoc();
  if (request.isVjp) {
    for (auto [result, cotangent] : llvm::zip_equal(
             primalResults, entry->getArguments().drop_front(numArgs)))
      ctx.addAdjoint(b, loc, result, cotangent);
  } else if (ctx.needsAdjoint(primalResults[0])) {
    ctx.setAdjoint(primalResults[0],
                   ad::createFloatConstant(b, ad::nameLoc(loc, "dcost"),
                                           primalResults[0].getType(), 1.0));
  }
  SmallVector<Operation *> ops =
      llvm::map_to_vector(*entry, [](Operation &op) { return &op; });
  if (failed(ctx.reverseSweep(ops, b)))
    return fail();

  SmallVector<Value> results;
  if (request.isVjp)
    results = primalResults;
  for (int64_t index : request.wrt)
    results.push_back(ctx.getAdjointOrZeros(b, loc, entry->getArgument(index)));
  func::ReturnOp::create(b, loc, results);
  eraseDeadOps(*entry);
  return pullback;
}

/// The functions `fn` refers to through calls, scan.grad and scan.vjp.
static SmallVector<func::FuncOp> getReferencedFunctions(func::FuncOp fn,
                                                        SymbolTable &symbols) {
  SmallVector<func::FuncOp> referenced;
  fn.walk([&](Operation *op) {
    StringRef callee;
    if (auto call = dyn_cast<func::CallOp>(op))
      callee = call.getCallee();
    else if (auto grad = dyn_cast<GradOp>(op))
      callee = grad.getCallee();
    else if (auto vjp = dyn_cast<VjpOp>(op))
      callee = vjp.getCallee();
    else
      return;
    if (auto target = symbols.lookup<func::FuncOp>(callee))
      referenced.push_back(target);
  });
  return referenced;
}

/// A path of functions from `from` to `to` through calls, scan.grad and
/// scan.vjp (both ends included), or an empty one if there is none.
static SmallVector<func::FuncOp> findPath(func::FuncOp from, func::FuncOp to,
                                          SymbolTable &symbols) {
  DenseMap<Operation *, Operation *> parent{{from, nullptr}};
  SmallVector<func::FuncOp> worklist{from};
  while (!worklist.empty()) {
    func::FuncOp fn = worklist.pop_back_val();
    if (fn == to) {
      SmallVector<func::FuncOp> path;
      for (Operation *at = fn; at; at = parent[at])
        path.push_back(cast<func::FuncOp>(at));
      std::reverse(path.begin(), path.end());
      return path;
    }
    for (func::FuncOp next : getReferencedFunctions(fn, symbols))
      if (parent.try_emplace(next, fn).second)
        worklist.push_back(next);
  }
  return {};
}

/// Fails with an error at `user` (a scan.grad or scan.vjp of `callee`) when
/// `callee` reaches the function holding `user`: the derivative would have
/// to contain itself.
static LogicalResult checkNoCycle(Operation *user, func::FuncOp callee,
                                  SymbolTable &symbols) {
  auto holder = user->getParentOfType<func::FuncOp>();
  if (!holder)
    return success();
  SmallVector<func::FuncOp> path = findPath(callee, holder, symbols);
  if (path.empty())
    return success();
  std::string chain = "@" + holder.getSymName().str();
  for (func::FuncOp fn : path)
    chain += " -> @" + fn.getSymName().str();
  return user->emitError("scan-differentiate: @")
         << holder.getSymName() << " differentiates @" << callee.getSymName()
         << ", which reaches @" << holder.getSymName()
         << " again (" << chain << "): a derivative cannot contain itself";
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

  // One generated function per (kind, callee, wrt). A generated function
  // clones its callee, so it holds copies of the callee's own scan.grad and
  // scan.vjp ops: expand until none is left (this ends because cycles are
  // rejected first).
  llvm::StringMap<func::FuncOp> generated;
  while (true) {
    SmallVector<Operation *> users;
    module.walk([&](Operation *op) {
      if (isa<GradOp, VjpOp>(op))
        users.push_back(op);
    });
    if (users.empty())
      break;
    for (Operation *user : users) {
      auto grad = dyn_cast<GradOp>(user);
      auto vjp = dyn_cast<VjpOp>(user);
      StringRef calleeName = grad ? grad.getCallee() : vjp.getCallee();
      PullbackRequest request{symbols.lookup<func::FuncOp>(calleeName),
                              grad ? grad.getWrt() : vjp.getWrt(),
                              static_cast<bool>(vjp)};
      if (!request.callee) {
        user->emitError("scan-differentiate: no func.func named @")
            << calleeName;
        return signalPassFailure();
      }
      if (failed(checkNoCycle(user, request.callee, symbols)))
        return signalPassFailure();
      std::string key = (request.isVjp ? "vjp," : "grad,") + calleeName.str();
      for (int64_t index : request.wrt)
        key += "," + std::to_string(index);
      func::FuncOp &pullback = generated[key];
      if (!pullback) {
        FailureOr<func::FuncOp> built = buildPullback(request, symbols, user);
        if (failed(built))
          return signalPassFailure();
        pullback = *built;
      }
      OpBuilder b(user);
      auto call = func::CallOp::create(b, user->getLoc(), pullback,
                                       user->getOperands());
      user->replaceAllUsesWith(call.getResults());
      user->erase();
    }
  }

  // With every gradient built, the markers have done their work.
  module.walk([](StopGradientOp stop) {
    stop.replaceAllUsesWith(stop.getInput());
    stop.erase();
  });
}
