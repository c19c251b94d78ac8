//===- EliminateRecomputation.cpp - reuse forward values backward -*- C++ -*-===//
//
// scan-eliminate-recomputation: a later scan (the backward loop) that
// recomputes values an earlier scan (the forward loop) already computed at the
// same step reads them from a stored per-step output instead. See the pass
// description in Passes.td for the matching rules and the storage policy.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::scan {
#define GEN_PASS_DEF_ELIMINATERECOMPUTATIONPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

#define DEBUG_TYPE "scan-eliminate-recomputation"

namespace {

/// Knows which values of a later scan's body (`later`) equal which values of
/// an earlier scan's body (`earlier`) at the same step.
class StepCorrespondence {
public:
  StepCorrespondence(ScanOp earlier, ScanOp later, DominanceInfo &dom)
      : earlier(earlier), dom(dom) {
    unsigned numCarries = earlier.getNumCarries();
    YieldOp yield = earlier.getYieldOp();
    for (auto [seq, arg] :
         llvm::zip_equal(later.getSequences(), later.getSequenceArgs())) {
      if (auto result = dyn_cast<OpResult>(seq);
          result && result.getOwner() == earlier.getOperation() &&
          result.getResultNumber() >= numCarries) {
        known[arg] = yield.getValues()[result.getResultNumber()];
        continue;
      }
      for (auto [fseq, farg] : llvm::zip_equal(earlier.getSequences(),
                                               earlier.getSequenceArgs()))
        if (fseq == seq)
          known[arg] = farg;
    }
  }

  /// Finds the op of the earlier body that computes what `op` computes, and
  /// records the correspondence of their results.
  Operation *match(Operation *op) {
    if (!isMemoryEffectFree(op) || op->getNumResults() == 0)
      return nullptr;
    for (Operation &candidate : earlier.getBodyBlock()->without_terminator()) {
      if (candidate.getName() != op->getName())
        continue;
      if (!equivalentOps(op, &candidate))
        continue;
      for (auto [a, b] : llvm::zip_equal(op->getResults(),
                                         candidate.getResults()))
        known[a] = b;
      return &candidate;
    }
    return nullptr;
  }

  bool isKnown(Value value) const { return known.contains(value); }

private:
  /// True if `a` (later side) and `b` (earlier side) hold the same value.
  bool equivalent(Value a, Value b) {
    if (auto it = known.find(a); it != known.end())
      return it->second == b;
    // Loop invariants of both scans are the same value in both.
    if (a == b)
      return dom.properlyDominates(a, earlier);
    // Values that do not depend on the step (constants, fills) compare by
    // the ops that define them.
    Operation *defA = a.getDefiningOp();
    Operation *defB = b.getDefiningOp();
    if (!defA || !defB || defA->getName() != defB->getName() ||
        cast<OpResult>(a).getResultNumber() !=
            cast<OpResult>(b).getResultNumber())
      return false;
    if (!isMemoryEffectFree(defA) || !equivalentOps(defA, defB))
      return false;
    known[a] = b;
    return true;
  }

  bool equivalentOps(Operation *a, Operation *b) {
    return OperationEquivalence::isEquivalentTo(
        a, b,
        [&](Value x, Value y) { return success(equivalent(x, y)); },
        [&](Value x, Value y) { known[x] = y; },
        OperationEquivalence::IgnoreLocations);
  }

  ScanOp earlier;
  DominanceInfo &dom;
  DenseMap<Value, Value> known;
};

/// Counts the contractions (matmuls) that recomputing `value` runs in `body`,
/// following only values known to equal the earlier scan's.
static unsigned countRecomputedContractions(Value value, Block *body,
                                            StepCorrespondence &steps) {
  SmallVector<Value> worklist{value};
  llvm::DenseSet<Operation *> seen;
  unsigned count = 0;
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || def->getBlock() != body || !seen.insert(def).second)
      continue;
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(def);
        linalgOp && linalg::isaContractionOpInterface(linalgOp))
      ++count;
    for (Value operand : def->getOperands())
      if (steps.isKnown(operand))
        worklist.push_back(operand);
  }
  return count;
}

struct EliminateRecomputationPass final
    : scan::impl::EliminateRecomputationPassBase<EliminateRecomputationPass> {
  using Base::Base;
  void runOnOperation() override;

  /// Stores what `later` recomputes of `earlier`; returns the new `earlier`.
  ScanOp eliminate(ScanOp earlier, ScanOp &later, DominanceInfo &dom);
};
} // namespace

