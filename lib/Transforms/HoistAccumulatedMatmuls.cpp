//===- HoistAccumulatedMatmuls.cpp - one GEMM for accumulated products ----===//
//
// Moves carries updated only as `acc' = acc + sum_i op(A_i,t) op(B_i,t)` out
// of scan.scan: the body yields the per-step operands (or they are found
// already stacked), and after the loop one linalg.matmul per product
// contracts over steps and batch together.
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
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::scan {
#define GEN_PASS_DEF_HOISTACCUMULATEDMATMULSPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

#define DEBUG_TYPE "scan-hoist-accumulated-matmuls"

namespace {

/// A carry recognised as `acc' = acc + sum of products`.
struct Accumulator {
  unsigned carry = 0;
  /// The products added per step.
  SmallVector<MatmulForm> terms;
  /// The matmul/add ops forming the update, users before their operands.
  SmallVector<Operation *> updateOps;
};

/// Outcome of looking at one carry.
struct CarryAnalysis {
  /// Set when the carry can be hoisted.
  std::optional<Accumulator> accumulator;
  /// Why not, for carries that look like accumulators; empty otherwise.
  std::string missed;
};

/// True for ops that add two tensors of the accumulator's type.
static bool isTensorAdd(Operation *op, Type accType) {
  if (op->getNumResults() != 1 || op->getResult(0).getType() != accType)
    return false;
  if (auto add = dyn_cast<arith::AddFOp>(op))
    return add.getLhs().getType() == accType &&
           add.getRhs().getType() == accType;
  if (auto add = dyn_cast<linalg::AddOp>(op))
    return add.getInputs().size() == 2 &&
           add.getInputs()[0].getType() == accType &&
           add.getInputs()[1].getType() == accType;
  return false;
}

/// The two summands of an op accepted by isTensorAdd.
static std::pair<Value, Value> getSummands(Operation *op) {
  if (auto add = dyn_cast<arith::AddFOp>(op))
    return {add.getLhs(), add.getRhs()};
  auto add = cast<linalg::AddOp>(op);
  return {add.getInputs()[0], add.getInputs()[1]};
}

/// Walks the update expression of an accumulator from the yielded value down
/// to the carry's block argument.
class UpdateWalker {
public:
  UpdateWalker(Block *body, BlockArgument acc, Accumulator &result)
      : body(body), acc(acc), result(result) {}

  /// Collects the products of `value`, an element of the sum; `isRoot` for
  /// the yielded value. Returns false with `why` set on anything else.
  bool walk(Value value, bool isRoot) {
    if (value == acc) {
      ++numAccReads;
      return true;
    }
    Operation *def = value.getDefiningOp();
    if (!def || def->getBlock() != body)
      return fail("accumulator updated by something other than a sum of "
                  "matmuls");
    // An intermediate partial sum observed elsewhere would see acc.
    if (!isRoot && !value.hasOneUse())
      return fail("partial sum of the accumulator read in body");

    std::string whyNot;
    FailureOr<MatmulForm> form = matchMatmul(def, &whyNot);
    if (succeeded(form)) {
      result.updateOps.push_back(def);
      result.terms.push_back(*form);
      if (isZeroTensor(form->init))
        return true;
      return walk(form->init, /*isRoot=*/false);
    }
    if (!whyNot.empty())
      return fail("unsupported matmul in the update: " + whyNot);
    if (isTensorAdd(def, acc.getType())) {
      result.updateOps.push_back(def);
      auto [lhs, rhs] = getSummands(def);
      if (lhs == rhs)
        return fail("accumulator updated by something other than a sum of "
                    "matmuls");
      return walk(lhs, false) && walk(rhs, false);
    }
    return fail("accumulator updated by something other than a sum of "
                "matmuls ('" +
                def->getName().getStringRef().str() + "')");
  }

  unsigned numAccReads = 0;
  std::string why;

private:
  bool fail(const Twine &reason) {
    if (why.empty())
      why = reason.str();
    return false;
  }

  Block *body;
  BlockArgument acc;
  Accumulator &result;
};

/// True when `value`, computed in `body`, depends on `arg`.
static bool dependsOn(Value value, BlockArgument arg, Block *body) {
  SmallVector<Value> worklist{value};
  DenseSet<Operation *> visited;
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    if (current == arg)
      return true;
    Operation *def = current.getDefiningOp();
    if (!def)
      continue;
    Operation *inBody = body->findAncestorOpInBlock(*def);
    if (!inBody || !visited.insert(inBody).second)
      continue;
    inBody->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        worklist.push_back(operand);
    });
  }
  return false;
}

