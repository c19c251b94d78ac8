//===- ElementwiseRules.cpp - reverse rules of elementwise arith/math ops ===//
//
// Elementwise ops on scalars or same-shaped tensors: the adjoint of each
// operand has the type of the result, so every rule is a few elementwise
// ops on the result adjoint `g`.
//
//===----------------------------------------------------------------------===//

#include "Differentiation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::scan::ad;

namespace {
/// The operands, result and result adjoint of an elementwise op.
struct Elementwise {
  Operation *op;
  Location loc;
  Value g;
  Value lhs() const { return op->getOperand(0); }
  Value rhs() const { return op->getOperand(1); }
  Value result() const { return op->getResult(0); }
};
} // namespace

static Elementwise unpack(Operation *op, AdjointContext &ctx) {
  return {op, op->getLoc(), ctx.getAdjoint(op->getResult(0))};
}

// d(a + b) = da + db
static LogicalResult reverseAddF(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  ctx.addAdjoint(b, e.loc, e.lhs(), e.g);
  ctx.addAdjoint(b, e.loc, e.rhs(), e.g);
  return success();
}

// d(a - b) = da - db
static LogicalResult reverseSubF(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  ctx.addAdjoint(b, e.loc, e.lhs(), e.g);
  if (ctx.needsAdjoint(e.rhs()))
    ctx.addAdjoint(b, e.loc, e.rhs(), arith::NegFOp::create(b, e.loc, e.g));
  return success();
}

// d(a * b) = da b + a db
static LogicalResult reverseMulF(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (ctx.needsAdjoint(e.lhs()))
    ctx.addAdjoint(b, e.loc, e.lhs(),
                   arith::MulFOp::create(b, e.loc, e.g, e.rhs()));
  if (ctx.needsAdjoint(e.rhs()))
    ctx.addAdjoint(b, e.loc, e.rhs(),
                   arith::MulFOp::create(b, e.loc, e.g, e.lhs()));
  return success();
}

// r = a / b: da = g / b, db = -(g / b) * r
static LogicalResult reverseDivF(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()) && !ctx.needsAdjoint(e.rhs()))
    return success();
  Value gOverB = arith::DivFOp::create(b, e.loc, e.g, e.rhs());
  ctx.addAdjoint(b, e.loc, e.lhs(), gOverB);
  if (ctx.needsAdjoint(e.rhs())) {
    Value scaled = arith::MulFOp::create(b, e.loc, gOverB, e.result());
    ctx.addAdjoint(b, e.loc, e.rhs(), arith::NegFOp::create(b, e.loc, scaled));
  }
  return success();
}

// d(-a) = -da
static LogicalResult reverseNegF(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (ctx.needsAdjoint(e.lhs()))
    ctx.addAdjoint(b, e.loc, e.lhs(), arith::NegFOp::create(b, e.loc, e.g));
  return success();
}

// y = tanh(a): da = g (1 - y y)
static LogicalResult reverseTanh(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()))
    return success();
  Value one = createFloatConstant(b, e.loc, e.result().getType(), 1.0);
  Value ySquared = arith::MulFOp::create(b, e.loc, e.result(), e.result());
  Value slope = arith::SubFOp::create(b, e.loc, one, ySquared);
  ctx.addAdjoint(b, e.loc, e.lhs(), arith::MulFOp::create(b, e.loc, e.g, slope));
  return success();
}

// y = exp(a): da = g y
static LogicalResult reverseExp(Operation *op, AdjointContext &ctx,
                                OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (ctx.needsAdjoint(e.lhs()))
    ctx.addAdjoint(b, e.loc, e.lhs(),
                   arith::MulFOp::create(b, e.loc, e.g, e.result()));
  return success();
}

// y = log(a): da = g / a
static LogicalResult reverseLog(Operation *op, AdjointContext &ctx,
                                OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (ctx.needsAdjoint(e.lhs()))
    ctx.addAdjoint(b, e.loc, e.lhs(),
                   arith::DivFOp::create(b, e.loc, e.g, e.lhs()));
  return success();
}

// Constants have no operands to differentiate.
static LogicalResult reverseNothing(Operation *, AdjointContext &,
                                    OpBuilder &) {
  return success();
}

void mlir::scan::ad::registerElementwiseRules(RuleTable &rules) {
  rules[arith::AddFOp::getOperationName()].reverse = reverseAddF;
  rules[arith::SubFOp::getOperationName()].reverse = reverseSubF;
  rules[arith::MulFOp::getOperationName()].reverse = reverseMulF;
  rules[arith::DivFOp::getOperationName()].reverse = reverseDivF;
  rules[arith::NegFOp::getOperationName()].reverse = reverseNegF;
  rules[arith::ConstantOp::getOperationName()].reverse = reverseNothing;
  rules[math::TanhOp::getOperationName()].reverse = reverseTanh;
  rules[math::ExpOp::getOperationName()].reverse = reverseExp;
  rules[math::LogOp::getOperationName()].reverse = reverseLog;
}
