//===- HoistInputProjections.cpp - project input sequences before the loop ===//
//
// Rewrites `x_t . W` inside a scan.scan body, with x_t a sequence slice and W
// loop-invariant, into one GEMM over every step before the loop whose result
// the scan reads as a new sequence.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/Transforms/Utils/DeadCode.h"
#include "scan/Transforms/Utils/MatmulModel.h"
#include "scan/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::scan {
#define GEN_PASS_DEF_HOISTINPUTPROJECTIONSPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

#define DEBUG_TYPE "scan-hoist-input-projections"

namespace {

/// A projection `slice . W (+ init)` to compute before the loop.
struct Projection {
  MatmulForm form;
  /// Index of the sequence whose slice is the left operand.
  unsigned sequence = 0;
};

struct HoistInputProjectionsPass final
    : scan::impl::HoistInputProjectionsPassBase<HoistInputProjectionsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  void hoist(ScanOp scan, ArrayRef<Projection> projections);
};

} // namespace

/// The sequence index of `value` when it is a sequence slice of `scan`.
static std::optional<unsigned> getSequenceIndex(ScanOp scan, Value value) {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != scan.getBodyBlock() ||
      arg.getArgNumber() < scan.getNumCarries())
    return std::nullopt;
  return arg.getArgNumber() - scan.getNumCarries();
}

/// True when `value`, used in the body of `scan`, depends on a block argument
/// of the body (a carry or a slice), i.e. changes from step to step.
static bool variesPerStep(ScanOp scan, Value value) {
  Block *body = scan.getBodyBlock();
  SmallVector<Value> worklist{value};
  DenseSet<Operation *> visited;
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(current)) {
      if (arg.getOwner() == body)
        return true;
      continue;
    }
    Operation *inBody = body->findAncestorOpInBlock(*current.getDefiningOp());
    if (!inBody || !visited.insert(inBody).second)
      continue;
    inBody->walk([&](Operation *nested) {
      llvm::append_range(worklist, nested->getOperands());
    });
  }
  return false;
}

/// Decides whether `op` in the body of `scan` is a projection to hoist.
/// Sets `missed` for matmuls reading a sequence slice that are left alone.
static std::optional<Projection> analyse(ScanOp scan, Operation *op,
                                         std::string &missed) {
  auto matmul = dyn_cast<linalg::MatmulOp>(op);
  if (!matmul)
    return std::nullopt;
  Value lhs = matmul.getInputs()[0], rhs = matmul.getInputs()[1];
  bool lhsIsSlice = getSequenceIndex(scan, lhs).has_value();
  bool rhsIsSlice = getSequenceIndex(scan, rhs).has_value();
  // Only a slice times a weight is a projection; a slice times per-step data
  // (a weight gradient's h_t^T e_t, say) is not, and is not reported.
  if (lhsIsSlice == rhsIsSlice)
    return std::nullopt;
  Value weight = lhsIsSlice ? rhs : lhs;
  if (variesPerStep(scan, weight))
    return std::nullopt;

  std::string whyNot;
  FailureOr<MatmulForm> form = matchMatmul(op, &whyNot);
  if (failed(form)) {
    missed = "unsupported matmul: " + whyNot;
    return std::nullopt;
  }
  if (!lhsIsSlice) {
    missed = "sequence slice is the right-hand operand: the steps cannot "
             "form the rows of one GEMM";
    return std::nullopt;
  }
  if (form->lhsTransposed) {
    missed = "sequence slice is transposed: the steps cannot form the rows "
             "of one GEMM";
    return std::nullopt;
  }
  if (!scan.isDefinedOutsideOfLoop(weight)) {
    missed = "weight operand is defined in the loop body";
    return std::nullopt;
  }
  if (!isZeroTensor(form->init) && !scan.isDefinedOutsideOfLoop(form->init)) {
    missed = "matmul init is not loop-invariant";
    return std::nullopt;
  }
  std::optional<unsigned> sequence = getSequenceIndex(scan, lhs);
  return Projection{*form, *sequence};
}

