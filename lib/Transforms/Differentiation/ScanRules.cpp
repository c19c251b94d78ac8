//===- ScanRules.cpp - reverse rule of scan.scan --------------------------===//
//
// The plain (Theano/JAX-style) reverse of a scan:
//
// * prepare: the forward scan additionally stacks, as per-step outputs, every
//   carry its body reads, taken at the START of each step (the block
//   argument), so that step t of the backward scan can recompute step t.
// * reverse: one backward scan running in the opposite direction with
//     carries    (adjoint of every varied carry..., gradient of every varied
//                 captured tensor "dW"...)
//     sequences  (stacked carries..., forward sequences the body reads...,
//                 adjoints of stacked forward outputs...)
//     outputs    (adjoint of every varied forward sequence, per step).
//   Its body clones the forward body (recomputing intermediates), then runs
//   the reverse rules of the cloned ops. The adjoint of a captured tensor
//   starts from its gradient carry, so a matmul reading it accumulates into
//   that carry in place: `dW' = matmul(A_t^T, B_t) outs(dW)`.
//
//===----------------------------------------------------------------------===//

#include "Differentiation.h"

#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::scan;
using namespace mlir::scan::ad;

static LogicalResult prepareScan(Operation *op, AdjointContext &ctx) {
  auto scan = cast<ScanOp>(op);
  std::optional<int64_t> tripCount = scan.getTripCount();
  if (!tripCount)
    return op->emitError("scan-differentiate: scan.scan without a trip count");

  // Stack every carry the body reads.
  SmallVector<Type> resultTypes(scan->getResultTypes());
  SmallVector<unsigned> stored;
  for (auto [i, arg] : llvm::enumerate(scan.getCarryArgs())) {
    if (arg.use_empty())
      continue;
    stored.push_back(i);
    resultTypes.push_back(ScanOp::getStackedType(
        cast<RankedTensorType>(arg.getType()), *tripCount));
  }

  OpBuilder b(op);
  auto forward = ScanOp::create(b, nameLoc(op->getLoc(), "forward"),
                                resultTypes, scan.getInitCarries(),
                                scan.getSequences(), scan.getReverse(),
                                scan.getLength());
  forward.getBody().takeBody(scan.getBody());
  YieldOp yield = forward.getYieldOp();
  for (unsigned i : stored)
    yield.getValuesMutable().append(forward.getCarryArgs()[i]);

  SmallVector<Value> saved(scan.getNumCarries());
  unsigned numOld = scan->getNumResults();
  for (auto [k, i] : llvm::enumerate(stored)) {
    Value stack = forward->getResult(numOld + k);
    saved[i] = stack;
    if (ctx.isVaried(forward.getCarryArgs()[i]))
      ctx.markVaried(stack);
  }
  for (auto [oldResult, newResult] :
       llvm::zip(scan->getResults(), forward->getResults().take_front(numOld)))
    if (ctx.isVaried(oldResult))
      ctx.markVaried(newResult);
  ctx.getShared().savedCarries[forward] = std::move(saved);
  scan->replaceAllUsesWith(forward->getResults().take_front(numOld));
  scan->erase();
  return success();
}

