//===- MatmulModel.cpp - how the project reads a linalg.matmul ------------===//
//
// Reads 2-D linalg.matmul ops with (possibly) transposed operands, on tensors
// for the scan optimisations and the reverse rule, and on buffers for the
// BLAS and cuBLAS lowerings; builds them.
//
//===----------------------------------------------------------------------===//

#include "scan/Transforms/Utils/MatmulModel.h"
#include "scan/Transforms/Utils/Buffers.h"

#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::scan;

AffineMap mlir::scan::getMatmulOperandMap(MLIRContext *context,
                                          MatmulOperand operand,
                                          bool transposed) {
  auto dim = [&](MatmulLoop loop) { return getAffineDimExpr(loop, context); };
  auto map = [&](MatmulLoop row, MatmulLoop col) {
    return transposed ? AffineMap::get(3, 0, {dim(col), dim(row)}, context)
                      : AffineMap::get(3, 0, {dim(row), dim(col)}, context);
  };
  switch (operand) {
  case MatmulOperand::Lhs:
    return map(MatmulLoopM, MatmulLoopK);
  case MatmulOperand::Rhs:
    return map(MatmulLoopK, MatmulLoopN);
  case MatmulOperand::Result:
    assert(!transposed && "a matmul result is never transposed");
    return map(MatmulLoopM, MatmulLoopN);
  }
  llvm_unreachable("unknown matmul operand");
}

SmallVector<AffineMap> mlir::scan::getMatmulIndexingMaps(MLIRContext *context,
                                                         bool lhsTransposed,
                                                         bool rhsTransposed) {
  return {getMatmulOperandMap(context, MatmulOperand::Lhs, lhsTransposed),
          getMatmulOperandMap(context, MatmulOperand::Rhs, rhsTransposed),
          getMatmulOperandMap(context, MatmulOperand::Result, false)};
}

std::optional<bool> mlir::scan::isTransposedOperandMap(AffineMap map,
                                                       MatmulOperand operand) {
  MLIRContext *context = map.getContext();
  if (map == getMatmulOperandMap(context, operand, false))
    return false;
  if (operand != MatmulOperand::Result &&
      map == getMatmulOperandMap(context, operand, true))
    return true;
  return std::nullopt;
}

std::optional<MatmulLayout> mlir::scan::getMatmulLayout(linalg::MatmulOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps.size() != 3 || !isTransposedOperandMap(maps[2], MatmulOperand::Result))
    return std::nullopt;
  std::optional<bool> lhs = isTransposedOperandMap(maps[0], MatmulOperand::Lhs);
  std::optional<bool> rhs = isTransposedOperandMap(maps[1], MatmulOperand::Rhs);
  if (!lhs || !rhs)
    return std::nullopt;
  return MatmulLayout{*lhs, *rhs};
}

Value mlir::scan::getTransposeSource(Value value) {
  auto transpose = value.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose.hasPureTensorSemantics() ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return nullptr;
  return transpose.getInput();
}

/// Records `reason` in `whyNot` (when given) and fails.
static FailureOr<MatmulForm> reject(std::string *whyNot, const Twine &reason) {
  if (whyNot)
    *whyNot = reason.str();
  return failure();
}

FailureOr<MatmulForm> mlir::scan::matchMatmul(Operation *op,
                                              std::string *whyNot,
                                              const MatmulMatchOptions &options) {
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
  if (lhsType.getEncoding() || rhsType.getEncoding() || initType.getEncoding())
    return reject(whyNot, "matmul operands carry a tensor encoding");
  Type elementType = initType.getElementType();
  if (options.requireOneFloatType &&
      (!isa<FloatType>(elementType) ||
       lhsType.getElementType() != elementType ||
       rhsType.getElementType() != elementType))
    return reject(whyNot, "matmul mixes element types or is not on floats");

  std::optional<MatmulLayout> layout = getMatmulLayout(matmul);
  if (!layout)
    return reject(whyNot, "matmul indexing maps are not a plain or "
                          "transposed-operand matmul");
  form.lhsTransposed = layout->lhsTransposed;
  form.rhsTransposed = layout->rhsTransposed;
  if (options.lookThroughTransposes) {
    if (Value source = getTransposeSource(form.lhs)) {
      form.lhs = source;
      form.lhsTransposed = !form.lhsTransposed;
    }
    if (Value source = getTransposeSource(form.rhs)) {
      form.rhs = source;
      form.rhsTransposed = !form.rhsTransposed;
    }
  }

  form.m = initType.getDimSize(0);
  form.n = initType.getDimSize(1);
  form.k = cast<RankedTensorType>(form.lhs.getType())
               .getDimSize(form.lhsContractionDim());
  return form;
}