/// `init` of type B x D repeated over `steps` and folded to (steps*B) x D.
static Value buildStackedInit(OpBuilder &builder, Location loc, Value init,
                              int64_t steps) {
  auto type = cast<RankedTensorType>(init.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  Type elementType = type.getElementType();
  if (isZeroTensor(init)) {
    Value empty = tensor::EmptyOp::create(
        builder, loc, SmallVector<int64_t>{steps * rows, cols}, elementType);
    Value zero = arith::ConstantOp::create(builder, loc, elementType,
                                           builder.getZeroAttr(elementType));
    return linalg::FillOp::create(builder, loc, zero, empty)->getResult(0);
  }
  Value empty = tensor::EmptyOp::create(
      builder, loc, SmallVector<int64_t>{steps, rows, cols}, elementType);
  Value broadcast = linalg::BroadcastOp::create(builder, loc, init, empty,
                                                ArrayRef<int64_t>{0})
                        ->getResult(0);
  auto matrix = RankedTensorType::get({steps * rows, cols}, elementType);
  return tensor::CollapseShapeOp::create(builder, loc, matrix, broadcast,
                                         {{0, 1}, {2}});
}

void HoistInputProjectionsPass::hoist(ScanOp scan,
                                      ArrayRef<Projection> projections) {
  IRRewriter rewriter(scan);
  int64_t steps = *scan.getTripCount();

  // Before the loop: one GEMM per projection over all steps.
  rewriter.setInsertionPoint(scan);
  SmallVector<Value> projected;
  // Projections of one sequence share its collapsed form.
  DenseMap<unsigned, Value> collapsed;
  for (const Projection &projection : projections) {
    MatmulForm form = projection.form;
    Location projLoc = form.op.getLoc();
    Value input = scan.getSequences()[projection.sequence];
    auto inputType = cast<RankedTensorType>(input.getType());
    Type elementType = inputType.getElementType();
    auto inputMatrix = RankedTensorType::get(
        {steps * form.m, form.k}, elementType);
    Value &lhs = collapsed[projection.sequence];
    if (!lhs)
      lhs = tensor::CollapseShapeOp::create(rewriter, projLoc, inputMatrix,
                                            input, {{0, 1}, {2}});
    Value init = buildStackedInit(rewriter, projLoc, form.init, steps);
    Value product = createMatmul(rewriter, projLoc, lhs, /*lhsTransposed=*/false,
                                 form.rhs, form.rhsTransposed, init)
                        ->getResult(0);
    auto stackedType = RankedTensorType::get({steps, form.m, form.n},
                                             elementType);
    projected.push_back(tensor::ExpandShapeOp::create(
        rewriter, projLoc, stackedType, product, {{0, 1}, {2}}));
    form.op.emitRemark() << "hoisted input projection: " << steps << " x ("
                         << form.m << "x" << form.k << "x" << form.n
                         << ") -> 1 x (" << steps * form.m << "x" << form.k
                         << "x" << form.n << ")";
    ++numHoisted;
  }

  // The same scan with one more sequence per projection.
  unsigned numOldArgs = scan.getBodyBlock()->getNumArguments();
  ScanOp newScan =
      scan.appendOutputsAndSequences(rewriter, ValueRange(), projected);
  Block *newBody = newScan.getBodyBlock();
  for (auto [projection, arg] : llvm::zip_equal(
           projections, newBody->getArguments().drop_front(numOldArgs))) {
    Operation *initDef = projection.form.init.getDefiningOp();
    rewriter.replaceOp(projection.form.op, arg);
    // The zero fill that only fed the projection goes with it.
    if (initDef && initDef->getBlock() == newBody)
      eraseDeadOpsAndProducers(rewriter, initDef, newBody);
  }
}

void HoistInputProjectionsPass::runOnOperation() {
  SmallVector<ScanOp> scans;
  getOperation().walk([&](ScanOp scan) { scans.push_back(scan); });
  for (ScanOp scan : scans) {
    if (!scan.getYieldOp() || !scan.getTripCount())
      continue;
    int64_t steps = *scan.getTripCount();
    SmallVector<Projection> projections;
    for (Operation &op : scan.getBodyBlock()->without_terminator()) {
      std::string missed;
      std::optional<Projection> projection = analyse(scan, &op, missed);
      if (!missed.empty()) {
        op.emitRemark() << "input projection not hoisted: " << missed;
        continue;
      }
      if (!projection)
        continue;
      if (scan->hasAttr(scan::kCheckpointSegmentsAttrName)) {
        op.emitRemark() << "input projection not hoisted: the scan walks "
                           "checkpointed segments";
        continue;
      }
      if (steps < minTripCount) {
        op.emitRemark() << "input projection not hoisted: trip count "
                        << steps << " is below min-trip-count "
                        << static_cast<int64_t>(minTripCount);
        continue;
      }
      // The hoisted product has T*M rows: a size int64_t must hold.
      int64_t rows;
      if (llvm::MulOverflow(steps, projection->form.m, rows)) {
        op.emitRemark() << "input projection not hoisted: trip count "
                        << steps << " times " << projection->form.m
                        << " rows overflows int64_t";
        continue;
      }
      projections.push_back(*projection);
    }
    if (!projections.empty())
      hoist(scan, projections);
  }
}
