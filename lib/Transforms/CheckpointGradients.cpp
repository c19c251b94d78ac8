//===- CheckpointGradients.cpp - gradients within a memory budget -*- C++ -*-===//
//
// The plain gradient of a scan is a forward scan that stacks its carries for
// every step and a reverse scan that reads those stacks. This pass bounds that
// memory: the forward scan keeps only the carries at segment starts
// (checkpoints) and the reverse scan recomputes each segment's stacks from
// its checkpoint right before walking the segment backwards. The segment
// length comes from a static estimate of the optimised program's allocations.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/Transforms/Passes.h"
#include "scan/Transforms/Utils/MatmulModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace mlir::scan {
#define GEN_PASS_DEF_CHECKPOINTGRADIENTSPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using scan::ScanOp;

#define DEBUG_TYPE "scan-checkpoint-gradients"

namespace {
/// A forward scan whose stacked outputs are read only by one reverse scan, as
/// its sequences: the two halves of a plain gradient.
struct GradientPair {
  ScanOp forward;
  ScanOp backward;
};

/// The segmentation of one gradient: `segmentLength` steps per segment at the
/// outer level, `innerLength` (0: none) inside each segment.
struct Schedule {
  int64_t segmentLength = 0;
  int64_t innerLength = 0;
};

constexpr double kMiB = 1024.0 * 1024.0;
} // namespace

/// Returns why `forward` cannot be checkpointed, or the pair it heads.
static FailureOr<GradientPair> matchPair(ScanOp forward, std::string &why) {
  if (forward.getReverse() || forward.getNumOutputs() == 0 ||
      forward.getNumCarries() == 0)
    return failure();
  ScanOp backward;
  for (Value stacked : forward.getOutputResults()) {
    for (OpOperand &use : stacked.getUses()) {
      auto user = dyn_cast<ScanOp>(use.getOwner());
      if (!user || !user.getReverse() ||
          use.getOperandNumber() < user.getNumCarries() ||
          (backward && user != backward)) {
        why = "a stacked output has users other than one reverse scan's "
              "sequences";
        return failure();
      }
      backward = user;
    }
  }
  if (!backward)
    return failure();
  if (backward->getBlock() != forward->getBlock() ||
      backward.getTripCount() != forward.getTripCount()) {
    why = "the reverse scan is in another block or has another trip count";
    return failure();
  }
  return GradientPair{forward, backward};
}

/// The gradient pairs at the top level of `block`, in order.
static SmallVector<GradientPair> findPairs(Block &block, bool remarks) {
  SmallVector<GradientPair> pairs;
  for (auto forward : block.getOps<ScanOp>()) {
    std::string why;
    FailureOr<GradientPair> pair = matchPair(forward, why);
    if (succeeded(pair))
      pairs.push_back(*pair);
    else if (remarks && !why.empty())
      forward.emitRemark() << "gradient not checkpointed: " << why;
  }
  return pairs;
}

/// A copy of `scan` right at the builder's insertion point that runs
/// `length` steps over `carries` and `sequences` instead of its own operands.
static ScanOp cloneScan(OpBuilder &builder, ScanOp scan, ValueRange carries,
                        ValueRange sequences, int64_t length) {
  auto clone = cast<ScanOp>(builder.clone(*scan));
  SmallVector<Value> operands(carries);
  llvm::append_range(operands, sequences);
  clone->setOperands(operands);
  for (OpResult stacked : clone.getOutputResults()) {
    auto type = cast<RankedTensorType>(stacked.getType());
    stacked.setType(
        ScanOp::getStackedType(ScanOp::getSliceType(type), length));
  }
  if (clone.getLengthAttr())
    clone.setLength(length);
  return clone;
}