FailureOr<MatmulForm> mlir::scan::matchMatmul(Value value, std::string *whyNot,
                                              const MatmulMatchOptions &options) {
  auto result = dyn_cast<OpResult>(value);
  if (!result)
    return failure();
  return matchMatmul(result.getOwner(), whyNot, options);
}

linalg::MatmulOp mlir::scan::createMatmul(OpBuilder &builder, Location loc,
                                          Value lhs, bool lhsTransposed,
                                          Value rhs, bool rhsTransposed,
                                          Value init, linalg::TypeFnAttr cast) {
  SmallVector<NamedAttribute> attrs;
  if (lhsTransposed || rhsTransposed)
    attrs.push_back(builder.getNamedAttr(
        "indexing_maps",
        builder.getAffineMapArrayAttr(getMatmulIndexingMaps(
            builder.getContext(), lhsTransposed, rhsTransposed))));
  if (cast)
    attrs.push_back(builder.getNamedAttr("cast", cast));
  return linalg::MatmulOp::create(builder, loc, TypeRange{init.getType()},
                                  ValueRange{lhs, rhs}, ValueRange{init},
                                  attrs);
}

linalg::MatmulOp mlir::scan::createMatmulLike(OpBuilder &builder, Location loc,
                                              const MatmulForm &like, Value lhs,
                                              Value rhs, Value init) {
  return createMatmul(builder, loc, lhs, like.lhsTransposed, rhs,
                      like.rhsTransposed, init, like.op.getCastAttr());
}

/// A scalar or splat constant zero, float (either sign) or integer.
static bool isZeroConstant(Value value) {
  return matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero());
}

bool mlir::scan::isZeroTensor(Value value) {
  if (!isa<RankedTensorType>(value.getType()))
    return false;
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return fill.hasPureTensorSemantics() &&
           isZeroConstant(fill.getInputs()[0]);
  return isZeroConstant(value);
}

/// True when `input` provably never shares memory with `allocated`, a local
/// allocation: it is rooted in another allocation, a global, or an argument
/// of the enclosing function (which exists before the allocation). A
/// loop-carried block argument or another op's result may be anything,
/// `allocated` included.
static bool isDistinctFromAllocation(Value input, Value allocated) {
  Value root = getRootBuffer(input);
  if (root == allocated)
    return false;
  return isLocalAllocation(root) ||
         root.getDefiningOp<memref::GetGlobalOp>() || isFunctionArgument(root);
}

linalg::FillOp mlir::scan::findZeroFill(linalg::MatmulOp op) {
  if (!op.hasPureBufferSemantics() || op.getDpsInits().size() != 1)
    return nullptr;
  Value output = op.getDpsInits()[0];
  Operation *prev = op->getPrevNode();
  while (prev && isMemoryEffectFree(prev))
    prev = prev->getPrevNode();
  auto fill = dyn_cast_or_null<linalg::FillOp>(prev);
  if (!fill || !fill.hasPureBufferSemantics() ||
      fill.getDpsInits()[0] != output ||
      !matchPattern(fill.getDpsInputs()[0], m_AnyZeroFloat()))
    return nullptr;
  Value root = getRootBuffer(output);
  if (!isLocalAllocation(root))
    return nullptr;
  for (Value input : op.getDpsInputs())
    if (!isDistinctFromAllocation(input, root))
      return nullptr;
  return fill;
}

double mlir::scan::getMatmulFlopPerCall(linalg::MatmulOp op) {
  double flop = 2;
  for (int64_t size : op.getStaticLoopRanges())
    flop *= ShapedType::isDynamic(size) ? 1 : static_cast<double>(size);
  for (auto parent = op->getParentOfType<ScanOp>(); parent;
       parent = parent->getParentOfType<ScanOp>())
    flop *= static_cast<double>(parent.getTripCount().value_or(1));
  return flop;
}
