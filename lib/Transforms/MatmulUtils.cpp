//===- MatmulUtils.cpp - recognising and building linalg.matmul -*- C++ -*-===//
//
// Reads 2-D linalg.matmul ops with (possibly) transposed operands, and builds
// them, for the scan optimisations.
//
//===----------------------------------------------------------------------===//

#include "scan/Transforms/MatmulUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::scan;

SmallVector<AffineMap> mlir::scan::getMatmulIndexingMaps(MLIRContext *context,
                                                         bool lhsTransposed,
                                                         bool rhsTransposed) {
  AffineExpr m = getAffineDimExpr(0, context);
  AffineExpr n = getAffineDimExpr(1, context);
  AffineExpr k = getAffineDimExpr(2, context);
  auto map = [&](AffineExpr a, AffineExpr b) {
    return AffineMap::get(3, 0, {a, b}, context);
  };
  return {lhsTransposed ? map(k, m) : map(m, k),
          rhsTransposed ? map(n, k) : map(k, n), map(m, n)};
}

/// Records `reason` in `whyNot` (when given) and fails.
static FailureOr<MatmulForm> reject(std::string *whyNot, const Twine &reason) {
  if (whyNot)
    *whyNot = reason.str();
  return failure();
}

FailureOr<MatmulForm> mlir::scan::matchMatmul(Operation *op,
                                              std::string *whyNot) {
  auto matmul = dyn_cast_or_null<linalg::MatmulOp>(op);
  if (!matmul)
    return failure();
  if (matmul.getInputs().size() != 2 || matmul.getOutputs().size() != 1 ||
      matmul->getNumResults() != 1)
    return reject(whyNot, "matmul does not have two inputs and one result");

  MatmulForm form;
  form.op = matmul;
  form.lhs = matmul.getInputs()[0];
  form.rhs = matmul.getInputs()[1];
  form.init = matmul.getOutputs()[0];

  auto lhsType = dyn_cast<RankedTensorType>(form.lhs.getType());
  auto rhsType = dyn_cast<RankedTensorType>(form.rhs.getType());
  auto initType = dyn_cast<RankedTensorType>(form.init.getType());
  if (!lhsType || !rhsType || !initType)
    return reject(whyNot, "matmul operands are not ranked tensors");
  if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape() ||
      !initType.hasStaticShape())
    return reject(whyNot, "matmul operands have dynamic shapes");
  Type elementType = initType.getElementType();
  if (!isa<FloatType>(elementType) ||
      lhsType.getElementType() != elementType ||
      rhsType.getElementType() != elementType)
    return reject(whyNot, "matmul mixes element types or is not on floats");

  MLIRContext *context = op->getContext();
  SmallVector<AffineMap> maps = matmul.getIndexingMapsArray();
  bool matched = false;
  for (bool lhsT : {false, true}) {
    for (bool rhsT : {false, true}) {
      if (maps == getMatmulIndexingMaps(context, lhsT, rhsT)) {
        form.lhsTransposed = lhsT;
        form.rhsTransposed = rhsT;
        matched = true;
      }
    }
  }
  if (!matched)
    return reject(whyNot, "matmul indexing maps are not a plain or "
                          "transposed-operand matmul");

  form.m = initType.getDimSize(0);
  form.n = initType.getDimSize(1);
  form.k = lhsType.getDimSize(form.lhsContractionDim());
  return form;
}

FailureOr<MatmulForm> mlir::scan::matchMatmul(Value value,
                                              std::string *whyNot) {
  auto result = dyn_cast<OpResult>(value);
  if (!result)
    return failure();
  return matchMatmul(result.getOwner(), whyNot);
}

linalg::MatmulOp mlir::scan::createMatmul(OpBuilder &builder, Location loc,
                                          Value lhs, bool lhsTransposed,
                                          Value rhs, bool rhsTransposed,
                                          Value init) {
  SmallVector<NamedAttribute> attrs;
  if (lhsTransposed || rhsTransposed) {
    SmallVector<Attribute> maps;
    for (AffineMap map : getMatmulIndexingMaps(builder.getContext(),
                                               lhsTransposed, rhsTransposed))
      maps.push_back(AffineMapAttr::get(map));
    attrs.push_back(
        builder.getNamedAttr("indexing_maps", builder.getArrayAttr(maps)));
  }
  return linalg::MatmulOp::create(builder, loc, TypeRange{init.getType()},
                                  ValueRange{lhs, rhs}, ValueRange{init},
                                  attrs);
}

bool mlir::scan::isZeroTensor(Value value) {
  if (!isa<RankedTensorType>(value.getType()))
    return false;
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return fill.getInputs().size() == 1 &&
           matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(value, m_AnyZeroFloat());
}

void mlir::scan::eraseDeadOpsAndProducers(RewriterBase &rewriter,
                                          ArrayRef<Operation *> ops,
                                          Block *scope) {
  // Nothing is created here, so an address seen erased stays erased.
  DenseSet<Operation *> erased;
  SetVector<Operation *> producers;
  auto eraseIfDead = [&](Operation *op) {
    if (erased.contains(op) || !isOpTriviallyDead(op))
      return;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && def != op && (!scope || def->getBlock() == scope))
        producers.insert(def);
    // Erasing `op` erases what its regions hold too (a dead scan.scan takes
    // its body along): none of it may be visited again.
    op->walk([&](Operation *nested) {
      producers.remove(nested);
      erased.insert(nested);
    });
    rewriter.eraseOp(op);
  };
  for (Operation *op : ops)
    eraseIfDead(op);
  // A producer erased here re-queues its own producers, which may only now
  // have lost their last user.
  while (!producers.empty())
    eraseIfDead(producers.pop_back_val());
}