/// True when the block argument looks like an accumulator: the `outs` of a
/// matmul, or combined with a matmul result by an add or a subtract.
static bool looksLikeAccumulator(BlockArgument arg) {
  for (OpOperand &use : arg.getUses()) {
    Operation *user = use.getOwner();
    if (auto matmul = dyn_cast<linalg::MatmulOp>(user)) {
      if (llvm::is_contained(matmul.getOutputs(), arg))
        return true;
      continue;
    }
    Value lhs, rhs;
    if (isTensorAdd(user, arg.getType()))
      std::tie(lhs, rhs) = getSummands(user);
    else if (auto sub = dyn_cast<arith::SubFOp>(user))
      std::tie(lhs, rhs) = std::make_pair(sub.getLhs(), sub.getRhs());
    else
      continue;
    Value other = lhs == arg ? rhs : lhs;
    if (other.getDefiningOp<linalg::MatmulOp>())
      return true;
    // A transposed product (the weight gradient of `h U^T` spelled with a
    // linalg.transpose) that scan-fold-transposes-into-matmuls left alone.
    if (Value source = getTransposeSource(other);
        source && source.getDefiningOp<linalg::MatmulOp>())
      return true;
  }
  return false;
}

/// Decides whether carry `index` of `scan` can be hoisted.
static CarryAnalysis analyseCarry(ScanOp scan, unsigned index,
                                  bool allowTransposes) {
  CarryAnalysis analysis;
  Block *body = scan.getBodyBlock();
  BlockArgument acc = scan.getCarryArgs()[index];
  Value updated = scan.getYieldOp().getValues()[index];
  auto accType = dyn_cast<RankedTensorType>(acc.getType());
  if (updated == acc || !accType || accType.getRank() != 2)
    return analysis;

  bool nearMiss = looksLikeAccumulator(acc);
  Accumulator candidate;
  candidate.carry = index;
  UpdateWalker walker(body, acc, candidate);
  bool walked = walker.walk(updated, /*isRoot=*/true);
  // Sums that never reach acc are ordinary carries (dh = e W^T, say).
  if (!nearMiss && (!walked || walker.numAccReads == 0))
    return analysis;

  auto missed = [&](const Twine &why) {
    analysis.missed = why.str();
    return analysis;
  };
  if (!walked)
    return missed(walker.why);
  if (walker.numAccReads != 1)
    return missed("accumulator updated by something other than a sum of "
                  "matmuls");
  if (!acc.hasOneUse()) {
    for (const MatmulForm &term : candidate.terms)
      if (dependsOn(term.lhs, acc, body) || dependsOn(term.rhs, acc, body))
        return missed("per-step matmul operand depends on the accumulator");
    return missed("accumulator read in body");
  }
  if (!updated.hasOneUse())
    return missed("updated accumulator used in body or yielded more than "
                  "once");
  for (const MatmulForm &term : candidate.terms) {
    if (scan.isDefinedOutsideOfLoop(term.lhs) ||
        scan.isDefinedOutsideOfLoop(term.rhs))
      return missed("per-step matmul operand is loop-invariant");
    if (!allowTransposes &&
        (term.lhsContractionDim() != 0 || term.rhsContractionDim() != 0))
      return missed("contraction dimension is not leading in a per-step "
                    "operand and allow-transposes is off");
  }
  analysis.accumulator = std::move(candidate);
  return analysis;
}

