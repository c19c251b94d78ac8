//===- MapParallelLoopsToGPU.cpp - host loops to blocks/threads -*- C++ -*-===//
//
// Tiles the parallel loops of host functions into a grid of thread blocks and
// wraps every other host loop nest that touches memory into a one-thread
// kernel, ready for convert-parallel-loops-to-gpu.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "HostCode.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::scan {
#define GEN_PASS_DEF_MAPPARALLELLOOPSTOGPUPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Static trip count of dimension `i` of `loop`, if known.
std::optional<int64_t> staticTripCount(scf::ParallelOp loop, unsigned i) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[i]);
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[i]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[i]);
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return llvm::divideCeil(std::max<int64_t>(*ub - *lb, 0), *step);
}

/// Tile sizes giving about `blockSize` threads per block: the innermost
/// dimension first (coalesced accesses), the next one with what is left.
SmallVector<int64_t> chooseTileSizes(scf::ParallelOp loop, int64_t blockSize) {
  unsigned n = loop.getNumLoops();
  SmallVector<int64_t> tiles(n, 1);
  int64_t left = blockSize;
  for (unsigned k = 0; k < std::min(n, 2u) && left > 1; ++k) {
    unsigned dim = n - 1 - k;
    int64_t tile = left;
    if (std::optional<int64_t> trip = staticTripCount(loop, dim))
      tile = std::clamp<int64_t>(llvm::PowerOf2Ceil(*trip), 1, left);
    tiles[dim] = tile;
    left /= tile;
  }
  return tiles;
}

/// CUDA's limit on the grid's y and z dimensions (x allows 2^31 - 1).
constexpr int64_t kMaxGridYZ = 65535;

/// Maps dimension i of `loop` (counted from the innermost) to `processors[i]`
/// and every dimension beyond those to sequential execution. For the grid
/// loop of a tiled nest, `blockCounts` (per dimension, when known) keeps a
/// y or z dimension whose static block count exceeds what a grid holds as a
/// loop inside the kernel. (Dynamic counts are checked when the kernel is
/// launched: mgpuLaunchKernel.)
void mapLoop(scf::ParallelOp loop, ArrayRef<gpu::Processor> processors,
             ArrayRef<std::optional<int64_t>> blockCounts = {}) {
  MLIRContext *ctx = loop.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  unsigned n = loop.getNumLoops();
  SmallVector<gpu::ParallelLoopDimMappingAttr> mapping;
  for (unsigned dim = 0; dim < n; ++dim) {
    unsigned fromInnermost = n - 1 - dim;
    gpu::Processor p = fromInnermost < processors.size()
                           ? processors[fromInnermost]
                           : gpu::Processor::Sequential;
    bool yOrZ = p == gpu::Processor::BlockY || p == gpu::Processor::BlockZ;
    if (yOrZ && dim < blockCounts.size() && blockCounts[dim] &&
        *blockCounts[dim] > kMaxGridYZ)
      p = gpu::Processor::Sequential;
    mapping.push_back(gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id));
  }
  (void)gpu::setMappingAttr(loop, mapping);
}

