//===- Differentiation.cpp - adjoint context and reverse sweep -----------===//
//
// The rule-independent part of scan-differentiate: adjoint bookkeeping, the
// reverse sweep that dispatches to the rule table, the analysis of which
// values depend on the differentiated arguments, and small IR builders.
//
//===----------------------------------------------------------------------===//

#include "Differentiation.h"

#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace mlir::scan;
using namespace mlir::scan::ad;

const RuleTable &ad::getReverseRules() {
  static const RuleTable table = [] {
    RuleTable rules;
    registerScanRules(rules);
    registerMatmulRules(rules);
    registerElementwiseRules(rules);
    registerShapeRules(rules);
    return rules;
  }();
  return table;
}

//===----------------------------------------------------------------------===//
// AdjointContext
//===----------------------------------------------------------------------===//

static bool isFloatLike(Type type) {
  return isa<FloatType>(getElementTypeOrSelf(type));
}

bool AdjointContext::needsAdjoint(Value v) const {
  return isVaried(v) && isFloatLike(v.getType());
}

void AdjointContext::addAdjoint(OpBuilder &b, Location loc, Value v,
                                Value contribution) {
  if (!needsAdjoint(v) || !contribution)
    return;
  Value &slot = adjoints[v];
  if (!slot) {
    slot = contribution;
    return;
  }
  slot = arith::AddFOp::create(b, loc, slot, contribution);
}

void AdjointContext::accumulateAdjoint(
    OpBuilder &b, Location loc, Value v,
    llvm::function_ref<Value(OpBuilder &, Value)> build) {
  if (!needsAdjoint(v))
    return;
  Value acc = getAdjointOrZeros(b, loc, v);
  adjoints[v] = build(b, acc);
}

Value AdjointContext::getAdjointOrZeros(OpBuilder &b, Location loc, Value v) {
  if (Value adjoint = getAdjoint(v))
    return adjoint;
  return createZeros(b, loc, v.getType());
}

LogicalResult AdjointContext::reverseSweep(ArrayRef<Operation *> ops,
                                           OpBuilder &b) {
  for (Operation *op : llvm::reverse(ops)) {
    if (!llvm::any_of(op->getResults(),
                      [&](Value r) { return getAdjoint(r) != nullptr; }))
      continue;
    auto it = getRules().find(op->getName().getStringRef());
    if (it == getRules().end() || !it->second.reverse)
      return op->emitError("scan-differentiate: cannot differentiate '")
             << op->getName() << "'";
    if (failed(it->second.reverse(op, *this, b)))
      return failure();
  }
  return success();
}

LogicalResult ad::prepareOps(Block &block, AdjointContext &ctx) {
  for (Operation &op : llvm::make_early_inc_range(block)) {
    auto it = ctx.getRules().find(op.getName().getStringRef());
    if (it == ctx.getRules().end() || !it->second.prepare ||
        !llvm::any_of(op.getResults(),
                      [&](Value r) { return ctx.isVaried(r); }))
      continue;
    if (failed(it->second.prepare(&op, ctx)))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Varied analysis
//===----------------------------------------------------------------------===//

/// Whether any value used in `op` (operands, or values captured by its
/// regions) is varied.
static bool readsVaried(Operation *op, SharedState &shared) {
  if (llvm::any_of(op->getOperands(),
                   [&](Value v) { return shared.varied.contains(v); }))
    return true;
  bool found = false;
  for (Region &region : op->getRegions())
    visitUsedValuesDefinedAbove(region, [&](OpOperand *use) {
      found |= shared.varied.contains(use->get());
    });
  return found;
}

static void propagateVariedScan(ScanOp scan, SharedState &shared) {
  auto &varied = shared.varied;
  for (auto [init, arg] : llvm::zip(scan.getInitCarries(), scan.getCarryArgs()))
    if (varied.contains(init))
      varied.insert(arg);
  for (auto [seq, arg] : llvm::zip(scan.getSequences(), scan.getSequenceArgs()))
    if (varied.contains(seq))
      varied.insert(arg);
  // A carry becomes varied when the value yielded for it is; iterate until
  // no carry changes (the set only grows).
  bool changed = true;
  while (changed) {
    changed = false;
    propagateVaried(*scan.getBodyBlock(), shared);
    YieldOp yield = scan.getYieldOp();
    for (auto [i, arg] : llvm::enumerate(scan.getCarryArgs()))
      if (varied.contains(yield.getValues()[i]) && !varied.contains(arg)) {
        varied.insert(arg);
        changed = true;
      }
  }
  YieldOp yield = scan.getYieldOp();
  unsigned numCarries = scan.getNumCarries();
  for (auto [i, result] : llvm::enumerate(scan.getResults())) {
    bool isVaried = varied.contains(yield.getValues()[i]);
    if (i < numCarries)
      isVaried |= varied.contains(scan.getCarryArgs()[i]);
    if (isVaried)
      varied.insert(result);
  }
}

void ad::propagateVaried(Block &block, SharedState &shared) {
  for (Operation &op : block) {
    if (auto scan = dyn_cast<ScanOp>(op)) {
      propagateVariedScan(scan, shared);
      continue;
    }
    // The gradient stops here: the result is a constant to differentiation.
    if (isa<StopGradientOp>(op))
      continue;
    if (readsVaried(&op, shared))
      for (Value result : op.getResults())
        shared.varied.insert(result);
  }
}

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

Value ad::createFloatConstant(OpBuilder &b, Location loc, Type type,
                              double value) {
  auto elementType = cast<FloatType>(getElementTypeOrSelf(type));
  FloatAttr scalar = b.getFloatAttr(elementType, value);
  if (auto tensorType = dyn_cast<RankedTensorType>(type))
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tensorType, cast<Attribute>(scalar)));
  return arith::ConstantOp::create(b, loc, scalar);
}

Value ad::createZeros(OpBuilder &b, Location loc, Type type) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return createFloatConstant(b, loc, type, 0.0);
  Value zero = createFloatConstant(b, loc, tensorType.getElementType(), 0.0);
  Value empty = tensor::EmptyOp::create(b, loc, tensorType.getShape(),
                                        tensorType.getElementType());
  return linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
      .getResult(0);
}

Value ad::createSum(OpBuilder &b, Location loc, Value value,
                    ArrayRef<int64_t> dims, RankedTensorType resultType) {
  Value init = createZeros(b, loc, resultType);
  auto reduce = linalg::ReduceOp::create(
      b, loc, ValueRange{value}, ValueRange{init}, dims,
      [](OpBuilder &nb, Location nloc, ValueRange args) {
        Value sum = arith::AddFOp::create(nb, nloc, args[0], args[1]);
        linalg::YieldOp::create(nb, nloc, sum);
      });
  return reduce.getResult(0);
}

Location ad::nameLoc(Location loc, StringRef name) {
  return NameLoc::get(StringAttr::get(loc.getContext(), name), loc);
}