/// Steps [offset, offset + size) of a sequence (a view, no copy).
static Value sliceSteps(OpBuilder &builder, Location loc, Value sequence,
                        int64_t offset, int64_t size) {
  auto type = cast<RankedTensorType>(sequence.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), builder.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes;
  SmallVector<OpFoldResult> strides(type.getRank(), builder.getIndexAttr(1));
  offsets[0] = builder.getIndexAttr(offset);
  sizes.push_back(builder.getIndexAttr(size));
  for (int64_t dim : type.getShape().drop_front())
    sizes.push_back(builder.getIndexAttr(dim));
  return tensor::ExtractSliceOp::create(builder, loc, sequence, offsets, sizes,
                                        strides);
}

/// The reassociation that splits or merges the leading dimension of a
/// tensor of rank `rank + 1` (split form) into two.
static SmallVector<ReassociationIndices> leadingPair(int64_t rank) {
  SmallVector<ReassociationIndices> groups{{0, 1}};
  for (int64_t dim = 2; dim <= rank; ++dim)
    groups.push_back({dim});
  return groups;
}

/// `sequence` (steps x ...) seen as segments x length x ... (a view).
static Value splitSteps(OpBuilder &builder, Location loc, Value sequence,
                        int64_t segments, int64_t length) {
  auto type = cast<RankedTensorType>(sequence.getType());
  SmallVector<int64_t> shape{segments, length};
  llvm::append_range(shape, type.getShape().drop_front());
  return tensor::ExpandShapeOp::create(
      builder, loc, RankedTensorType::get(shape, type.getElementType()),
      sequence, leadingPair(type.getRank()));
}

