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

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace mlir::scan::ad;

/// Builds `op(lhs) op(rhs) + acc`, transposing an operand through its
/// indexing map when asked.
static Value createMatmul(OpBuilder &b, Location loc, Value lhs,
                          bool transposeLhs, Value rhs, bool transposeRhs,
                          Value acc) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](AffineExpr r, AffineExpr c) {
    return AffineMap::get(3, 0, {r, c}, ctx);
  };
  auto matmul = linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()},
                                         ValueRange{lhs, rhs}, ValueRange{acc});
  if (transposeLhs || transposeRhs) {
    SmallVector<Attribute> maps = {
        AffineMapAttr::get(transposeLhs ? map(k, m) : map(m, k)),
        AffineMapAttr::get(transposeRhs ? map(n, k) : map(k, n)),
        AffineMapAttr::get(map(m, n))};
    matmul.setIndexingMapsAttr(b.getArrayAttr(maps));
  }
  return matmul.getResult(0);
}

static LogicalResult reverseMatmul(Operation *op, AdjointContext &ctx,
                                   OpBuilder &b) {
  auto matmul = cast<linalg::MatmulOp>(op);
  Location loc = op->getLoc();
  MLIRContext *mctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(mctx, m, n, k);
  auto map = [&](AffineExpr r, AffineExpr c) {
    return AffineMap::get(3, 0, {r, c}, mctx);
  };

  SmallVector<AffineMap> maps = matmul.getIndexingMapsArray();
  if (maps.size() != 3 || maps[2] != map(m, n) ||
      (maps[0] != map(m, k) && maps[0] != map(k, m)) ||
      (maps[1] != map(k, n) && maps[1] != map(n, k)))
    return op->emitError("scan-differentiate: cannot differentiate "
                         "'linalg.matmul' with indexing maps other than "
                         "(transposed) 2-d operands");
  if (!matmul.hasPureTensorSemantics())
    return op->emitError("scan-differentiate: cannot differentiate "
                         "'linalg.matmul' on buffers");
  bool transA = maps[0] == map(k, m);
  bool transB = maps[1] == map(n, k);

  Value a = matmul.getDpsInputs()[0];
  Value bOperand = matmul.getDpsInputs()[1];
  Value c0 = matmul.getDpsInits()[0];
  Value g = ctx.getAdjoint(op->getResult(0));

  // C = Aeff Beff + C0 with Aeff = op(A), Beff = op(B).
  // dAeff = g Beff^T and dBeff = Aeff^T g; a stored-transposed operand gets
  // the transpose of its effective adjoint.
  ctx.accumulateAdjoint(b, loc, a, [&](OpBuilder &nb, Value acc) {
    if (!transA) // dA = g op(B)^T
      return createMatmul(nb, loc, g, false, bOperand, !transB, acc);
    // dA = (g op(B)^T)^T = op(B) g^T
    return createMatmul(nb, loc, bOperand, transB, g, true, acc);
  });
  ctx.accumulateAdjoint(b, loc, bOperand, [&](OpBuilder &nb, Value acc) {
    if (!transB) // dB = op(A)^T g
      return createMatmul(nb, loc, a, !transA, g, false, acc);
    // dB = (op(A)^T g)^T = g^T op(A)
    return createMatmul(nb, loc, g, true, a, transA, acc);
  });
  ctx.addAdjoint(b, loc, c0, g);
  return success();
}

void mlir::scan::ad::registerMatmulRules(RuleTable &rules) {
  rules[linalg::MatmulOp::getOperationName()].reverse = reverseMatmul;
}
