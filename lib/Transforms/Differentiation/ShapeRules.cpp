//===- ShapeRules.cpp - reverse rules of shape and layout ops ------------===//
//
// Ops that create, move or sum tensor elements: tensor.empty, linalg.fill,
// tensor.extract, slicing and concatenation, linalg.transpose,
// linalg.broadcast and linalg.reduce (sum, product, maximum, minimum). Each
// adjoint is the "dual" data movement: a slice becomes an insertion into
// zeros, a broadcast becomes a sum, a sum becomes a broadcast.
//
//===----------------------------------------------------------------------===//

#include "Differentiation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::scan::ad;

// Values that do not depend on their operands' values (tensor.empty).
static LogicalResult reverseNothing(Operation *, AdjointContext &,
                                    OpBuilder &) {
  return success();
}

// fill(s, init): every element is s, so ds = sum(g); init is overwritten.
static LogicalResult reverseFill(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  auto fill = cast<linalg::FillOp>(op);
  Value scalar = fill.getInputs()[0];
  if (!ctx.needsAdjoint(scalar))
    return success();
  if (!fill.hasPureTensorSemantics())
    return op->emitError("scan-differentiate: cannot differentiate "
                         "'linalg.fill' on buffers");
  Location loc = op->getLoc();
  Value g = ctx.getAdjoint(op->getResult(0));
  auto gType = cast<RankedTensorType>(g.getType());
  auto sumType = RankedTensorType::get({}, gType.getElementType());
  Value sum = createSum(b, loc, g,
                        llvm::to_vector(llvm::seq<int64_t>(0, gType.getRank())),
                        sumType);
  Value total = tensor::ExtractOp::create(b, loc, sum, ValueRange{});
  ctx.addAdjoint(b, loc, scalar, total);
  return success();
}

// x = t[i...]: dt = zeros with g at [i...].
static LogicalResult reverseExtract(Operation *op, AdjointContext &ctx,
                                    OpBuilder &b) {
  auto extract = cast<tensor::ExtractOp>(op);
  Value source = extract.getTensor();
  if (!ctx.needsAdjoint(source))
    return success();
  Location loc = op->getLoc();
  Value g = ctx.getAdjoint(extract.getResult());
  auto type = cast<RankedTensorType>(source.getType());
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  Value contribution;
  if (type.getRank() == 0)
    contribution =
        linalg::FillOp::create(b, loc, ValueRange{g}, ValueRange{empty})
            .getResult(0);
  else
    contribution = tensor::InsertOp::create(b, loc, g,
                                            createZeros(b, loc, type),
                                            extract.getIndices());
  ctx.addAdjoint(b, loc, source, contribution);
  return success();
}

// y = src[slice]: dsrc = zeros with g inserted at the slice.
static LogicalResult reverseExtractSlice(Operation *op, AdjointContext &ctx,
                                         OpBuilder &b) {
  auto slice = cast<tensor::ExtractSliceOp>(op);
  Value source = slice.getSource();
  if (!ctx.needsAdjoint(source))
    return success();
  Location loc = op->getLoc();
  Value g = ctx.getAdjoint(slice.getResult());
  Value zeros = createZeros(b, loc, source.getType());
  Value contribution = tensor::InsertSliceOp::create(
      b, loc, g, zeros, slice.getMixedOffsets(), slice.getMixedSizes(),
      slice.getMixedStrides());
  ctx.addAdjoint(b, loc, source, contribution);
  return success();
}

// y = dest with src at [slice]: dsrc = g[slice], ddest = g with zeros at
// [slice].
static LogicalResult reverseInsertSlice(Operation *op, AdjointContext &ctx,
                                        OpBuilder &b) {
  auto insert = cast<tensor::InsertSliceOp>(op);
  Location loc = op->getLoc();
  Value g = ctx.getAdjoint(insert.getResult());
  Value source = insert.getSource();
  Value dest = insert.getDest();
  auto sourceType = cast<RankedTensorType>(source.getType());
  if (ctx.needsAdjoint(source))
    ctx.addAdjoint(b, loc, source,
                   tensor::ExtractSliceOp::create(
                       b, loc, sourceType, g, insert.getMixedOffsets(),
                       insert.getMixedSizes(), insert.getMixedStrides()));
  if (ctx.needsAdjoint(dest))
    ctx.addAdjoint(b, loc, dest,
                   tensor::InsertSliceOp::create(
                       b, loc, createZeros(b, loc, sourceType), g,
                       insert.getMixedOffsets(), insert.getMixedSizes(),
                       insert.getMixedStrides()));
  return success();
}