/// Rewrites `pair` into segments of `length` steps (the first segment holds
/// the T mod length leftover steps, stored as before). Returns the pair that
/// now runs inside each segment of the reverse scan: the recomputing forward
/// scan and the segment's backward scan.
static GradientPair segmentPair(RewriterBase &rewriter, GradientPair pair,
                                int64_t length) {
  ScanOp forward = pair.forward, backward = pair.backward;
  int64_t steps = *forward.getTripCount();
  int64_t leftover = steps % length, segments = steps / length;
  Location loc = forward.getLoc();

  // Forward: the leftover steps as they were, then one step per segment that
  // runs the segment and stacks only the carries it started from.
  rewriter.setInsertionPoint(forward);
  SmallVector<Value> headSequences, tailSequences;
  for (Value sequence : forward.getSequences()) {
    if (leftover) {
      headSequences.push_back(sliceSteps(rewriter, loc, sequence, 0, leftover));
      sequence =
          sliceSteps(rewriter, loc, sequence, leftover, steps - leftover);
    }
    tailSequences.push_back(
        splitSteps(rewriter, loc, sequence, segments, length));
  }
  ScanOp headForward;
  ValueRange startCarries = forward.getInitCarries();
  if (leftover) {
    headForward = cloneScan(rewriter, forward, forward.getInitCarries(),
                            headSequences, leftover);
    startCarries = headForward.getCarryResults();
  }
  SmallVector<Type> forwardTypes(forward.getInitCarries().getTypes());
  for (Value carry : forward.getInitCarries())
    forwardTypes.push_back(ScanOp::getStackedType(
        cast<RankedTensorType>(carry.getType()), segments));
  auto segmentedForward = ScanOp::create(
      rewriter, loc, forwardTypes, startCarries, tailSequences,
      /*reverse=*/false);
  segmentedForward->setAttr(scan::kCheckpointSegmentsAttrName,
                            rewriter.getUnitAttr());
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Block *body = segmentedForward.getBodyBlock();
    rewriter.setInsertionPointToEnd(body);
    ScanOp inner =
        cloneScan(rewriter, forward, segmentedForward.getCarryArgs(),
                  segmentedForward.getSequenceArgs(), length);
    SmallVector<Value> yielded(inner.getCarryResults());
    llvm::append_range(yielded, segmentedForward.getCarryArgs());
    scan::YieldOp::create(rewriter, loc, yielded);
  }
  ValueRange checkpoints = segmentedForward.getOutputResults();

  // Backward: one reverse step per segment recomputes the segment's stacks
  // from its checkpoint and runs the original backward body over them.
  Location backLoc = backward.getLoc();
  rewriter.setInsertionPoint(backward);
  unsigned numForwardCarries = forward.getNumCarries();
  // Per sequence of the backward scan: the forward output it reads, if any.
  SmallVector<std::optional<unsigned>> readsOutput;
  SmallVector<Value> otherHeads, otherTails;
  for (OpOperand &operand : backward.getSequencesMutable()) {
    auto result = dyn_cast<OpResult>(operand.get());
    if (result && result.getOwner() == forward) {
      readsOutput.push_back(result.getResultNumber() - numForwardCarries);
      continue;
    }
    readsOutput.push_back(std::nullopt);
    Value sequence = operand.get();
    if (leftover) {
      otherHeads.push_back(
          sliceSteps(rewriter, backLoc, sequence, 0, leftover));
      sequence =
          sliceSteps(rewriter, backLoc, sequence, leftover, steps - leftover);
    }
    otherTails.push_back(
        splitSteps(rewriter, backLoc, sequence, segments, length));
  }
  SmallVector<Value> backwardSequences(checkpoints);
  llvm::append_range(backwardSequences, tailSequences);
  llvm::append_range(backwardSequences, otherTails);
  SmallVector<Type> backwardTypes(backward.getInitCarries().getTypes());
  for (Value stacked : backward.getOutputResults()) {
    auto step = ScanOp::getSliceType(cast<RankedTensorType>(stacked.getType()));
    backwardTypes.push_back(ScanOp::getStackedType(
        ScanOp::getStackedType(step, length), segments));
  }
  auto segmentedBackward =
      ScanOp::create(rewriter, backLoc, backwardTypes,
                     backward.getInitCarries(), backwardSequences,
                     /*reverse=*/true);
  segmentedBackward->setAttr(scan::kCheckpointSegmentsAttrName,
                             rewriter.getUnitAttr());
  GradientPair innerPair;
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Block *body = segmentedBackward.getBodyBlock();
    rewriter.setInsertionPointToEnd(body);
    ValueRange args = segmentedBackward.getSequenceArgs();
    ValueRange checkpointArgs = args.take_front(numForwardCarries);
    ValueRange forwardArgs =
        args.slice(numForwardCarries, forward.getNumSequences());
    ValueRange otherArgs =
        args.drop_front(numForwardCarries + forward.getNumSequences());
    ScanOp recompute =
        cloneScan(rewriter, forward, checkpointArgs, forwardArgs, length);
    SmallVector<Value> innerSequences;
    unsigned nextOther = 0;
    for (std::optional<unsigned> output : readsOutput)
      innerSequences.push_back(output
                                   ? recompute.getOutputResults()[*output]
                                   : otherArgs[nextOther++]);
    ScanOp inner = cloneScan(rewriter, backward,
                             segmentedBackward.getCarryArgs(), innerSequences,
                             length);
    scan::YieldOp::create(rewriter, backLoc, inner.getResults());
    innerPair = {recompute, inner};
  }

  // The leftover steps run last backwards, over the stacks stored for them.
  SmallVector<Value> finalCarries(segmentedBackward.getCarryResults());
  ScanOp headBackward;
  if (leftover) {
    SmallVector<Value> headInputs;
    unsigned nextOther = 0;
    for (std::optional<unsigned> output : readsOutput)
      headInputs.push_back(output ? headForward.getOutputResults()[*output]
                                  : otherHeads[nextOther++]);
    headBackward = cloneScan(rewriter, backward, finalCarries, headInputs,
                             leftover);
    finalCarries.assign(headBackward.getCarryResults().begin(),
                        headBackward.getCarryResults().end());
  }
  SmallVector<Value> replacements(finalCarries);
  for (auto [index, stacked] :
       llvm::enumerate(segmentedBackward.getOutputResults())) {
    auto type = cast<RankedTensorType>(stacked.getType());
    Value merged = tensor::CollapseShapeOp::create(
        rewriter, backLoc, stacked, leadingPair(type.getRank() - 1));
    if (leftover)
      merged = tensor::ConcatOp::create(
          rewriter, backLoc, /*dim=*/0,
          ValueRange{headBackward.getOutputResults()[index], merged});
    replacements.push_back(merged);
  }
  rewriter.replaceOp(backward, replacements);

  // The stacked outputs had no user but the backward scan just replaced.
  for (auto [old, now] : llvm::zip(forward.getCarryResults(),
                                   segmentedForward.getCarryResults()))
    rewriter.replaceAllUsesWith(old, now);
  rewriter.eraseOp(forward);
  return innerPair;
}

