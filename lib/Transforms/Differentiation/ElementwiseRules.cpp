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
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

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

// y = sqrt(a): da = g / (2 y)
static LogicalResult reverseSqrt(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()))
    return success();
  Value half = createFloatConstant(b, e.loc, e.result().getType(), 0.5);
  Value halfG = arith::MulFOp::create(b, e.loc, e.g, half);
  ctx.addAdjoint(b, e.loc, e.lhs(),
                 arith::DivFOp::create(b, e.loc, halfG, e.result()));
  return success();
}

// y = a^(-1/2): da = -g y^3 / 2
static LogicalResult reverseRsqrt(Operation *op, AdjointContext &ctx,
                                  OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()))
    return success();
  Value minusHalf = createFloatConstant(b, e.loc, e.result().getType(), -0.5);
  Value ySquared = arith::MulFOp::create(b, e.loc, e.result(), e.result());
  Value yCubed = arith::MulFOp::create(b, e.loc, ySquared, e.result());
  Value slope = arith::MulFOp::create(b, e.loc, yCubed, minusHalf);
  ctx.addAdjoint(b, e.loc, e.lhs(), arith::MulFOp::create(b, e.loc, e.g, slope));
  return success();
}

// y = a^p: da = g p a^(p-1) (no division by a, so a = 0 with p >= 1 is fine),
// dp = g y log(a)
static LogicalResult reversePowF(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  Type type = e.result().getType();
  if (ctx.needsAdjoint(e.lhs())) {
    Value one = createFloatConstant(b, e.loc, type, 1.0);
    Value pMinusOne = arith::SubFOp::create(b, e.loc, e.rhs(), one);
    Value power = math::PowFOp::create(b, e.loc, e.lhs(), pMinusOne);
    Value slope = arith::MulFOp::create(b, e.loc, e.rhs(), power);
    ctx.addAdjoint(b, e.loc, e.lhs(),
                   arith::MulFOp::create(b, e.loc, e.g, slope));
  }
  if (ctx.needsAdjoint(e.rhs())) {
    Value logA = math::LogOp::create(b, e.loc, e.lhs());
    Value slope = arith::MulFOp::create(b, e.loc, e.result(), logA);
    ctx.addAdjoint(b, e.loc, e.rhs(),
                   arith::MulFOp::create(b, e.loc, e.g, slope));
  }
  return success();
}

/// 1 where `a > 0`, -1 where `a < 0`, 0 at 0 (and NaN compares false).
static Value createSign(OpBuilder &b, Location loc, Value a) {
  Type type = a.getType();
  Value zero = createFloatConstant(b, loc, type, 0.0);
  Value one = createFloatConstant(b, loc, type, 1.0);
  Value minusOne = createFloatConstant(b, loc, type, -1.0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a, zero);
  Value negative =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, a, zero);
  Value negOrZero = arith::SelectOp::create(b, loc, negative, minusOne, zero);
  return arith::SelectOp::create(b, loc, positive, one, negOrZero);
}

// y = |a|: da = g sign(a), with sign(0) = 0.
static LogicalResult reverseAbsF(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (ctx.needsAdjoint(e.lhs()))
    ctx.addAdjoint(b, e.loc, e.lhs(),
                   arith::MulFOp::create(b, e.loc, e.g,
                                         createSign(b, e.loc, e.lhs())));
  return success();
}

// y = log(1 + a): da = g / (1 + a)
static LogicalResult reverseLog1p(Operation *op, AdjointContext &ctx,
                                  OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()))
    return success();
  Value one = createFloatConstant(b, e.loc, e.result().getType(), 1.0);
  Value onePlusA = arith::AddFOp::create(b, e.loc, one, e.lhs());
  ctx.addAdjoint(b, e.loc, e.lhs(),
                 arith::DivFOp::create(b, e.loc, e.g, onePlusA));
  return success();
}

// y = exp(a) - 1: da = g (y + 1)
static LogicalResult reverseExpM1(Operation *op, AdjointContext &ctx,
                                  OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()))
    return success();
  Value one = createFloatConstant(b, e.loc, e.result().getType(), 1.0);
  Value expA = arith::AddFOp::create(b, e.loc, e.result(), one);
  ctx.addAdjoint(b, e.loc, e.lhs(), arith::MulFOp::create(b, e.loc, e.g, expA));
  return success();
}

// y = log2(a) or log10(a): da = g / (a ln(base))
template <int Base>
static LogicalResult reverseLogBase(Operation *op, AdjointContext &ctx,
                                    OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()))
    return success();
  Value lnBase = createFloatConstant(b, e.loc, e.result().getType(),
                                     std::log(static_cast<double>(Base)));
  Value scaled = arith::MulFOp::create(b, e.loc, e.lhs(), lnBase);
  ctx.addAdjoint(b, e.loc, e.lhs(),
                 arith::DivFOp::create(b, e.loc, e.g, scaled));
  return success();
}

// y = sin(a): da = g cos(a); y = cos(a): da = -g sin(a)
static LogicalResult reverseSin(Operation *op, AdjointContext &ctx,
                                OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (ctx.needsAdjoint(e.lhs()))
    ctx.addAdjoint(b, e.loc, e.lhs(),
                   arith::MulFOp::create(
                       b, e.loc, e.g, math::CosOp::create(b, e.loc, e.lhs())));
  return success();
}

static LogicalResult reverseCos(Operation *op, AdjointContext &ctx,
                                OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()))
    return success();
  Value sinA = math::SinOp::create(b, e.loc, e.lhs());
  Value product = arith::MulFOp::create(b, e.loc, e.g, sinA);
  ctx.addAdjoint(b, e.loc, e.lhs(), arith::NegFOp::create(b, e.loc, product));
  return success();
}

