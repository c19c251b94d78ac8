//===- FuseElementwise.cpp - fuse elementwise linalg chains -----*- C++ -*-===//
//
// Two steps:
//  1. Producer-consumer fusion of elementwise linalg.generic ops whose
//     producer has one use (upstream patterns), without the reshape
//     propagation of upstream's pass, which would turn matmuls over reshaped
//     tensors into generic contractions.
//  2. Elementwise ops over the same iteration space that are left in a
//     block, because a value feeds several of them, are merged into one
//     multi-result linalg.generic: every value is computed once, in
//     registers, and only the values used elsewhere are stored.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/Statistic.h"

#define DEBUG_TYPE "scan-fuse-elementwise"

namespace mlir::scan {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// The static loop ranges of `op` if it can join a merged elementwise op:
/// all loops parallel, static, tensor operands only, results written
/// through identity maps without reading the initial values, and a body
/// without side effects.
std::optional<SmallVector<int64_t>> mergeableShape(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || !generic.hasPureTensorSemantics() ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getNumDpsInits() == 0)
    return std::nullopt;
  for (OpOperand &init : generic.getDpsInitsMutable())
    if (!generic.getMatchingIndexingMap(&init).isIdentity() ||
        generic.payloadUsesValueFromOperand(&init))
      return std::nullopt;
  for (Operation &bodyOp : generic.getBody()->without_terminator())
    if (!isMemoryEffectFree(&bodyOp) || bodyOp.getNumRegions() != 0)
      return std::nullopt;
  SmallVector<int64_t> ranges = generic.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  return ranges;
}

/// Elementwise ops of one block, in program order, that may become one op
/// placed where the last of them is: no op between them uses their results.
struct Group {
  SmallVector<int64_t> shape;
  SmallVector<linalg::GenericOp> members;
  llvm::SmallPtrSet<Value, 16> results;

  bool usesResult(Operation *op) const {
    bool uses = false;
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (results.contains(operand))
          uses = true;
    });
    return uses;
  }

  /// Whether `op` (mergeable, with loop ranges `opShape`) can join.
  bool accepts(linalg::GenericOp op, ArrayRef<int64_t> opShape) const {
    if (members.empty())
      return true;
    if (opShape != ArrayRef<int64_t>(shape))
      return false;
    // A member's result is read at the same point of the iteration space.
    for (OpOperand *input : op.getDpsInputOperands())
      if (results.contains(input->get()) &&
          !op.getMatchingIndexingMap(input).isIdentity())
        return false;
    return true;
  }

  void add(linalg::GenericOp op, ArrayRef<int64_t> opShape) {
    if (members.empty())
      shape.assign(opShape.begin(), opShape.end());
    members.push_back(op);
    for (Value result : op->getResults())
      results.insert(result);
  }
};

/// Replaces the members of `group` (two or more) by one linalg.generic
/// that yields the members' results used outside the group; returns false,
/// changing nothing, when no result is used outside (the group is dead).
bool mergeGroup(RewriterBase &rewriter, Group &group) {
  linalg::GenericOp last = group.members.back();
  llvm::SmallPtrSet<Operation *, 16> memberOps;
  for (linalg::GenericOp member : group.members)
    memberOps.insert(member);

  // Inputs from outside the group, each (value, map) once.
  llvm::MapVector<std::pair<Value, AffineMap>, unsigned> inputIndex;
  for (linalg::GenericOp member : group.members)
    for (OpOperand *input : member.getDpsInputOperands())
      if (!group.results.contains(input->get()))
        inputIndex.insert(
            {{input->get(), member.getMatchingIndexingMap(input)},
             static_cast<unsigned>(inputIndex.size())});

  // Results still needed after the merge, with the init each is written to.
  SmallVector<OpResult> kept;
  SmallVector<Value> inits;
  for (linalg::GenericOp member : group.members)
    for (OpResult result : member->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !memberOps.contains(user);
          })) {
        kept.push_back(result);
        inits.push_back(member.getDpsInits()[result.getResultNumber()]);
      }
  if (kept.empty())
    return false;

  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (auto &entry : inputIndex) {
    inputs.push_back(entry.first.first);
    maps.push_back(entry.first.second);
  }
  unsigned rank = group.shape.size();
  maps.append(kept.size(),
              AffineMap::getMultiDimIdentityMap(rank, rewriter.getContext()));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  SmallVector<Type> resultTypes;
  for (OpResult result : kept)
    resultTypes.push_back(result.getType());

  rewriter.setInsertionPoint(last);
  auto merged = linalg::GenericOp::create(
      rewriter, last.getLoc(), resultTypes, inputs, inits, maps, iterators,
      [&](OpBuilder &builder, Location loc, ValueRange args) {
        // Each member's body, in order, reading external inputs from the
        // block arguments and the group's values from earlier bodies.
        DenseMap<Value, Value> computed;
        for (linalg::GenericOp member : group.members) {
          IRMapping mapping;
          Block *body = member.getBody();
          for (OpOperand *input : member.getDpsInputOperands()) {
            BlockArgument arg = body->getArgument(input->getOperandNumber());
            auto it = computed.find(input->get());
            if (it != computed.end()) {
              mapping.map(arg, it->second);
              continue;
            }
            unsigned index = inputIndex.lookup(
                {input->get(), member.getMatchingIndexingMap(input)});
            mapping.map(arg, args[index]);
          }
          for (Operation &bodyOp : body->without_terminator())
            builder.clone(bodyOp, mapping);
          auto yield = cast<linalg::YieldOp>(body->getTerminator());
          for (auto [result, value] :
               llvm::zip(member->getResults(), yield.getValues()))
            computed[result] = mapping.lookupOrDefault(value);
        }
        SmallVector<Value> yielded;
        for (OpResult result : kept)
          yielded.push_back(computed.lookup(result));
        linalg::YieldOp::create(builder, loc, yielded);
      });

  for (auto [result, replacement] : llvm::zip(kept, merged->getResults()))
    rewriter.replaceAllUsesWith(result, replacement);
  for (linalg::GenericOp member : llvm::reverse(group.members))
    rewriter.eraseOp(member);
  return true;
}

/// Merges the elementwise ops of `block` group by group; returns how many
/// ops were merged away.
unsigned mergeBlock(RewriterBase &rewriter, Block &block) {
  unsigned mergedAway = 0;
  Group group;
  auto flush = [&] {
    if (group.members.size() >= 2 && mergeGroup(rewriter, group))
      mergedAway += group.members.size() - 1;
    group = Group();
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    std::optional<SmallVector<int64_t>> shape = mergeableShape(&op);
    auto generic = dyn_cast<linalg::GenericOp>(&op);
    if (shape && group.accepts(generic, *shape)) {
      group.add(generic, *shape);
      continue;
    }
    if (group.usesResult(&op)) {
      flush();
      if (shape)
        group.add(generic, *shape);
    }
  }
  flush();
  return mergedAway;
}

struct FuseElementwisePass final
    : scan::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    // A producer with other uses would be computed twice, and one outside
    // the consumer's block (a loop invariant) on every iteration.
    linalg::ControlFusionFn onlyUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() &&
             producer->getBlock() == fused->getOwner()->getBlock();
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, onlyUse);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!multiResult)
      return;

    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    IRRewriter rewriter(context);
    for (Block *block : blocks)
      numMerged += mergeBlock(rewriter, *block);
  }
};

} // namespace