/// Applies `schedule` to every pair of `fn`'s top level.
static void applySchedule(func::FuncOp fn, const Schedule &schedule) {
  IRRewriter rewriter(fn.getContext());
  for (GradientPair pair : findPairs(fn.getBody().front(), false)) {
    int64_t steps = *pair.forward.getTripCount();
    if (schedule.segmentLength >= steps)
      continue;
    GradientPair inner = segmentPair(rewriter, pair, schedule.segmentLength);
    if (schedule.innerLength && schedule.innerLength < schedule.segmentLength)
      segmentPair(rewriter, inner, schedule.innerLength);
  }
}

static double tensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  return static_cast<double>(tensor.getNumElements()) *
         static_cast<double>((tensor.getElementTypeBitWidth() + 7) / 8);
}

/// Bytes of the packed copies of the loop-invariant right operands of the
/// matmuls in `scan`: the CPU lowering packs each (operand, layout) once
/// before the outermost loop that leaves it unchanged.
static double packedWeightBytes(ScanOp scan) {
  llvm::DenseSet<std::pair<Value, AffineMap>> packed;
  double total = 0;
  scan.getBodyBlock()->walk([&](linalg::MatmulOp matmul) {
    Value rhs = matmul.getDpsInputs()[1];
    if (scan->isAncestor(rhs.getParentRegion()->getParentOp()))
      return;
    if (packed.insert({rhs, matmul.getIndexingMapsArray()[1]}).second)
      total += tensorBytes(rhs.getType());
  });
  return total;
}

/// Bytes a call of `block` allocates at its peak, statically: every tensor
/// an op of the block produces (views and constants excepted) stays live,
/// a scan's carries twice, plus the largest peak of one step of a scan body
/// in the block (with, at the top level, the scan's packed weights).
static double estimateBytes(Block &block, bool topLevel) {
  double total = 0, nested = 0;
  for (Operation &op : block) {
    auto scan = dyn_cast<ScanOp>(op);
    if (scan)
      nested = std::max(nested, estimateBytes(*scan.getBodyBlock(), false) +
                                    (topLevel ? packedWeightBytes(scan) : 0));
    if (isa<tensor::EmptyOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
            tensor::ExtractSliceOp, arith::ConstantOp>(op))
      continue;
    for (OpResult result : op.getResults()) {
      double bytes = tensorBytes(result.getType());
      // A step computes the next carry while the current one is live.
      if (scan && result.getResultNumber() < scan.getNumCarries())
        bytes *= 2;
      total += bytes;
    }
  }
  return total + nested;
}

/// Matmul GFLOP of one call of `fn`, loop trip counts included.
static double matmulGflop(func::FuncOp fn) {
  double gflop = 0;
  fn.walk([&](linalg::MatmulOp matmul) {
    gflop += scan::getMatmulFlopPerCall(matmul) * 1e-9;
  });
  return gflop;
}

namespace {
/// Predicted peak memory and matmul work of one function's optimised form.
struct Prediction {
  double mib = 0;
  double gflop = 0;
};

/// Predicts, on a scratch copy of the module, what `fn` costs after the
/// schedule (none when `schedule` is null) and scan-optimize's rounds.
class CostModel {
public:
  CostModel(ModuleOp module, StringRef function)
      : module(module), function(function) {}

