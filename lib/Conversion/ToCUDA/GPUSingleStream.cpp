//===- GPUSingleStream.cpp - one stream per host function ------*- C++ -*-===//
//
// Makes the GPU operations of each host function asynchronous on a single
// token (the runtime's one stream), waits for it before returning, and turns
// the remaining scalar host accesses to device buffers into copies.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "HostCode.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::scan {
#define GEN_PASS_DEF_GPUSINGLESTREAMPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Whether a host scalar access to `type` can go through one copy.
bool isSingleElementBuffer(MemRefType type) {
  return type.hasStaticShape() && type.getNumElements() == 1 &&
         type.getLayout().isIdentity() && type.getMemorySpace() == nullptr;
}

/// Rebuilds `op` as the asynchronous form depending on `token`.
void makeAsync(Operation *op, Value token, OpBuilder &b) {
  cast<gpu::AsyncOpInterface>(op).addAsyncDependency(token);
  OperationState state(op->getLoc(), op->getName());
  state.addOperands(op->getOperands());
  state.addAttributes(op->getAttrs());
  state.addTypes(op->getResultTypes());
  state.addTypes(token.getType());
  b.setInsertionPoint(op);
  Operation *async = b.create(state);
  for (auto [from, to] : llvm::zip(op->getResults(), async->getResults()))
    from.replaceAllUsesWith(to);
  op->erase();
}

/// `%v = memref.load %src[]` of a device buffer whose only use is
/// `memref.store %v, %dst[]` into a device buffer of the same type, right
/// after it (nothing but side-effect-free ops between): a device-to-device
/// copy, with no host round trip and no wait (a scalar result written to its
/// out-parameter, for instance). Rewrites every such pair.
void forwardDeviceScalarCopies(func::FuncOp fn) {
  SmallVector<std::pair<memref::LoadOp, memref::StoreOp>> pairs;
  fn.walk([&](memref::LoadOp load) {
    if (scan::isHostBuffer(load.getMemref()) || !load->hasOneUse())
      return;
    auto store = dyn_cast<memref::StoreOp>(*load->user_begin());
    if (!store || store.getValueToStore() != load.getResult() ||
        store->getBlock() != load->getBlock() ||
        scan::isHostBuffer(store.getMemref()) ||
        store.getMemref().getType() != load.getMemref().getType() ||
        !isSingleElementBuffer(cast<MemRefType>(load.getMemref().getType())))
      return;
    for (Operation *op = load->getNextNode(); op != store;
         op = op->getNextNode())
      if (!isMemoryEffectFree(op))
        return;
    pairs.push_back({load, store});
  });
  for (auto [load, store] : pairs) {
    OpBuilder b(store);
    gpu::MemcpyOp::create(b, store.getLoc(), Type(), ValueRange{},
                          store.getMemref(), load.getMemref());
    store.erase();
    load.erase();
  }
}

struct GPUSingleStreamPass final
    : scan::impl::GPUSingleStreamPassBase<GPUSingleStreamPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal() || scan::isBookkeepingFunction(fn))
      return;
    forwardDeviceScalarCopies(fn);
    SmallVector<Operation *> gpuOps, hostAccesses;
    fn.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (isa<gpu::AllocOp, gpu::DeallocOp, gpu::MemcpyOp, gpu::MemsetOp,
              gpu::LaunchFuncOp>(op)) {
        if (!cast<gpu::AsyncOpInterface>(op).getAsyncToken())
          gpuOps.push_back(op);
      } else if (auto load = dyn_cast<memref::LoadOp>(op)) {
        if (!scan::isHostBuffer(load.getMemref()))
          hostAccesses.push_back(op);
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        if (!scan::isHostBuffer(store.getMemref()))
          hostAccesses.push_back(op);
      }
      return WalkResult::advance();
    });
    if (gpuOps.empty() && hostAccesses.empty())
      return;

    OpBuilder b(fn.getContext());
    Location loc = fn.getLoc();
    Block &entry = fn.getBody().front();
    b.setInsertionPointToStart(&entry);
    Type tokenType = gpu::AsyncTokenType::get(fn.getContext());
    Value stream =
        gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
    Operation *entryInsertionPoint = stream.getDefiningOp();

    for (Operation *op : gpuOps)
      makeAsync(op, stream, b);

    for (Operation *op : hostAccesses) {
      Value memref = isa<memref::LoadOp>(op)
                         ? cast<memref::LoadOp>(op).getMemRef()
                         : cast<memref::StoreOp>(op).getMemRef();
      auto type = cast<MemRefType>(memref.getType());
      if (!isSingleElementBuffer(type)) {
        op->emitError("host code accesses a device buffer of type ")
            << type << "; only single-element buffers can be copied";
        return signalPassFailure();
      }
      // One host stack slot per access, allocated once at entry.
      b.setInsertionPointAfter(entryInsertionPoint);
      Value slot = memref::AllocaOp::create(b, op->getLoc(), type);
      b.setInsertionPoint(op);
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        gpu::MemcpyOp::create(b, op->getLoc(), tokenType, ValueRange{stream},
                              slot, memref);
        // Waiting keeps the stream alive: see the pass description.
        gpu::WaitOp::create(b, op->getLoc(), Type(), ValueRange{stream});
        load.getMemrefMutable().assign(slot);
      } else {
        auto store = cast<memref::StoreOp>(op);
        store.getMemrefMutable().assign(slot);
        b.setInsertionPointAfter(store);
        // A copy from pageable host memory is staged before the call
        // returns, so the slot may be reused right away.
        gpu::MemcpyOp::create(b, op->getLoc(), tokenType, ValueRange{stream},
                              memref, slot);
      }
    }

    fn.walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      gpu::WaitOp::create(b, ret.getLoc(), Type(), ValueRange{stream});
    });
  }
};

} // namespace