/// Folds `stacked` (T x d0 x d1), whose contraction dimension is
/// `contractionDim` of the per-step matrix, into a matrix whose contraction
/// dimension (of size T*K) stays at the same position.
static Value foldSteps(OpBuilder &builder, Location loc, Value stacked,
                       unsigned contractionDim) {
  auto type = cast<RankedTensorType>(stacked.getType());
  int64_t steps = type.getDimSize(0);
  int64_t d0 = type.getDimSize(1), d1 = type.getDimSize(2);
  Type elementType = type.getElementType();
  if (contractionDim == 0) {
    auto matrix = RankedTensorType::get({steps * d0, d1}, elementType);
    return tensor::CollapseShapeOp::create(builder, loc, matrix, stacked,
                                           {{0, 1}, {2}});
  }
  // T x d0 x K -> d0 x T x K, so that (t, k) is contiguous.
  Value empty = tensor::EmptyOp::create(
      builder, loc, SmallVector<int64_t>{d0, steps, d1}, elementType);
  Value transposed = linalg::TransposeOp::create(builder, loc, stacked, empty,
                                                 ArrayRef<int64_t>{1, 0, 2})
                         ->getResult(0);
  auto matrix = RankedTensorType::get({d0, steps * d1}, elementType);
  return tensor::CollapseShapeOp::create(builder, loc, matrix, transposed,
                                         {{0}, {1, 2}});
}

struct HoistAccumulatedMatmulsPass final
    : scan::impl::HoistAccumulatedMatmulsPassBase<
          HoistAccumulatedMatmulsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  void hoist(ScanOp scan, ArrayRef<Accumulator> accumulators);
};

} // namespace

/// Reports the GEMM shapes (M x K x N) of `acc` before and after hoisting:
/// "T x (MxKxN) -> 1 x (Mx(T*K)xN)", one term per product.
static void emitHoistedRemark(ScanOp scan, const Accumulator &acc,
                              int64_t steps) {
  std::string before, after;
  llvm::raw_string_ostream beforeOs(before), afterOs(after);
  unsigned numTransposed = 0;
  for (const MatmulForm &term : acc.terms) {
    if (!before.empty()) {
      beforeOs << " + ";
      afterOs << " + ";
    }
    beforeOs << steps << " x (" << term.m << "x" << term.k << "x" << term.n
             << ")";
    afterOs << "1 x (" << term.m << "x" << steps * term.k << "x" << term.n
            << ")";
    numTransposed +=
        (term.lhsContractionDim() != 0) + (term.rhsContractionDim() != 0);
  }
  InFlightDiagnostic remark = scan.emitRemark()
                              << "hoisted accumulator (carry #" << acc.carry
                              << "): " << before << " -> " << after;
  if (numTransposed)
    remark << " (transposing " << numTransposed << " stacked operand"
           << (numTransposed == 1 ? "" : "s") << ")";
}

