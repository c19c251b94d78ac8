//===- MatmulRules.cpp - reverse rule of linalg.matmul --------------------===//
//
// C = op(A) op(B) + C0, where op(X) is X or X^T as the op's indexing_maps
// say. The operand adjoints are again matmuls, written with transposed
// indexing_maps rather than explicit transposes, each accumulating into the
// operand's current adjoint through `outs`. Inside a backward scan the
// adjoint of a captured weight is the gradient carry, so its update is
// exactly `dW' = matmul(A^T, dC) outs(dW)`.
//
//===----------------------------------------------------------------------===//

#include "Differentiation.h"

#include "scan/Transforms/Utils/MatmulModel.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::scan;
using namespace mlir::scan::ad;

/// Builds `op(lhs) op(rhs) + acc` and returns its result.
static Value createProduct(OpBuilder &b, Location loc, Value lhs,
                           bool lhsTransposed, Value rhs, bool rhsTransposed,
                           Value acc) {
  return createMatmul(b, loc, lhs, lhsTransposed, rhs, rhsTransposed, acc)
      .getResult(0);
}

static LogicalResult reverseMatmul(Operation *op, AdjointContext &ctx,
                                   OpBuilder &b) {
  auto matmul = cast<linalg::MatmulOp>(op);
  Location loc = op->getLoc();
  std::optional<MatmulLayout> layout = getMatmulLayout(matmul);
  if (!layout)
    return op->emitError("scan-differentiate: cannot differentiate "
                         "'linalg.matmul' with indexing maps other than "
                         "(transposed) 2-d operands");
  if (!matmul.hasPureTensorSemantics())
    return op->emitError("scan-differentiate: cannot differentiate "
                         "'linalg.matmul' on buffers");
  bool lhsTransposed = layout->lhsTransposed;
  bool rhsTransposed = layout->rhsTransposed;

  Value lhs = matmul.getDpsInputs()[0];
  Value rhs = matmul.getDpsInputs()[1];
  Value init = matmul.getDpsInits()[0];
  Value g = ctx.getAdjoint(op->getResult(0));

  // C = op(A) op(B) + C0: d op(A) = g op(B)^T and d op(B) = op(A)^T g; a
  // stored-transposed operand gets the transpose of its effective adjoint.
  ctx.accumulateAdjoint(b, loc, lhs, [&](OpBuilder &nb, Value acc) {
    if (!lhsTransposed) // dA = g op(B)^T
      return createProduct(nb, loc, g, false, rhs, !rhsTransposed, acc);
    // dA = (g op(B)^T)^T = op(B) g^T
    return createProduct(nb, loc, rhs, rhsTransposed, g, true, acc);
  });
  ctx.accumulateAdjoint(b, loc, rhs, [&](OpBuilder &nb, Value acc) {
    if (!rhsTransposed) // dB = op(A)^T g
      return createProduct(nb, loc, lhs, !lhsTransposed, g, false, acc);
    // dB = (op(A)^T g)^T = g^T op(A)
    return createProduct(nb, loc, g, true, lhs, lhsTransposed, acc);
  });
  ctx.addAdjoint(b, loc, init, g);
  return success();
}

void mlir::scan::ad::registerMatmulRules(RuleTable &rules) {
  rules[linalg::MatmulOp::getOperationName()].reverse = reverseMatmul;
}
