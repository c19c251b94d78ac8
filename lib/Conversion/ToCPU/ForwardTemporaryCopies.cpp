//===- ForwardTemporaryCopies.cpp - compute into the copy target -*- C++ -*-===//
//
// After one-shot bufferization: a linalg op computing into a fresh
// allocation that is then only copied to another buffer computes into that
// buffer directly; linalg ops that only read a fresh copy of a view read the
// view itself.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"
#include "scan/Transforms/Utils/Buffers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

namespace mlir::scan {
#define GEN_PASS_DEF_FORWARDTEMPORARYCOPIESPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Whether `a` and `b`, both views of one buffer, certainly do not overlap:
/// subviews of one source whose slices are known to be disjoint, or of
/// disjoint subviews.
bool provablyDisjoint(Value a, Value b) {
  auto sa = a.getDefiningOp<memref::SubViewOp>();
  auto sb = b.getDefiningOp<memref::SubViewOp>();
  if (!sa || !sb)
    return false;
  if (sa.getSource() != sb.getSource())
    return provablyDisjoint(sa.getSource(), sb.getSource());
  FailureOr<bool> overlap = ValueBoundsConstraintSet::areOverlappingSlices(
      sa.getContext(), HyperrectangularSlice(sa), HyperrectangularSlice(sb));
  return succeeded(overlap) && !*overlap;
}

/// Rewrites `copy` when it copies a temporary that one linalg op filled.
bool forward(memref::CopyOp copy, DominanceInfo &dominance) {
  Value dst = copy.getTarget();
  // The temporary: written once by a linalg op that does not read its old
  // contents, then copied; used for nothing else.
  OpOperand *writerInit = scan::getSoleWriteOfCopiedTemporary(copy);
  if (!writerInit)
    return false;
  auto writer = dyn_cast<linalg::LinalgOp>(writerInit->getOwner());
  if (!writer || !writer.isDpsInit(writerInit) ||
      writer.payloadUsesValueFromOperand(writerInit))
    return false;
  // The destination's buffer: not read by the op, not written through
  // another init that may overlap, untouched between the op and the copy.
  Value root = scan::getRootBuffer(dst);
  for (OpOperand &operand : writer->getOpOperands()) {
    if (&operand == writerInit || !isa<MemRefType>(operand.get().getType()) ||
        scan::getRootBuffer(operand.get()) != root)
      continue;
    if (!writer.isDpsInit(&operand) ||
        writer.payloadUsesValueFromOperand(&operand) ||
        !provablyDisjoint(operand.get(), dst))
      return false;
  }
  for (Operation *op = writer->getNextNode(); op != copy;
       op = op->getNextNode()) {
    if (isMemoryEffectFree(op) && op->getNumRegions() == 0)
      continue;
    if (op->getNumRegions() != 0)
      return false;
    for (Value operand : op->getOperands())
      if (isa<MemRefType>(operand.getType()) && scan::getRootBuffer(operand) == root)
        return false;
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects)
      return false;
  }
  // `dst` must be available at the op: defined before it, or a view whose
  // operands are, which then moves there.
  Operation *view = dst.getDefiningOp();
  if (view && !dominance.properlyDominates(dst, writer)) {
    if (view->getBlock() != writer->getBlock() || !isMemoryEffectFree(view) ||
        !llvm::all_of(view->getOperands(), [&](Value v) {
          return dominance.properlyDominates(v, writer);
        }))
      return false;
    view->moveBefore(writer);
  }
  auto alloc = copy.getSource().getDefiningOp<memref::AllocOp>();
  writerInit->set(dst);
  copy.erase();
  if (alloc->use_empty())
    alloc.erase();
  return true;
}

/// Whether `op`, between a copy and the last reader of its target, writes no
/// view of `src`'s buffer (`root`) that may overlap `src`.
bool leavesUnwritten(Operation *op, Value src, Value root) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    for (OpOperand &init : linalgOp.getDpsInitsMutable())
      if (scan::getRootBuffer(init.get()) == root &&
          !provablyDisjoint(init.get(), src))
        return false;
    return true;
  }
  if (op->getNumRegions() != 0)
    return false;
  if (isMemoryEffectFree(op))
    return true;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  for (MemoryEffects::EffectInstance &instance : instances) {
    if (!isa<MemoryEffects::Write, MemoryEffects::Free>(instance.getEffect()))
      continue;
    Value written = instance.getValue();
    if (!written)
      return false;
    if (isa<MemRefType>(written.getType()) &&
        scan::getRootBuffer(written) == root &&
        !provablyDisjoint(written, src))
      return false;
  }
  return true;
}

/// Rewrites `copy` when it copies a view of a local buffer into a fresh
/// allocation that linalg ops of the same block then only read, and nothing
/// writes the view until the last of them: they read the view instead. A
/// scan's carry kept in its stack of T + 1 slices (convert-scan-to-scf) is
/// copied this way when the op that writes slice t + 1 also reads slice t.
bool forwardSource(memref::CopyOp copy) {
  Value src = copy.getSource();
  Value tmp = copy.getTarget();
  auto alloc = tmp.getDefiningOp<memref::AllocOp>();
  Value root = scan::getRootBuffer(src);
  if (!alloc || alloc->getBlock() != copy->getBlock() ||
      !scan::isLocalAllocation(root))
    return false;
  SmallVector<OpOperand *> reads;
  Operation *lastReader = nullptr;
  for (OpOperand &use : tmp.getUses()) {
    Operation *user = use.getOwner();
    if (user == copy)
      continue;
    auto reader = dyn_cast<linalg::LinalgOp>(user);
    if (!reader || user->getBlock() != copy->getBlock() ||
        !copy->isBeforeInBlock(user) || !reader.isDpsInput(&use))
      return false;
    reads.push_back(&use);
    if (!lastReader || lastReader->isBeforeInBlock(user))
      lastReader = user;
  }
  if (reads.empty())
    return false;
  for (Operation *op = copy->getNextNode(); op != lastReader->getNextNode();
       op = op->getNextNode())
    if (!leavesUnwritten(op, src, root))
      return false;
  for (OpOperand *read : reads)
    read->set(src);
  copy.erase();
  alloc.erase();
  return true;
}

struct ForwardTemporaryCopiesPass final
    : scan::impl::ForwardTemporaryCopiesPassBase<ForwardTemporaryCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    DominanceInfo dominance(getOperation());
    for (memref::CopyOp copy : copies) {
      if (forward(copy, dominance))
        ++numForwarded;
      else if (forwardSource(copy))
        ++numSourcesForwarded;
    }
  }
};

} // namespace
