//===- GPUDeviceMemory.cpp - host-function buffers on the GPU ---*- C++ -*-===//
//
// After bufferization, turns the allocations, copies and constants of host
// functions into their GPU counterparts, so that every memref a host
// function handles is device memory (the CUDA target's convention).
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "HostCode.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::scan {
#define GEN_PASS_DEF_GPUDEVICEMEMORYPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Whether a buffer of `type` is one contiguous block in row-major order.
bool isContiguousIdentity(MemRefType type) {
  return type.getLayout().isIdentity() && type.getMemorySpace() == nullptr;
}

/// Frees `buffer` before the terminator of the block it is defined in, or
/// before every `func.return` when that block is the function's body.
void freeAtEndOfScope(OpBuilder &b, Value buffer) {
  Block *block = buffer.getParentBlock();
  Operation *terminator = block->getTerminator();
  b.setInsertionPoint(terminator);
  gpu::DeallocOp::create(b, buffer.getLoc(), Type(), ValueRange{}, buffer);
}

LogicalResult placeOnDevice(func::FuncOp fn) {
  SmallVector<Operation *> ops;
  fn.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<gpu::LaunchOp>(op))
      return WalkResult::skip();
    if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp,
            memref::GetGlobalOp, memref::AllocaOp>(op))
      ops.push_back(op);
    return WalkResult::advance();
  });

  OpBuilder b(fn.getContext());
  for (Operation *op : ops) {
    b.setInsertionPoint(op);
    Location loc = op->getLoc();
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      if (scan::isBookkeepingType(alloc.getType()))
        continue;
      auto dev = gpu::AllocOp::create(b, loc, alloc.getType(), Type(),
                                      ValueRange{}, alloc.getDynamicSizes(),
                                      alloc.getSymbolOperands());
      alloc.replaceAllUsesWith(dev.getMemref());
      alloc.erase();
    } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      if (scan::isHostBuffer(dealloc.getMemref()))
        continue;
      gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, dealloc.getMemref());
      dealloc.erase();
    } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      auto srcType = cast<MemRefType>(copy.getSource().getType());
      auto dstType = cast<MemRefType>(copy.getTarget().getType());
      if (isContiguousIdentity(srcType) && isContiguousIdentity(dstType) &&
          srcType.getShape() == dstType.getShape())
        gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, copy.getTarget(),
                              copy.getSource());
      else
        linalg::CopyOp::create(b, loc, copy.getSource(), copy.getTarget());
      copy.erase();
    } else if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
      // The constant stays in host memory; kernels read a device copy of it,
      // made where the constant was fetched and freed at the end of scope.
      auto type = global.getType();
      if (!isContiguousIdentity(type))
        return global.emitError("cannot copy a global with a non-identity "
                                "layout to the GPU");
      b.setInsertionPointAfter(global);
      auto dev = gpu::AllocOp::create(b, loc, type, Type(), ValueRange{},
                                      ValueRange{}, ValueRange{});
      global.getResult().replaceAllUsesExcept(dev.getMemref(), dev);
      b.setInsertionPointAfter(dev);
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, dev.getMemref(),
                            global.getResult());
      if (dev->getParentOp() == fn.getOperation()) {
        for (Block &block : fn.getBody())
          if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator())) {
            b.setInsertionPoint(ret);
            gpu::DeallocOp::create(b, loc, Type(), ValueRange{},
                                   dev.getMemref());
          }
      } else {
        freeAtEndOfScope(b, dev.getMemref());
      }
    } else if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
      if (scan::isBookkeepingType(alloca.getType()))
        continue;
      return alloca.emitError(
          "stack buffers in host code are not supported by the CUDA target: "
          "kernels cannot read host memory");
    }
  }
  return success();
}

struct GPUDeviceMemoryPass final
    : scan::impl::GPUDeviceMemoryPassBase<GPUDeviceMemoryPass> {
  using Base::Base;
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal() || scan::isBookkeepingFunction(fn))
        continue;
      if (failed(placeOnDevice(fn)))
        return signalPassFailure();
    }
  }
};

} // namespace
