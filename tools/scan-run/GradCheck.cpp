//===- GradCheck.cpp - gradients against finite differences -----*- C++ -*-===//

#include "GradCheck.h"
#include "Variant.h"

#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace scanrun;
using namespace mlir::scan::runner;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

/// Removes every function containing a scan.grad or scan.vjp, except `keep`.
static void eraseGradUsers(ModuleOp module, StringRef keep) {
  SmallVector<func::FuncOp> dead;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.getSymName() == keep)
      continue;
    bool hasGrad = false;
    fn.walk([&](Operation *op) {
      hasGrad |= isa<scan::GradOp, scan::VjpOp>(op);
    });
    if (hasGrad)
      dead.push_back(fn);
  }
  for (auto fn : dead)
    fn.erase();
}

/// For --check-grad of a scan.vjp: adds to `module` the scalar function
/// whose gradient the vjp computes, `@_scan_run_vjp_cost_<f>(args..., cts...)
/// = sum_k <cts_k, f(args)_k>`, and returns its name. The cotangents are
/// the entry's values, so random inputs give random cotangents.
static Expected<std::string> buildVjpCost(ModuleOp module, scan::VjpOp vjp) {
  std::string name = "_scan_run_vjp_cost_" + vjp.getCallee().str();
  auto callee =
      lookupFunc(module, vjp.getCallee(), " (the function differentiated)");
  if (!callee)
    return callee.takeError();
  Type costType = getElementTypeOrSelf(vjp.getCotangents()[0].getType());
  for (Value ct : vjp.getCotangents())
    if (getElementTypeOrSelf(ct.getType()) != costType)
      return fail("--check-grad needs the results of @" +
                  vjp.getCallee().str() + " to have one element type");
  Location loc = vjp.getLoc();
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<Type> inputs(vjp.getOperandTypes());
  auto fn = func::FuncOp::create(b, loc, name,
                                 b.getFunctionType(inputs, {costType}));
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  unsigned numArgs = vjp.getArgs().size();
  auto call = func::CallOp::create(b, loc, *callee,
                                   body->getArguments().take_front(numArgs));
  Value total = arith::ConstantOp::create(b, loc, b.getFloatAttr(costType, 0));
  for (auto [result, ct] : llvm::zip_equal(
           call.getResults(), body->getArguments().drop_front(numArgs))) {
    Value product = arith::MulFOp::create(b, loc, result, ct);
    if (auto type = dyn_cast<RankedTensorType>(product.getType())) {
      auto scalarType = RankedTensorType::get({}, costType);
      Value init = tensor::FromElementsOp::create(
          b, loc, scalarType,
          ValueRange{arith::ConstantOp::create(
              b, loc, b.getFloatAttr(costType, 0))});
      auto sum = linalg::ReduceOp::create(
          b, loc, ValueRange{product}, ValueRange{init},
          llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            linalg::YieldOp::create(
                nb, nloc,
                ValueRange{arith::AddFOp::create(nb, nloc, args[0], args[1])});
          });
      product = tensor::ExtractOp::create(b, loc, sum.getResult(0),
                                          ValueRange{});
    }
    total = arith::AddFOp::create(b, loc, total, product);
  }
  func::ReturnOp::create(b, loc, total);
  return name;
}