  FailureOr<Prediction> predict(const Schedule *schedule) {
    OwningOpRef<ModuleOp> scratch = module.clone();
    auto fn = scratch->lookupSymbol<func::FuncOp>(function);
    // What the rounds say about the scratch copy is not news for the user.
    ScopedDiagnosticHandler silence(module.getContext(),
                                    [](Diagnostic &) { return success(); });
    if (schedule)
      applySchedule(fn, *schedule);
    PassManager pm(module.getContext(), ModuleOp::getOperationName());
    scan::buildScanOptimizeRound(pm);
    // At most as many rounds as scan-optimize's default max-iterations.
    unsigned maxRounds = scan::OptimizePassOptions().maxIterations;
    if (failed(scan::runScanOptimizeRounds(*scratch, maxRounds,
                                           [&] { return pm.run(*scratch); })))
      return failure();
    return Prediction{estimateBytes(fn.getBody().front(), true) / kMiB,
                      matmulGflop(fn)};
  }

private:
  ModuleOp module;
  StringRef function;
};

/// `value` with one decimal, for diagnostics.
std::string oneDecimal(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.1f", value);
  return text;
}

/// The schedule of a `steps`-step gradient as the remarks and the report
/// print it, e.g. "1 x 2 + 6 x 8 steps (1 level)".
std::string describe(const Schedule &schedule, int64_t steps) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto segments = [&](int64_t total, int64_t length) {
    if (total % length)
      os << "1 x " << total % length << " + ";
    os << total / length << " x " << length << " steps";
  };
  segments(steps, schedule.segmentLength);
  if (schedule.innerLength) {
    os << ", each ";
    segments(schedule.segmentLength, schedule.innerLength);
  }
  os << " (" << (schedule.innerLength ? 2 : 1)
     << (schedule.innerLength ? " levels)" : " level)");
  return text;
}
} // namespace