void HoistAccumulatedMatmulsPass::hoist(ScanOp scan,
                                        ArrayRef<Accumulator> accumulators) {
  IRRewriter rewriter(scan);
  Location loc = scan.getLoc();
  Block *body = scan.getBodyBlock();
  YieldOp yield = scan.getYieldOp();
  unsigned numCarries = scan.getNumCarries();
  int64_t steps = *scan.getTripCount();

  llvm::BitVector hoisted(numCarries);
  for (const Accumulator &acc : accumulators) {
    hoisted.set(acc.carry);
    emitHoistedRemark(scan, acc, steps);
    ++numHoisted;
  }

  // Where each per-step operand is stacked: a sequence operand (by index),
  // an existing output (by index), or a new output (by index, after the
  // existing ones). Block arguments die with the old body, so only indices
  // are kept.
  struct Stacked {
    bool isSequence;
    unsigned index;
  };
  SmallVector<Value> yieldedOutputs(
      yield.getValues().drop_front(numCarries));
  llvm::MapVector<Value, unsigned> newOutputs;
  auto locate = [&](Value perStep) -> Stacked {
    if (auto arg = dyn_cast<BlockArgument>(perStep);
        arg && arg.getOwner() == body && arg.getArgNumber() >= numCarries)
      return {true, arg.getArgNumber() - numCarries};
    for (auto [i, out] : llvm::enumerate(yieldedOutputs))
      if (out == perStep)
        return {false, static_cast<unsigned>(i)};
    auto [it, inserted] = newOutputs.insert(
        {perStep, yieldedOutputs.size() + newOutputs.size()});
    return {false, it->second};
  };
  SmallVector<SmallVector<std::pair<Stacked, Stacked>>> stackedTerms;
  for (const Accumulator &acc : accumulators) {
    auto &terms = stackedTerms.emplace_back();
    for (const MatmulForm &term : acc.terms)
      terms.push_back({locate(term.lhs), locate(term.rhs)});
  }

  // The new scan: kept carries, same sequences, old and new outputs.
  ScanRebuild rebuild(scan);
  for (unsigned i = 0; i < numCarries; ++i) {
    if (!hoisted[i])
      continue;
    rebuild.keepCarry.reset(i);
    rebuild.carryArgReplacement[i] = scan.getInitCarries()[i];
  }
  for (auto &[value, index] : newOutputs) {
    (void)index;
    rebuild.newOutputs.push_back(value);
  }
  SmallVector<Value> replacements;
  ScanOp newScan = scan.rebuild(rewriter, rebuild, replacements);
  for (const Accumulator &acc : accumulators)
    eraseDeadOpsAndProducers(rewriter, acc.updateOps, newScan.getBodyBlock());

  // After the loop: init + sum of one GEMM per product.
  unsigned numKept = numCarries - hoisted.count();
  auto stackedValue = [&](Stacked stacked) -> Value {
    if (stacked.isSequence)
      return newScan.getSequences()[stacked.index];
    return newScan.getResult(numKept + stacked.index);
  };
  rewriter.setInsertionPointAfter(newScan);
  // Operands shared between products are folded once.
  DenseMap<std::pair<Value, unsigned>, Value> folded;
  auto fold = [&](Value stacked, unsigned contractionDim) {
    Value &matrix = folded[{stacked, contractionDim}];
    if (!matrix)
      matrix = foldSteps(rewriter, loc, stacked, contractionDim);
    return matrix;
  };
  for (auto [acc, terms] : llvm::zip_equal(accumulators, stackedTerms)) {
    Value sum = scan.getInitCarries()[acc.carry];
    for (auto [term, stacked] : llvm::zip_equal(acc.terms, terms)) {
      Value lhs =
          fold(stackedValue(stacked.first), term.lhsContractionDim());
      Value rhs =
          fold(stackedValue(stacked.second), term.rhsContractionDim());
      sum = createMatmul(rewriter, loc, lhs, term.lhsTransposed, rhs,
                         term.rhsTransposed, sum)
                ->getResult(0);
    }
    replacements[acc.carry] = sum;
  }
  rewriter.replaceOp(scan, replacements);
  // A scan left with nothing to compute goes away.
  if (isOpTriviallyDead(newScan))
    rewriter.eraseOp(newScan);
}

void HoistAccumulatedMatmulsPass::runOnOperation() {
  SmallVector<ScanOp> scans;
  getOperation().walk([&](ScanOp scan) { scans.push_back(scan); });
  for (ScanOp scan : scans) {
    if (!scan.getYieldOp() || !scan.getTripCount())
      continue;
    int64_t steps = *scan.getTripCount();
    SmallVector<Accumulator> accumulators;
    for (unsigned i = 0, e = scan.getNumCarries(); i < e; ++i) {
      CarryAnalysis analysis = analyseCarry(scan, i, allowTransposes);
      if (!analysis.missed.empty()) {
        scan.emitRemark() << "accumulator (carry #" << i
                          << ") not hoisted: " << analysis.missed;
        continue;
      }
      if (!analysis.accumulator)
        continue;
      if (scan->hasAttr(scan::kCheckpointSegmentsAttrName)) {
        scan.emitRemark() << "accumulator (carry #" << i
                          << ") not hoisted: the scan walks checkpointed "
                             "segments";
        continue;
      }
      if (steps < minTripCount) {
        scan.emitRemark() << "accumulator (carry #" << i
                          << ") not hoisted: trip count " << steps
                          << " is below min-trip-count "
                          << static_cast<int64_t>(minTripCount);
        continue;
      }
      // The hoisted product contracts over T*K: a size int64_t must hold.
      if (llvm::any_of(analysis.accumulator->terms, [&](const MatmulForm &t) {
            int64_t folded;
            return llvm::MulOverflow(steps, t.k, folded);
          })) {
        scan.emitRemark() << "accumulator (carry #" << i
                          << ") not hoisted: trip count " << steps
                          << " times the contraction size overflows int64_t";
        continue;
      }
      accumulators.push_back(std::move(*analysis.accumulator));
    }
    if (!accumulators.empty())
      hoist(scan, accumulators);
  }
}