// y = concat(x_0, x_1, ...) along d: dx_i = the slice of g that x_i filled.
static LogicalResult reverseConcat(Operation *op, AdjointContext &ctx,
                                   OpBuilder &b) {
  auto concat = cast<tensor::ConcatOp>(op);
  Location loc = op->getLoc();
  Value g = ctx.getAdjoint(concat.getResult());
  int64_t dim = concat.getDim();
  int64_t offset = 0;
  for (Value input : concat.getInputs()) {
    auto type = cast<RankedTensorType>(input.getType());
    if (!type.hasStaticShape())
      return op->emitError("scan-differentiate: cannot differentiate "
                           "'tensor.concat' of dynamically shaped tensors");
    if (ctx.needsAdjoint(input)) {
      SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
      offsets[dim] = b.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes = llvm::map_to_vector(
          type.getShape(),
          [&](int64_t size) -> OpFoldResult { return b.getIndexAttr(size); });
      SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
      ctx.addAdjoint(b, loc, input,
                     tensor::ExtractSliceOp::create(b, loc, type, g, offsets,
                                                    sizes, strides));
    }
    offset += type.getDimSize(dim);
  }
  return success();
}

// y = transpose(x, p): dx = transpose(g, p^-1).
static LogicalResult reverseTranspose(Operation *op, AdjointContext &ctx,
                                      OpBuilder &b) {
  auto transpose = cast<linalg::TransposeOp>(op);
  Value input = transpose.getInput();
  if (!ctx.needsAdjoint(input))
    return success();
  if (!transpose.hasPureTensorSemantics())
    return op->emitError("scan-differentiate: cannot differentiate "
                         "'linalg.transpose' on buffers");
  Location loc = op->getLoc();
  Value g = ctx.getAdjoint(op->getResult(0));
  ArrayRef<int64_t> perm = transpose.getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = static_cast<int64_t>(i);
  auto type = cast<RankedTensorType>(input.getType());
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  auto back = linalg::TransposeOp::create(b, loc, g, empty, inverse);
  ctx.addAdjoint(b, loc, input, back->getResult(0));
  return success();
}

// y = broadcast(x) along dims: dx = sum of g over dims.
static LogicalResult reverseBroadcast(Operation *op, AdjointContext &ctx,
                                      OpBuilder &b) {
  auto broadcast = cast<linalg::BroadcastOp>(op);
  Value input = broadcast.getInput();
  if (!ctx.needsAdjoint(input))
    return success();
  if (!broadcast.hasPureTensorSemantics())
    return op->emitError("scan-differentiate: cannot differentiate "
                         "'linalg.broadcast' on buffers");
  Location loc = op->getLoc();
  Value g = ctx.getAdjoint(op->getResult(0));
  ctx.addAdjoint(b, loc, input,
                 createSum(b, loc, g, broadcast.getDimensions(),
                           cast<RankedTensorType>(input.getType())));
  return success();
}

/// The single op that combines the two block arguments of the combiner of
/// `reduce` (in either order) into the yielded value, or null when the
/// combiner is anything else.
static Operation *getCombiningOp(linalg::ReduceOp reduce) {
  Block &body = reduce.getCombiner().front();
  if (body.getNumArguments() != 2 ||
      !llvm::hasSingleElement(body.without_terminator()))
    return nullptr;
  Operation &combine = body.front();
  if (combine.getNumOperands() != 2 || combine.getNumResults() != 1)
    return nullptr;
  Value in = body.getArgument(0), acc = body.getArgument(1);
  Value lhs = combine.getOperand(0), rhs = combine.getOperand(1);
  bool operandsMatch =
      (lhs == in && rhs == acc) || (lhs == acc && rhs == in);
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!operandsMatch || !yield || yield->getNumOperands() != 1 ||
      yield->getOperand(0) != combine.getResult(0))
    return nullptr;
  return &combine;
}

/// Broadcasts `value` along `dims` to the shape of `type`.
static Value createBroadcast(OpBuilder &b, Location loc, Value value,
                             ArrayRef<int64_t> dims, RankedTensorType type) {
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  return linalg::BroadcastOp::create(b, loc, value, empty, dims)->getResult(0);
}

/// 1.0 where `lhs == rhs`, else 0.0, of the type of `lhs`.
static Value createEqualIndicator(OpBuilder &b, Location loc, Value lhs,
                                  Value rhs) {
  Value equal =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, lhs, rhs);
  return arith::SelectOp::create(
      b, loc, equal, createFloatConstant(b, loc, lhs.getType(), 1.0),
      createFloatConstant(b, loc, lhs.getType(), 0.0));
}

/// What the reverse rules of a one-input linalg.reduce on tensors read:
/// y = reduce(x over dims, init), and y's adjoint g.
struct Reduction {
  Location loc;
  Value result, g, input, init;
  RankedTensorType inputType, resultType;
  ArrayRef<int64_t> dims;

  Reduction(linalg::ReduceOp reduce, AdjointContext &ctx)
      : loc(reduce.getLoc()), result(reduce->getResult(0)),
        g(ctx.getAdjoint(result)), input(reduce.getInputs()[0]),
        init(reduce.getInits()[0]),
        inputType(cast<RankedTensorType>(input.getType())),
        resultType(cast<RankedTensorType>(result.getType())),
        dims(reduce.getDimensions()) {}
};