// y = select(c, a, b): da = select(c, g, 0), db = select(c, 0, g). The
// condition is boolean and gets no gradient.
static LogicalResult reverseSelect(Operation *op, AdjointContext &ctx,
                                   OpBuilder &b) {
  auto select = cast<arith::SelectOp>(op);
  Location loc = op->getLoc();
  Value g = ctx.getAdjoint(select.getResult());
  Value trueValue = select.getTrueValue(), falseValue = select.getFalseValue();
  if (!ctx.needsAdjoint(trueValue) && !ctx.needsAdjoint(falseValue))
    return success();
  Value zero = createFloatConstant(b, loc, g.getType(), 0.0);
  if (ctx.needsAdjoint(trueValue))
    ctx.addAdjoint(b, loc, trueValue,
                   arith::SelectOp::create(b, loc, select.getCondition(), g,
                                           zero));
  if (ctx.needsAdjoint(falseValue))
    ctx.addAdjoint(b, loc, falseValue,
                   arith::SelectOp::create(b, loc, select.getCondition(), zero,
                                           g));
  return success();
}

// y = max(a, b) (or min): the gradient goes to the operand that is chosen;
// on a tie each operand gets half of it, as in JAX, so that max(x, x) = x
// has gradient 1. `Wins` is the predicate under which `a` is chosen.
template <arith::CmpFPredicate Wins>
static LogicalResult reverseMaxMin(Operation *op, AdjointContext &ctx,
                                   OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()) && !ctx.needsAdjoint(e.rhs()))
    return success();
  Type type = e.result().getType();
  Value zero = createFloatConstant(b, e.loc, type, 0.0);
  Value half = createFloatConstant(b, e.loc, type, 0.5);
  Value one = createFloatConstant(b, e.loc, type, 1.0);
  Value aWins = arith::CmpFOp::create(b, e.loc, Wins, e.lhs(), e.rhs());
  Value tie = arith::CmpFOp::create(b, e.loc, arith::CmpFPredicate::OEQ,
                                    e.lhs(), e.rhs());
  Value tieShare = arith::SelectOp::create(b, e.loc, tie, half, zero);
  Value aShare = arith::SelectOp::create(b, e.loc, aWins, one, tieShare);
  if (ctx.needsAdjoint(e.lhs()))
    ctx.addAdjoint(b, e.loc, e.lhs(),
                   arith::MulFOp::create(b, e.loc, e.g, aShare));
  if (ctx.needsAdjoint(e.rhs())) {
    Value bShare = arith::SubFOp::create(b, e.loc, one, aShare);
    ctx.addAdjoint(b, e.loc, e.rhs(),
                   arith::MulFOp::create(b, e.loc, e.g, bShare));
  }
  return success();
}

// y = extf(a) or truncf(a): da = g converted back to the type of a.
static LogicalResult reverseFloatCast(Operation *op, AdjointContext &ctx,
                                      OpBuilder &b) {
  Elementwise e = unpack(op, ctx);
  if (!ctx.needsAdjoint(e.lhs()))
    return success();
  Type sourceType = e.lhs().getType();
  auto sourceBits = getElementTypeOrSelf(sourceType).getIntOrFloatBitWidth();
  auto resultBits =
      getElementTypeOrSelf(e.result().getType()).getIntOrFloatBitWidth();
  Value back = e.g;
  if (sourceBits < resultBits)
    back = arith::TruncFOp::create(b, e.loc, sourceType, e.g);
  else if (sourceBits > resultBits)
    back = arith::ExtFOp::create(b, e.loc, sourceType, e.g);
  ctx.addAdjoint(b, e.loc, e.lhs(), back);
  return success();
}

// Constants have no operands to differentiate; integer-to-float conversions
// have no float operand.
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
  rules[math::SqrtOp::getOperationName()].reverse = reverseSqrt;
  rules[math::RsqrtOp::getOperationName()].reverse = reverseRsqrt;
  rules[math::PowFOp::getOperationName()].reverse = reversePowF;
  rules[math::AbsFOp::getOperationName()].reverse = reverseAbsF;
  rules[math::Log1pOp::getOperationName()].reverse = reverseLog1p;
  rules[math::ExpM1Op::getOperationName()].reverse = reverseExpM1;
  rules[math::Log2Op::getOperationName()].reverse = reverseLogBase<2>;
  rules[math::Log10Op::getOperationName()].reverse = reverseLogBase<10>;
  rules[math::SinOp::getOperationName()].reverse = reverseSin;
  rules[math::CosOp::getOperationName()].reverse = reverseCos;
  rules[arith::SelectOp::getOperationName()].reverse = reverseSelect;
  rules[arith::MaximumFOp::getOperationName()].reverse =
      reverseMaxMin<arith::CmpFPredicate::OGT>;
  rules[arith::MaxNumFOp::getOperationName()].reverse =
      reverseMaxMin<arith::CmpFPredicate::OGT>;
  rules[arith::MinimumFOp::getOperationName()].reverse =
      reverseMaxMin<arith::CmpFPredicate::OLT>;
  rules[arith::MinNumFOp::getOperationName()].reverse =
      reverseMaxMin<arith::CmpFPredicate::OLT>;
  rules[arith::ExtFOp::getOperationName()].reverse = reverseFloatCast;
  rules[arith::TruncFOp::getOperationName()].reverse = reverseFloatCast;
  rules[arith::SIToFPOp::getOperationName()].reverse = reverseNothing;
  rules[arith::UIToFPOp::getOperationName()].reverse = reverseNothing;
}