static LogicalResult reverseScan(Operation *op, AdjointContext &ctx,
                                 OpBuilder &b) {
  auto scan = cast<ScanOp>(op);
  // Prepared scans only: a scan gets adjoints only when its results vary.
  SmallVector<Value> saved = ctx.getShared().savedCarries.lookup(op);
  assert(saved.size() == scan.getNumCarries() && "scan was not prepared");
  Location loc = op->getLoc();
  int64_t tripCount = *scan.getTripCount();
  Block *body = scan.getBodyBlock();
  YieldOp yield = scan.getYieldOp();
  unsigned numCarries = scan.getNumCarries();

  // What the backward scan carries and reads.
  SmallVector<unsigned> adjCarries; // varied carries
  for (auto [i, arg] : llvm::enumerate(scan.getCarryArgs()))
    if (ctx.needsAdjoint(arg))
      adjCarries.push_back(i);
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(scan.getBody(), captured);
  SmallVector<Value> weights; // varied captured tensors
  for (Value value : captured) {
    if (!ctx.needsAdjoint(value))
      continue;
    if (!isa<RankedTensorType>(value.getType()))
      return op->emitError("scan-differentiate: cannot differentiate a "
                           "scalar captured by a scan.scan body");
    weights.push_back(value);
  }
  SmallVector<unsigned> storedCarries, usedSeqs, gradSeqs, adjOutputs;
  for (unsigned i = 0; i < numCarries; ++i)
    if (saved[i])
      storedCarries.push_back(i);
  for (auto [j, arg] : llvm::enumerate(scan.getSequenceArgs())) {
    if (arg.use_empty())
      continue;
    usedSeqs.push_back(j);
    if (ctx.needsAdjoint(arg))
      gradSeqs.push_back(j);
  }
  for (auto [l, out] : llvm::enumerate(scan.getOutputResults()))
    if (ctx.getAdjoint(out))
      adjOutputs.push_back(l);

  SmallVector<Value> inits, sequences;
  SmallVector<Type> resultTypes;
  for (unsigned i : adjCarries) {
    Value carry = scan.getCarryResults()[i];
    Value init = ctx.getAdjoint(carry);
    if (!init)
      init = createZeros(b, nameLoc(loc, "dcarry"), carry.getType());
    inits.push_back(init);
    resultTypes.push_back(carry.getType());
  }
  for (Value w : weights) {
    inits.push_back(createZeros(b, nameLoc(w.getLoc(), "dW"), w.getType()));
    resultTypes.push_back(w.getType());
  }
  for (unsigned i : storedCarries)
    sequences.push_back(saved[i]);
  for (unsigned j : usedSeqs)
    sequences.push_back(scan.getSequences()[j]);
  for (unsigned l : adjOutputs)
    sequences.push_back(ctx.getAdjoint(scan.getOutputResults()[l]));
  for (unsigned j : gradSeqs)
    resultTypes.push_back(scan.getSequences()[j].getType());
  std::optional<int64_t> length;
  if (sequences.empty() && gradSeqs.empty())
    length = tripCount;

  // Name the backward scan after the source scan, not after "forward".
  Location sourceLoc = loc;
  if (auto named = dyn_cast<NameLoc>(loc))
    sourceLoc = named.getChildLoc();
  auto backward =
      ScanOp::create(b, nameLoc(sourceLoc, "backward"), resultTypes, inits,
                     sequences, !scan.getReverse(), length);
  Block *bwdBody = backward.getBodyBlock();
  auto bwdCarries = backward.getCarryArgs();
  auto bwdSeqs = backward.getSequenceArgs();
  ValueRange dCarryArgs = ValueRange(bwdCarries).take_front(adjCarries.size());
  ValueRange dWArgs = ValueRange(bwdCarries).drop_front(adjCarries.size());
  ValueRange savedArgs = ValueRange(bwdSeqs).take_front(storedCarries.size());
  ValueRange seqArgs = ValueRange(bwdSeqs).slice(storedCarries.size(),
                                                 usedSeqs.size());
  ValueRange adjOutArgs =
      ValueRange(bwdSeqs).drop_front(storedCarries.size() + usedSeqs.size());

  // Recompute the step from the stored carries and the sequences.
  IRMapping mapping;
  for (auto [i, arg] : llvm::zip(storedCarries, savedArgs)) {
    mapping.map(scan.getCarryArgs()[i], arg);
    if (ctx.isVaried(scan.getCarryArgs()[i]))
      ctx.markVaried(arg);
  }
  for (auto [j, arg] : llvm::zip(usedSeqs, seqArgs)) {
    mapping.map(scan.getSequenceArgs()[j], arg);
    if (ctx.isVaried(scan.getSequenceArgs()[j]))
      ctx.markVaried(arg);
  }
  OpBuilder bb = OpBuilder::atBlockEnd(bwdBody);
  for (Operation &bodyOp : body->without_terminator()) {
    Operation *clone = bb.clone(bodyOp, mapping);
    for (auto [orig, copy] :
         llvm::zip(bodyOp.getResults(), clone->getResults()))
      if (ctx.isVaried(orig))
        ctx.markVaried(copy);
  }
  // The clones of nested scans have bodies of their own: mark what varies in
  // them, and let them keep what their reverse needs (a nested scan stacks
  // its carries in the recomputed step, like a top-level one in the primal).
  // A copy of the terminator keeps track of the yielded values while a
  // prepare rule replaces the op defining one of them.
  Operation *yieldCopy = bb.clone(*yield, mapping);
  propagateVaried(*bwdBody, ctx.getShared());
  if (failed(prepareOps(*bwdBody, ctx)))
    return failure();
  SmallVector<Value> stepYield(yieldCopy->getOperands());
  yieldCopy->erase();
  SmallVector<Operation *> recomputed =
      llvm::map_to_vector(*bwdBody, [](Operation &o) { return &o; });

  // Reverse the step.
  AdjointContext inner(ctx.getShared());
  for (auto [w, arg] : llvm::zip(weights, dWArgs))
    inner.setAdjoint(w, arg);
  for (auto [i, arg] : llvm::zip(adjCarries, dCarryArgs))
    inner.addAdjoint(bb, loc, stepYield[i], arg);
  for (auto [l, arg] : llvm::zip(adjOutputs, adjOutArgs))
    inner.addAdjoint(bb, loc, stepYield[numCarries + l], arg);
  if (failed(inner.reverseSweep(recomputed, bb)))
    return failure();

  SmallVector<Value> yielded;
  for (unsigned i : adjCarries) {
    Value arg = scan.getCarryArgs()[i];
    if (Value slice = mapping.lookupOrNull(arg))
      yielded.push_back(inner.getAdjointOrZeros(bb, loc, slice));
    else
      yielded.push_back(createZeros(bb, loc, arg.getType()));
  }
  for (Value w : weights)
    yielded.push_back(inner.getAdjoint(w));
  for (unsigned j : gradSeqs)
    yielded.push_back(inner.getAdjointOrZeros(
        bb, loc, mapping.lookup(scan.getSequenceArgs()[j])));
  YieldOp::create(bb, loc, yielded);

  // Hand the results to the operands of the forward scan.
  unsigned r = 0;
  for (unsigned i : adjCarries)
    ctx.addAdjoint(b, loc, scan.getInitCarries()[i], backward->getResult(r++));
  for (Value w : weights)
    ctx.addAdjoint(b, loc, w, backward->getResult(r++));
  for (unsigned j : gradSeqs)
    ctx.addAdjoint(b, loc, scan.getSequences()[j], backward->getResult(r++));
  return success();
}

void mlir::scan::ad::registerScanRules(RuleTable &rules) {
  ReverseRule &rule = rules[ScanOp::getOperationName()];
  rule.prepare = prepareScan;
  rule.reverse = reverseScan;
}