ScanOp EliminateRecomputationPass::eliminate(ScanOp earlier, ScanOp &later,
                                             DominanceInfo &dom) {
  StepCorrespondence steps(earlier, later, dom);
  Block *body = later.getBodyBlock();

  // Match the later body in order, so operands are matched before users.
  DenseMap<Value, Value> earlierValue;
  for (Operation &op : body->without_terminator())
    if (Operation *twin = steps.match(&op))
      for (auto [a, b] : llvm::zip_equal(op.getResults(), twin->getResults()))
        earlierValue[a] = b;

  // The frontier: matched values still needed by unmatched code.
  llvm::SetVector<Value> frontier;
  for (Operation &op : body->getOperations()) {
    if (llvm::any_of(op.getResults(),
                     [&](Value v) { return earlierValue.contains(v); }))
      continue;
    for (Value operand : op.getOperands())
      if (earlierValue.contains(operand))
        frontier.insert(operand);
  }

  // Policy: by default store the matched matmul results the backward scan
  // still needs and recompute the cheap elementwise rest from them; with
  // store-elementwise, store every frontier value instead.
  SmallVector<Value> toStore, toReplace;
  auto store = [&](Value value, StringRef why) {
    Operation *def = value.getDefiningOp();
    def->emitRemark() << "reads '" << def->getName()
                      << "' from a per-step output of the forward scan "
                         "instead of recomputing it ("
                      << why << ")";
    toReplace.push_back(value);
    toStore.push_back(earlierValue[value]);
  };
  unsigned keptElementwise = 0;
  for (Value value : frontier) {
    unsigned matmuls = countRecomputedContractions(value, body, steps);
    if (storeElementwise)
      store(value, std::to_string(matmuls) + " matmul(s) per step saved");
    else if (matmuls == 0)
      ++keptElementwise;
  }
  if (keptElementwise != 0)
    later->emitRemark() << "still recomputes " << keptElementwise
                        << " elementwise value(s) of the forward scan that "
                           "need no matmul (store-elementwise=false)";
  if (!storeElementwise)
    for (Operation &op : body->without_terminator())
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
          linalgOp && linalg::isaContractionOpInterface(linalgOp) &&
          op.getNumResults() == 1 && earlierValue.contains(op.getResult(0)) &&
          !op.getResult(0).use_empty())
        store(op.getResult(0), "a matmul per step saved");
  if (toStore.empty())
    return earlier;

  // Reuse per-step outputs the earlier scan already stacks.
  IRRewriter rewriter(&getContext());
  YieldOp yield = earlier.getYieldOp();
  unsigned numCarries = earlier.getNumCarries();
  // Results are recorded by number: appending outputs replaces `earlier`.
  SmallVector<Value> newOutputs;
  SmallVector<unsigned> resultOf(toStore.size());
  unsigned firstNew = earlier.getNumResults();
  for (auto [i, value] : llvm::enumerate(toStore)) {
    auto outs = yield.getValues().drop_front(numCarries);
    if (auto out = llvm::find(outs, value); out != outs.end()) {
      resultOf[i] = numCarries + (out - outs.begin());
      continue;
    }
    auto *existing = llvm::find(newOutputs, value);
    resultOf[i] = firstNew + (existing - newOutputs.begin());
    if (existing == newOutputs.end())
      newOutputs.push_back(value);
  }
  if (!newOutputs.empty())
    earlier = earlier.appendOutputsAndSequences(rewriter, newOutputs, {});
  SmallVector<Value> sequenceOf;
  for (unsigned result : resultOf)
    sequenceOf.push_back(earlier.getResult(result));

  // Read each stored value as a sequence of the later scan (once each).
  SmallVector<Value> newSequences;
  for (Value seq : sequenceOf)
    if (!llvm::is_contained(newSequences, seq))
      newSequences.push_back(seq);
  unsigned firstArg = later.getBodyBlock()->getNumArguments();
  later = later.appendOutputsAndSequences(rewriter, {}, newSequences);
  Block *newBody = later.getBodyBlock();
  for (auto [value, seq] : llvm::zip_equal(toReplace, sequenceOf)) {
    unsigned index = llvm::find(newSequences, seq) - newSequences.begin();
    rewriter.replaceAllUsesWith(value, newBody->getArgument(firstArg + index));
    ++numStored;
  }

  // The recomputation is now dead.
  for (Operation &op :
       llvm::make_early_inc_range(llvm::reverse(newBody->getOperations())))
    if (isOpTriviallyDead(&op))
      rewriter.eraseOp(&op);
  return earlier;
}

void EliminateRecomputationPass::runOnOperation() {
  DominanceInfo dom(getOperation());
  SmallVector<ScanOp> scans;
  getOperation().walk([&](ScanOp scan) { scans.push_back(scan); });
  // Pair each scan with every earlier scan of its block that has the same
  // trip count; scans are rebuilt, so keep the list current.
  for (unsigned j = 0; j < scans.size(); ++j) {
    for (unsigned i = 0; i < j; ++i) {
      ScanOp earlier = scans[i], later = scans[j];
      if (earlier->getBlock() != later->getBlock() ||
          earlier.getTripCount() != later.getTripCount())
        continue;
      // Between scans over checkpointed segments, a stored product would
      // cover every step: the segments recompute instead.
      if (earlier->hasAttr(scan::kCheckpointSegmentsAttrName) &&
          later->hasAttr(scan::kCheckpointSegmentsAttrName))
        continue;
      scans[i] = eliminate(earlier, later, dom);
      scans[j] = later;
    }
  }
}