/// Builds and JIT-compiles the finite-difference module: the callee and the
/// function giving its arguments, lowered without any variant pipeline.
Expected<GradSetup> scanrun::prepareGradCheck(RunContext &ctx,
                                              ModuleOp source,
                                              const Signature &entrySig,
                                              TimingScope &timing) {
  const RunOptions &opts = ctx.options;
  const std::string &entryName = opts.entryName;
  GradSetup g;
  OwningOpRef<ModuleOp> module(source.clone());
  auto entry = lookupFunc(*module, entryName, "");
  if (!entry)
    return entry.takeError();

  if (!opts.fdCallee.empty()) {
    g.callee = opts.fdCallee;
    g.wrt.assign(opts.fdWrt.begin(), opts.fdWrt.end());
    if (g.wrt.empty())
      return fail("--fd-callee needs --fd-wrt");
    if (entrySig.results.size() < g.wrt.size())
      return fail("@" + entryName + " returns " +
                  llvm::Twine(entrySig.results.size()) + " results but " +
                  llvm::Twine(g.wrt.size()) + " gradients were asked for");
    for (unsigned k = 0; k < g.wrt.size(); ++k)
      g.resultIndex.push_back(k);
    eraseGradUsers(*module, g.callee);
  } else {
    // The scan.grad, or a scan.vjp whose gradients are those of the inner
    // product of its cotangents with the callee's results.
    SmallVector<Operation *> grads;
    entry->walk([&](Operation *op) {
      if (isa<scan::GradOp, scan::VjpOp>(op))
        grads.push_back(op);
    });
    if (grads.size() != 1)
      return fail("--check-grad needs exactly one scan.grad in @" + entryName +
                  ", found " + llvm::Twine(grads.size()) +
                  " (or name the gradient function with --fd-callee)");
    Operation *grad = grads[0];
    if (grad->getBlock() != &entry->getBody().front())
      return fail("the scan.grad must be at the top level of @" + entryName);
    ValueRange gradients = grad->getResults();
    if (auto vjp = dyn_cast<scan::VjpOp>(grad)) {
      auto cost = buildVjpCost(*module, vjp);
      if (!cost)
        return cost.takeError();
      g.callee = *cost;
      g.wrt.assign(vjp.getWrt().begin(), vjp.getWrt().end());
      gradients = vjp.getGradients();
    } else {
      auto gradOp = cast<scan::GradOp>(grad);
      g.callee = gradOp.getCallee().str();
      g.wrt.assign(gradOp.getWrt().begin(), gradOp.getWrt().end());
    }
    auto ret = cast<func::ReturnOp>(entry->getBody().front().getTerminator());
    for (Value r : gradients) {
      auto it = llvm::find(ret.getOperands(), r);
      if (it == ret.getOperands().end())
        return fail("@" + entryName +
                    " must return every result of its scan.grad");
      g.resultIndex.push_back(it - ret.getOperands().begin());
    }
    // @_scan_run_args_<entry>: the entry up to the scan.grad, returning the
    // grad's arguments (and a vjp's cotangents).
    g.argsFn = "_scan_run_args_" + entryName;
    auto argsFn = cast<func::FuncOp>(entry->clone());
    argsFn.setSymName(g.argsFn);
    argsFn.setPrivate();
    module->getBody()->push_back(argsFn);
    Operation *cloneGrad = nullptr;
    argsFn.walk([&](Operation *op) {
      if (isa<scan::GradOp, scan::VjpOp>(op))
        cloneGrad = op;
    });
    OpBuilder b(cloneGrad);
    auto newRet = func::ReturnOp::create(b, cloneGrad->getLoc(),
                                         cloneGrad->getOperands());
    Block *block = newRet->getBlock();
    while (&block->back() != newRet.getOperation())
      block->back().erase();
    // The scan.grad and the old return went with the ops after newRet.
    argsFn.setFunctionType(FunctionType::get(module->getContext(),
                                             argsFn.getArgumentTypes(),
                                             newRet.getOperandTypes()));
    eraseGradUsers(*module, "");
  }

  auto callee = lookupFunc(*module, g.callee, " (the function differentiated)");
  if (!callee)
    return callee.takeError();
  auto calleeSig = signatureOf(*callee);
  if (!calleeSig)
    return calleeSig.takeError();
  g.calleeSig = *calleeSig;
  if (g.calleeSig.results.size() != 1 ||
      !isFloat(g.calleeSig.results[0].element) ||
      g.calleeSig.results[0].numElements() != 1)
    return fail("@" + g.callee + " must return one float scalar");
  for (auto [k, w] : llvm::enumerate(g.wrt)) {
    if (w < 0 || w >= static_cast<int64_t>(g.calleeSig.args.size()))
      return fail("gradient index " + llvm::Twine(w) + " is out of range for @" +
                  g.callee);
    if (!isFloat(g.calleeSig.args[w].element))
      return fail("argument " + llvm::Twine(w) + " of @" + g.callee +
                  " is not a float");
    const ArraySpec &r = entrySig.results[g.resultIndex[k]];
    if (r.str() != g.calleeSig.args[w].str())
      return fail("result " + llvm::Twine(g.resultIndex[k]) + " of @" +
                  entryName + " (" + r.str() +
                  ") does not match argument " + llvm::Twine(w) + " of @" +
                  g.callee + " (" + g.calleeSig.args[w].str() + ")");
  }
  SmallVector<std::string> wrapped{g.callee};
  if (g.argsFn.empty()) {
    if (entrySig.args.size() != g.calleeSig.args.size() ||
        !llvm::all_of(llvm::zip(entrySig.args, g.calleeSig.args), [](auto p) {
          return std::get<0>(p).str() == std::get<1>(p).str();
        }))
      return fail("@" + entryName + " must take the arguments of @" +
                  g.callee);
  } else {
    auto argsFn = lookupFunc(*module, g.argsFn, "");
    if (!argsFn)
      return argsFn.takeError();
    auto argsSig = signatureOf(*argsFn);
    if (!argsSig)
      return argsSig.takeError();
    g.argsSig = *argsSig;
    if (Error e = buildWrapper(*module, *argsFn))
      return std::move(e);
    wrapped.push_back(g.argsFn);
  }
  if (Error e = buildWrapper(*module, *callee))
    return std::move(e);

  TimingScope scope = timing.nest("finite differences");
  if (Error e = runToolPipeline(ctx, *module,
                                variantPipeline(opts.loweringName()),
                                "lowering '" + opts.loweringName() +
                                    "' (finite-difference module)",
                                scope))
    return std::move(e);
  auto jit = jitForTarget(ctx, *module, wrapped);
  if (!jit)
    return jit.takeError();
  g.jit = std::move(*jit);
  return g;
}

