//===- FoldTransposesIntoMatmuls.cpp - transposes as matmul layouts -------===//
//
// Implements scan-fold-transposes-into-matmuls: in scan bodies, a transposed
// loop-invariant matmul operand is read through the matmul's indexing_maps,
// and the transpose of a matmul's product becomes one matmul, so that both
// spellings of `h U^T` reach the optimisations in one form.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/Transforms/Passes.h"
#include "scan/Transforms/Utils/MatmulModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::scan {
#define GEN_PASS_DEF_FOLDTRANSPOSESINTOMATMULSPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

#define DEBUG_TYPE "scan-fold-transposes-into-matmuls"

namespace {
struct FoldTransposesIntoMatmulsPass final
    : scan::impl::FoldTransposesIntoMatmulsPassBase<
          FoldTransposesIntoMatmulsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  void foldTransposedOperands(IRRewriter &rewriter, linalg::MatmulOp op);
  void foldTransposeOfMatmul(IRRewriter &rewriter,
                             linalg::TransposeOp transpose);
};
} // namespace

/// Erases `op` when nothing reads it any more.
static void eraseIfDead(RewriterBase &rewriter, Operation *op) {
  if (op && isOpTriviallyDead(op))
    rewriter.eraseOp(op);
}

void FoldTransposesIntoMatmulsPass::foldTransposedOperands(
    IRRewriter &rewriter, linalg::MatmulOp op) {
  auto scan = op->getParentOfType<ScanOp>();
  if (!scan || !op.hasPureTensorSemantics() || op.getInputs().size() != 2 ||
      op.getOutputs().size() != 1)
    return;
  std::optional<MatmulLayout> layout = getMatmulLayout(op);
  if (!layout)
    return;
  Value lhs = op.getInputs()[0], rhs = op.getInputs()[1];
  bool lhsTransposed = layout->lhsTransposed;
  bool rhsTransposed = layout->rhsTransposed;
  // Only a loop-invariant source: one transpose of a weight serves every
  // step, and the reverse rule then sees the weight itself.
  auto readThrough = [&](Value &operand, bool &transposed) {
    Value source = getTransposeSource(operand);
    if (!source || !scan.isDefinedOutsideOfLoop(source))
      return false;
    operand = source;
    transposed = !transposed;
    return true;
  };
  bool foldedLhs = readThrough(lhs, lhsTransposed);
  bool foldedRhs = readThrough(rhs, rhsTransposed);
  if (!foldedLhs && !foldedRhs)
    return;

  SmallVector<Operation *> transposes = {op.getInputs()[0].getDefiningOp(),
                                         op.getInputs()[1].getDefiningOp()};
  op.emitRemark() << "read a transposed loop-invariant operand through "
                     "indexing_maps";
  rewriter.setInsertionPoint(op);
  linalg::MatmulOp folded =
      createMatmul(rewriter, op.getLoc(), lhs, lhsTransposed, rhs,
                   rhsTransposed, op.getOutputs()[0], op.getCastAttr());
  rewriter.replaceOp(op, folded->getResults());
  if (foldedLhs)
    eraseIfDead(rewriter, transposes[0]);
  if (foldedRhs && transposes[1] != transposes[0])
    eraseIfDead(rewriter, transposes[1]);
  ++numOperandsFolded;
}

void FoldTransposesIntoMatmulsPass::foldTransposeOfMatmul(
    IRRewriter &rewriter, linalg::TransposeOp transpose) {
  if (!transpose->getParentOfType<ScanOp>() ||
      !transpose.hasPureTensorSemantics() ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return;
  std::string whyNot;
  FailureOr<MatmulForm> form = matchMatmul(transpose.getInput(), &whyNot);
  auto missed = [&](const Twine &why) {
    transpose.emitRemark() << "transpose of a matmul not folded: " << why;
  };
  if (failed(form)) {
    // Not a matmul at all: nothing to say.
    if (!whyNot.empty())
      missed(whyNot);
    return;
  }
  if (!isZeroTensor(form->init))
    return missed("the matmul's init is not zero");
  if (!form->result().hasOneUse())
    return missed("the matmul's product is also read untransposed");

  // (op(A) op(B))^T = op(B)^T op(A)^T, into a zero of the transposed shape.
  Location loc = transpose.getLoc();
  rewriter.setInsertionPoint(transpose);
  Type elementType = getElementTypeOrSelf(form->init.getType());
  Value zero = arith::ConstantOp::create(rewriter, loc,
                                         rewriter.getZeroAttr(elementType));
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, SmallVector<int64_t>{form->n, form->m}, elementType);
  Value init = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
  linalg::MatmulOp folded =
      createMatmul(rewriter, loc, form->rhs, !form->rhsTransposed, form->lhs,
                   !form->lhsTransposed, init);
  transpose.emitRemark() << "folded a transpose of a matmul into the matmul";
  rewriter.replaceOp(transpose, folded->getResults());
  eraseIfDead(rewriter, form->op);
  ++numResultsFolded;
}

void FoldTransposesIntoMatmulsPass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  SmallVector<linalg::MatmulOp> matmuls;
  getOperation().walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
  for (linalg::MatmulOp op : matmuls)
    foldTransposedOperands(rewriter, op);

  SmallVector<linalg::TransposeOp> transposes;
  getOperation().walk(
      [&](linalg::TransposeOp op) { transposes.push_back(op); });
  for (linalg::TransposeOp op : transposes)
    foldTransposeOfMatmul(rewriter, op);
}