/// Chooses and applies a schedule for `fn`; fails (after an error) when no
/// schedule fits the budget.
static LogicalResult
checkpointFunction(ModuleOp module, func::FuncOp fn,
                   const scan::CheckpointGradientsPassOptions &options,
                   SmallVectorImpl<scan::CheckpointSchedule> *schedules) {
  SmallVector<GradientPair> pairs = findPairs(fn.getBody().front(), true);
  if (pairs.empty())
    return success();
  int64_t steps = 0;
  for (GradientPair pair : pairs)
    steps = std::max(steps, *pair.forward.getTripCount());
  ScanOp anchor = pairs.front().forward;
  CostModel model(module, fn.getSymName());
  FailureOr<Prediction> unbounded = model.predict(nullptr);
  if (failed(unbounded))
    return anchor.emitError("cannot predict the gradient's memory");

  std::optional<Schedule> chosen;
  std::optional<Prediction> chosenCost;
  double budget = static_cast<double>(options.budgetMib);
  if (options.segmentLength > 0) {
    if (options.segmentLength < steps)
      chosen = Schedule{options.segmentLength,
                        options.innerSegmentLength < options.segmentLength
                            ? std::max<int64_t>(options.innerSegmentLength, 0)
                            : 0};
  } else if (unbounded->mib <= budget) {
    anchor.emitRemark() << "gradient not checkpointed: predicted "
                        << oneDecimal(unbounded->mib)
                        << " MiB fits the budget of " << options.budgetMib
                        << " MiB";
    return success();
  } else {
    // Memory first falls with the segment length (fewer checkpoints) and
    // then grows again (longer per-segment stacks); recomputation costs one
    // forward per level whatever the length, and longer segments make
    // bigger GEMMs. So: find the length of least memory on a doubling
    // sweep, then the longest length beyond it that fits, by bisection.
    double smallest = unbounded->mib;
    auto predict = [&](const Schedule &candidate) -> std::optional<Prediction> {
      FailureOr<Prediction> predicted = model.predict(&candidate);
      if (failed(predicted))
        return std::nullopt;
      smallest = std::min(smallest, predicted->mib);
      return *predicted;
    };
    auto search = [&](auto makeSchedule) {
      int64_t best = 0;
      std::optional<Prediction> bestCost;
      for (int64_t length = 1; length < steps; length *= 2) {
        std::optional<Prediction> cost = predict(makeSchedule(length));
        if (cost && (!bestCost || cost->mib < bestCost->mib)) {
          best = length;
          bestCost = cost;
        }
      }
      if (!bestCost || bestCost->mib > budget)
        return;
      chosen = makeSchedule(best);
      chosenCost = bestCost;
      int64_t low = best, high = steps - 1;
      while (low < high) {
        int64_t mid = low + (high - low + 1) / 2;
        std::optional<Prediction> cost = predict(makeSchedule(mid));
        if (cost && cost->mib <= budget) {
          low = mid;
          chosen = makeSchedule(mid);
          chosenCost = cost;
        } else {
          high = mid - 1;
        }
      }
    };
    auto oneLevel = [](int64_t length) { return Schedule{length, 0}; };
    auto twoLevels = [](int64_t length) {
      auto inner = static_cast<int64_t>(
          std::llround(std::sqrt(static_cast<double>(length))));
      return Schedule{length, inner < length ? std::max<int64_t>(inner, 1) : 0};
    };
    search(oneLevel);
    if (!chosen)
      search(twoLevels);
    if (!chosen)
      return anchor.emitError()
             << "memory budget of " << options.budgetMib
             << " MiB is below the smallest checkpointed gradient found: "
             << static_cast<int64_t>(std::ceil(smallest)) << " MiB";
  }
  if (!chosen)
    return success();
  if (!chosenCost) {
    FailureOr<Prediction> predicted = model.predict(&*chosen);
    if (failed(predicted))
      return anchor.emitError("cannot predict the gradient's memory");
    chosenCost = *predicted;
  }

  scan::CheckpointSchedule result{fn.getSymName().str(),
                                  describe(*chosen, steps), chosenCost->mib,
                                  unbounded->mib,
                                  chosenCost->gflop - unbounded->gflop};
  anchor.emitRemark() << "checkpointed gradient: " << result.schedule << ", "
                      << result.cost();
  if (schedules)
    schedules->push_back(std::move(result));
  applySchedule(fn, *chosen);
  return success();
}

std::string scan::CheckpointSchedule::cost() const {
  return "predicted " + oneDecimal(predictedMiB) + " MiB per call (unbounded " +
         oneDecimal(unboundedMiB) + " MiB), +" + oneDecimal(recomputedGflop) +
         " matmul GFLOP recomputed";
}

LogicalResult mlir::scan::checkpointGradients(
    ModuleOp module, const CheckpointGradientsPassOptions &options,
    SmallVectorImpl<CheckpointSchedule> *schedules) {
  if (options.budgetMib <= 0 && options.segmentLength <= 0)
    return success();
  bool failedAny = false;
  for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>()))
    if (!fn.isExternal() &&
        failed(checkpointFunction(module, fn, options, schedules)))
      failedAny = true;
  return failure(failedAny);
}

namespace {
struct CheckpointGradientsPass final
    : scan::impl::CheckpointGradientsPassBase<CheckpointGradientsPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<tensor::TensorDialect>();
    OpPassManager round(ModuleOp::getOperationName());
    scan::buildScanOptimizeRound(round);
    round.getDependentDialects(registry);
  }

  void runOnOperation() override {
    scan::CheckpointGradientsPassOptions options{budgetMib, segmentLength,
                                                 innerSegmentLength};
    if (failed(scan::checkpointGradients(getOperation(), options, nullptr)))
      signalPassFailure();
  }
};
} // namespace
