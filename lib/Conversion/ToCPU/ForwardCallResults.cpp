//===- ForwardCallResults.cpp - calls write into the copy target -*- C++ -*-===//
//
// After buffer-results-to-out-params: a call that writes its result into a
// fresh allocation, which the caller then only copies to another buffer,
// writes into that buffer directly.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"
#include "scan/Transforms/Utils/Buffers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::scan {
#define GEN_PASS_DEF_FORWARDCALLRESULTSPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// A memref.get_global of a constant global, which nothing writes.
bool isConstantGlobal(Value root, SymbolTableCollection &symbols) {
  auto get = root.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto global =
      symbols.lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
  return global && global.getConstant();
}

/// Rewrites `copy` when it copies the out-param a call wrote into a fresh
/// allocation.
bool forward(memref::CopyOp copy, DominanceInfo &dominance,
             SymbolTableCollection &symbols, bool hasMutableGlobals) {
  Value dst = copy.getTarget();
  // The temporary: one operand of one call, then copied; nothing else.
  OpOperand *outParam = scan::getSoleWriteOfCopiedTemporary(copy);
  if (!outParam || copy.getSource().getType() != dst.getType())
    return false;
  auto call = dyn_cast<func::CallOp>(outParam->getOwner());
  if (!call)
    return false;
  for (Operation *op = call->getNextNode(); op != copy; op = op->getNextNode())
    if (!isMemoryEffectFree(op) || op->getNumRegions() != 0)
      return false;
  if (!dominance.properlyDominates(dst, call))
    return false;
  // The destination's buffer: seen by the callee through no other operand.
  Value root = scan::getRootBuffer(dst);
  bool isArgument = scan::isFunctionArgument(root);
  if (!scan::isLocalAllocation(root) && !isArgument)
    return false;
  if (isArgument && hasMutableGlobals)
    return false;
  for (OpOperand &operand : call->getOpOperands()) {
    if (&operand == outParam || !isa<MemRefType>(operand.get().getType()))
      continue;
    Value other = scan::getRootBuffer(operand.get());
    if (other == root ||
        !(scan::isLocalAllocation(other) || scan::isFunctionArgument(other) ||
          isConstantGlobal(other, symbols)))
      return false;
  }
  auto alloc = copy.getSource().getDefiningOp<memref::AllocOp>();
  outParam->set(dst);
  copy.erase();
  alloc.erase();
  return true;
}

struct ForwardCallResultsPass final
    : scan::impl::ForwardCallResultsPassBase<ForwardCallResultsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool hasMutableGlobals = false;
    module.walk([&](memref::GlobalOp global) {
      if (!global.getConstant())
        hasMutableGlobals = true;
    });
    SymbolTableCollection symbols;
    for (auto func : module.getOps<func::FuncOp>()) {
      SmallVector<memref::CopyOp> copies;
      func.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
      DominanceInfo dominance(func);
      for (memref::CopyOp copy : copies)
        if (forward(copy, dominance, symbols, hasMutableGlobals))
          ++numForwarded;
    }
  }
};

} // namespace