/// Central finite differences of the callee at the point given by `inputs`.
/// Returns one array per wrt argument (f64), with NaN where not checked.
Expected<std::vector<Array>>
scanrun::finiteDifferences(const RunOptions &opts, GradSetup &g,
                           std::vector<Array> &inputs) {
  std::vector<Array> point;
  if (g.argsFn.empty()) {
    for (const Array &a : inputs) {
      point.push_back(a.clone());
      if (!point.back().data())
        return fail("cannot allocate a copy of an input (" + a.specStr() +
                    ")");
    }
  } else {
    auto p = allocate(g.argsSig.results);
    if (!p)
      return p.takeError();
    point = std::move(*p);
    Invocation(g.jit.fns[g.argsFn], inputs, point)();
  }
  auto costOr = allocate(g.calleeSig.results);
  if (!costOr)
    return costOr.takeError();
  std::vector<Array> cost = std::move(*costOr);
  Invocation evalCallee(g.jit.fns[g.callee], point, cost);

  bool anyF32 = false;
  for (int64_t w : g.wrt)
    anyF32 |= g.calleeSig.args[w].element == ElementType::F32;
  anyF32 |= g.calleeSig.results[0].element == ElementType::F32;
  // At f32 a larger step keeps the rounding error of the cost, divided by
  // the step, below the truncation error.
  double step = opts.fdStep ? *opts.fdStep : anyF32 ? 1e-2 : 1e-6;

  std::vector<Array> fds;
  for (int64_t w : g.wrt) {
    Array &x = point[w];
    Array fd(ElementType::F64, x.shape());
    int64_t n = x.numElements();
    int64_t maxElements = opts.fdMaxElements;
    int64_t m = maxElements && n > maxElements ? maxElements : n;
    for (int64_t i = 0; i < n; ++i)
      fd.set(i, NAN);
    for (int64_t s = 0; s < m; ++s) {
      int64_t i = m == n ? s : s * n / m;
      double v = x.get(i);
      double h = step * std::max(1.0, std::fabs(v));
      x.set(i, v + h);
      double up = x.get(i);
      evalCallee();
      double fUp = cost[0].get(0);
      x.set(i, v - h);
      double down = x.get(i);
      evalCallee();
      double fDown = cost[0].get(0);
      x.set(i, v);
      fd.set(i, (fUp - fDown) / (up - down));
    }
    fds.push_back(std::move(fd));
  }
  return fds;
}

std::vector<GradCheck> scanrun::compareGradients(const GradSetup &g,
                                               const std::vector<Array> &fds,
                                               const VariantResult &v,
                                               double tol) {
  std::vector<GradCheck> checks;
  for (auto [k, w] : llvm::enumerate(g.wrt)) {
    const Array &grad = v.outputs[g.resultIndex[k]];
    const Array &fd = fds[k];
    GradCheck c;
    c.arg = w;
    c.spec = grad.specStr();
    bool nan = false;
    for (int64_t i = 0, e = fd.numElements(); i < e; ++i) {
      double f = fd.get(i);
      if (std::isnan(f))
        continue;
      double gi = grad.get(i);
      nan |= std::isnan(gi) || std::isinf(f);
      c.maxAbsErr = std::max(c.maxAbsErr, std::fabs(gi - f));
      if (gi != f)
        c.maxRelDiff = std::max(c.maxRelDiff, f != 0 ? std::fabs(gi - f) /
                                                           std::fabs(f)
                                                     : HUGE_VAL);
      c.maxFd = std::max(c.maxFd, std::fabs(f));
      ++c.checked;
    }
    c.relErr = nan ? NAN : c.maxAbsErr / std::max(c.maxFd, 1e-12);
    if (nan)
      c.maxRelDiff = NAN;
    c.ok = !nan && c.relErr < tol;
    checks.push_back(c);
  }
  return checks;
}