/// Whether `op` is, or contains, host work that must stay on the host: calls,
/// GPU operations, or loops already mapped to the GPU.
bool containsHostControl(Operation *op) {
  bool found = false;
  op->walk([&](Operation *nested) {
    if (isa<func::CallOp>(nested) ||
        isa<gpu::GPUDialect>(nested->getDialect()) ||
        nested->hasAttr(gpu::getMappingAttrName())) {
      found = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

/// Whether `op` or an op nested in it reads or writes a device buffer.
bool touchesDeviceMemory(Operation *op) {
  bool found = false;
  op->walk([&](Operation *nested) {
    Value buffer;
    if (auto load = dyn_cast<memref::LoadOp>(nested))
      buffer = load.getMemref();
    else if (auto store = dyn_cast<memref::StoreOp>(nested))
      buffer = store.getMemref();
    if ((buffer && !scan::isHostBuffer(buffer)) ||
        isa<memref::CopyOp, linalg::LinalgOp>(nested)) {
      found = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

/// Whether the iterations of `loop` write disjoint locations that none of
/// them reads elsewhere: every store's indices are exactly the parallel
/// induction variables (each once, all of them), and every load of a buffer
/// stored to in the body uses the same indices. Then running all of one
/// iteration's instances of an enclosing sequential loop before the next
/// iteration's (an interchange) keeps every dependence.
bool iterationsOwnTheirStores(scf::ParallelOp loop) {
  ValueRange ivs = loop.getInductionVars();
  llvm::DenseMap<Value, SmallVector<Value>> storedAt;
  bool ok = true;
  loop.getBody()->walk([&](Operation *op) {
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      SmallVector<Value> indices(store.getIndices());
      llvm::SmallPtrSet<Value, 4> distinct(indices.begin(), indices.end());
      if (indices.size() != ivs.size() || distinct.size() != ivs.size() ||
          !llvm::all_of(indices, [&](Value v) {
            return llvm::is_contained(ivs, v);
          })) {
        ok = false;
        return WalkResult::interrupt();
      }
      auto [it, inserted] = storedAt.try_emplace(store.getMemref(), indices);
      if (!inserted && it->second != indices)
        ok = false;
      return WalkResult::advance();
    }
    if (isa<memref::LoadOp, scf::IfOp, scf::YieldOp, scf::ReduceOp>(op) ||
        isMemoryEffectFree(op))
      return WalkResult::advance();
    ok = false; // calls, copies, nested loops with effects: not analysed
    return WalkResult::interrupt();
  });
  if (!ok)
    return false;
  loop.getBody()->walk([&](memref::LoadOp load) {
    auto it = storedAt.find(load.getMemref());
    if (it != storedAt.end() &&
        SmallVector<Value>(load.getIndices()) != it->second)
      ok = false;
  });
  return ok;
}

/// `scf.for { scf.parallel {...} }` with nothing else in the sequential
/// loop, as a reduction over an outer dimension lowers to (a bias gradient,
/// [T*B, D] -> [D]), would launch one kernel per sequential iteration.
/// Interchanged to `scf.parallel { scf.for {...} }`, it is one launch in
/// which each thread runs the sequential loop. Returns whether it changed.
bool interchangeSequentialAroundParallel(scf::ForOp forOp) {
  Block *body = forOp.getBody();
  if (forOp.getNumResults() != 0 || body->getOperations().size() != 2)
    return false;
  auto inner = dyn_cast<scf::ParallelOp>(body->front());
  if (!inner || inner.getNumResults() != 0 ||
      !llvm::all_of(inner->getOperands(), [&](Value v) {
        return forOp.isDefinedOutsideOfLoop(v);
      }) ||
      !iterationsOwnTheirStores(inner))
    return false;
  OpBuilder b(forOp);
  Location loc = forOp.getLoc();
  auto outer = scf::ParallelOp::create(
      b, loc, inner.getLowerBound(), inner.getUpperBound(), inner.getStep(),
      [&](OpBuilder &pb, Location ploc, ValueRange ivs) {
        scf::ForOp::create(
            pb, ploc, forOp.getLowerBound(), forOp.getUpperBound(),
            forOp.getStep(), ValueRange{},
            [&](OpBuilder &fb, Location floc, Value iv, ValueRange) {
              IRMapping map;
              map.map(forOp.getInductionVar(), iv);
              map.map(inner.getInductionVars(), ivs);
              for (Operation &op : inner.getBody()->without_terminator())
                fb.clone(op, map);
              scf::YieldOp::create(fb, floc);
            });
      });
  (void)outer;
  forOp.erase();
  return true;
}

struct MapParallelLoopsToGPUPass final
    : scan::impl::MapParallelLoopsToGPUPassBase<MapParallelLoopsToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 1) {
      getOperation().emitError("block-size must be positive");
      return signalPassFailure();
    }
    if (scan::isBookkeepingFunction(getOperation()))
      return;
    // 0. Sequential loops around a parallel one become sequential loops
    //    inside it (innermost first, so nests of them move out one by one).
    for (bool changed = true; changed;) {
      changed = false;
      SmallVector<scf::ForOp> fors;
      getOperation().walk([&](scf::ForOp f) { fors.push_back(f); });
      for (scf::ForOp f : fors)
        if (interchangeSequentialAroundParallel(f)) {
          ++numInterchanged;
          changed = true;
          break;
        }
    }
    // 1. Outermost parallel loops without reductions go to blocks x threads.
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        if (loop.getNumResults() == 0)
          outermost.push_back(loop);
        return WalkResult::skip();
      }
      return WalkResult::advance();
    });
    for (scf::ParallelOp loop : outermost) {
      SmallVector<int64_t> tiles = chooseTileSizes(loop, blockSize);
      SmallVector<std::optional<int64_t>> blockCounts;
      for (auto [dim, tile] : llvm::enumerate(tiles)) {
        std::optional<int64_t> trip = staticTripCount(loop, dim);
        blockCounts.push_back(trip ? std::optional<int64_t>(
                                         llvm::divideCeil(*trip, tile))
                                   : std::nullopt);
      }
      auto [outer, inner] =
          scf::tileParallelLoop(loop, tiles, /*noMinMaxBounds=*/true);
      mapLoop(outer,
              {gpu::Processor::BlockX, gpu::Processor::BlockY,
               gpu::Processor::BlockZ},
              blockCounts);
      mapLoop(inner, {gpu::Processor::ThreadX, gpu::Processor::ThreadY,
                      gpu::Processor::ThreadZ});
      ++numMapped;
    }

    // 2. Any other host loop nest touching memory runs as one GPU thread.
    SmallVector<Operation *> serial;
    std::function<void(Region &)> collect = [&](Region &region) {
      for (Block &block : region)
        for (Operation &op : block) {
          if (op.getNumRegions() == 0 || isa<gpu::LaunchOp>(op) ||
              op.hasAttr(gpu::getMappingAttrName()))
            continue;
          if (containsHostControl(&op)) {
            for (Region &nested : op.getRegions())
              collect(nested);
            continue;
          }
          if (touchesDeviceMemory(&op))
            serial.push_back(&op);
        }
    };
    collect(getOperation().getBody());
    for (Operation *op : serial) {
      if (op->getNumResults() != 0) {
        op->emitError("a host loop that reads device memory and returns "
                      "values cannot run on the GPU");
        return signalPassFailure();
      }
      OpBuilder b(op);
      Value one = arith::ConstantIndexOp::create(b, op->getLoc(), 1);
      auto launch =
          gpu::LaunchOp::create(b, op->getLoc(), one, one, one, one, one, one);
      Block &body = launch.getBody().front();
      b.setInsertionPointToEnd(&body);
      auto terminator = gpu::TerminatorOp::create(b, op->getLoc());
      op->moveBefore(terminator);
      ++numSerial;
    }
  }
};

} // namespace