// y = init + sum of x over dims: dinit = g, dx = broadcast(g) along dims.
static void reverseSumReduce(const Reduction &r, AdjointContext &ctx,
                             OpBuilder &b) {
  ctx.addAdjoint(b, r.loc, r.init, r.g);
  if (ctx.needsAdjoint(r.input))
    ctx.addAdjoint(b, r.loc, r.input,
                   createBroadcast(b, r.loc, r.g, r.dims, r.inputType));
}

// y = max (or min) of init and x over dims: the gradient goes to the
// elements equal to y, split evenly among ties (as in JAX), init included.
static void reverseChooserReduce(const Reduction &r, AdjointContext &ctx,
                                 OpBuilder &b) {
  auto [loc, result, g, input, init, inputType, resultType, dims] = r;
  Value chosen = createEqualIndicator(
      b, loc, input, createBroadcast(b, loc, result, dims, inputType));
  Value initChosen = createEqualIndicator(b, loc, init, result);
  Value count = arith::AddFOp::create(
      b, loc, createSum(b, loc, chosen, dims, resultType), initChosen);
  Value share = arith::DivFOp::create(b, loc, g, count);
  if (ctx.needsAdjoint(init))
    ctx.addAdjoint(b, loc, init,
                   arith::MulFOp::create(b, loc, share, initChosen));
  if (ctx.needsAdjoint(input))
    ctx.addAdjoint(
        b, loc, input,
        arith::MulFOp::create(
            b, loc, createBroadcast(b, loc, share, dims, inputType), chosen));
}

// y = init * product of x over dims: dinit = g prod(x), dx = g y / x (not
// defined where an element of x is zero).
static void reverseProductReduce(const Reduction &r, AdjointContext &ctx,
                                 OpBuilder &b) {
  auto [loc, result, g, input, init, inputType, resultType, dims] = r;
  if (ctx.needsAdjoint(init)) {
    Value one = createFloatConstant(b, loc, resultType, 1.0);
    auto product = linalg::ReduceOp::create(
        b, loc, ValueRange{input}, ValueRange{one}, dims,
        [](OpBuilder &nb, Location nloc, ValueRange args) {
          Value mul = arith::MulFOp::create(nb, nloc, args[0], args[1]);
          linalg::YieldOp::create(nb, nloc, mul);
        });
    ctx.addAdjoint(b, loc, init,
                   arith::MulFOp::create(b, loc, g, product.getResult(0)));
  }
  if (ctx.needsAdjoint(input)) {
    Value gy = arith::MulFOp::create(b, loc, g, result);
    Value spread = createBroadcast(b, loc, gy, dims, inputType);
    ctx.addAdjoint(b, loc, input, arith::DivFOp::create(b, loc, spread, input));
  }
}

static LogicalResult reverseReduce(Operation *op, AdjointContext &ctx,
                                   OpBuilder &b) {
  auto reduce = cast<linalg::ReduceOp>(op);
  Operation *combine = getCombiningOp(reduce);
  auto fail = [&] {
    return op->emitError("scan-differentiate: cannot differentiate "
                         "'linalg.reduce' other than a sum, product, maximum "
                         "or minimum (arith.addf/mulf/maximumf/minimumf) of "
                         "one tensor");
  };
  if (reduce.getInputs().size() != 1 || !combine ||
      !reduce.hasPureTensorSemantics())
    return fail();
  Reduction reduction(reduce, ctx);
  if (isa<arith::AddFOp>(combine))
    reverseSumReduce(reduction, ctx, b);
  else if (isa<arith::MulFOp>(combine))
    reverseProductReduce(reduction, ctx, b);
  else if (isa<arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp,
               arith::MinNumFOp>(combine))
    reverseChooserReduce(reduction, ctx, b);
  else
    return fail();
  return success();
}

void mlir::scan::ad::registerShapeRules(RuleTable &rules) {
  rules[tensor::EmptyOp::getOperationName()].reverse = reverseNothing;
  rules[linalg::FillOp::getOperationName()].reverse = reverseFill;
  rules[tensor::ExtractOp::getOperationName()].reverse = reverseExtract;
  rules[tensor::ExtractSliceOp::getOperationName()].reverse =
      reverseExtractSlice;
  rules[tensor::InsertSliceOp::getOperationName()].reverse =
      reverseInsertSlice;
  rules[tensor::ConcatOp::getOperationName()].reverse = reverseConcat;
  rules[linalg::TransposeOp::getOperationName()].reverse = reverseTranspose;
  rules[linalg::BroadcastOp::getOperationName()].reverse = reverseBroadcast;
  rules[linalg::ReduceOp::getOperationName()].reverse = reverseReduce;
}
