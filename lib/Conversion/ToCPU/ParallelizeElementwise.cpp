//===- ParallelizeElementwise.cpp - elementwise ops in parallel -*- C++ -*-===//
//
// Tiles large all-parallel linalg ops on buffers over their leading loops and
// runs the tiles in an omp.parallel region, each thread a contiguous share.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>

#define DEBUG_TYPE "scan-parallelize-elementwise"

namespace mlir::scan {
#define GEN_PASS_DEF_PARALLELIZEELEMENTWISEPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Parallel iterations wanted over the leading loops of an op of rank >= 2
/// (enough to split evenly between a few threads).
constexpr int64_t kMinParallelIterations = 32;
/// Tiles an op with too few rows is cut into, and the multiple of
/// innermost iterations a tile is rounded up to (a whole number of vectors).
constexpr int64_t kRankOneTiles = 64;
constexpr int64_t kRankOneTileMultiple = 16;

/// Whether `op` already runs inside a parallel loop or region.
bool insideParallel(Operation *op) {
  return op->getParentOfType<scf::ParallelOp>() ||
         op->getParentOfType<omp::ParallelOp>();
}

/// The static loop ranges of `op` when it qualifies (buffers, only parallel
/// loops, static, not already in a parallel loop), else an empty vector.
SmallVector<int64_t> qualifyingRanges(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
      op.getNumParallelLoops() != op.getNumLoops() || insideParallel(op))
    return {};
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return {};
  return ranges;
}

/// Tile sizes for `ranges` (see the pass description).
SmallVector<int64_t> tileSizesFor(ArrayRef<int64_t> ranges) {
  SmallVector<int64_t> sizes(ranges.size(), 0);
  int64_t leading = 1;
  for (int64_t r : ranges.drop_back())
    leading *= r;
  if (leading < kMinParallelIterations) {
    // Too few rows: every leading loop by 1 and the innermost in chunks,
    // about kRankOneTiles tiles in all.
    for (size_t d = 0; d + 1 < ranges.size(); ++d)
      sizes[d] = 1;
    int64_t chunk = llvm::divideCeil(ranges.back() * leading, kRankOneTiles);
    sizes.back() = std::min(llvm::alignTo(chunk, kRankOneTileMultiple),
                            static_cast<uint64_t>(ranges.back()));
    return sizes;
  }
  int64_t iterations = 1;
  for (size_t d = 0; d + 1 < ranges.size(); ++d) {
    sizes[d] = 1;
    iterations *= ranges[d];
    if (iterations >= kMinParallelIterations)
      break;
  }
  return sizes;
}

/// `name`: () -> i32 from libomp, declared in `module` unless it is.
func::FuncOp getOrDeclare(ModuleOp module, StringRef name,
                          RewriterBase &rewriter) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  auto fn = func::FuncOp::create(
      rewriter, module.getLoc(), name,
      rewriter.getFunctionType({}, {rewriter.getI32Type()}));
  fn.setPrivate();
  return fn;
}

/// Replaces `loop` (constant bounds and steps, no reductions: a tiled op)
/// by an omp.parallel region in which thread t of n runs iterations
/// [N t / n, N (t + 1) / n) of the loop's N, linearised row-major, in an
/// scf.for. Unlike an omp.wsloop (convert-scf-to-openmp), this asks libomp
/// for no schedule and adds no barrier besides the region's own join: one
/// fork-join per op.
LogicalResult distributeOverThreads(RewriterBase &rewriter,
                                    scf::ParallelOp loop,
                                    func::FuncOp threadNum,
                                    func::FuncOp numThreads) {
  SmallVector<int64_t> lowers, steps, trips;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                       loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb);
    std::optional<int64_t> u = getConstantIntValue(ub);
    std::optional<int64_t> s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0 || *u <= *l)
      return failure();
    lowers.push_back(*l);
    steps.push_back(*s);
    trips.push_back(llvm::divideCeil(*u - *l, *s));
  }
  if (loop.getNumReductions() != 0)
    return failure();
  int64_t total = 1;
  for (int64_t t : trips)
    total *= t;

  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  auto parallel = omp::ParallelOp::create(rewriter, loc);
  rewriter.createBlock(&parallel.getRegion());
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  auto callIndex = [&](func::FuncOp fn) -> Value {
    Value v = func::CallOp::create(rewriter, loc, fn, ValueRange{})
                  .getResult(0);
    return arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                      v);
  };
  Value thread = callIndex(threadNum);
  Value threads = callIndex(numThreads);
  Value count = index(total);
  Value one = index(1);
  Value begin = arith::DivUIOp::create(
      rewriter, loc, arith::MulIOp::create(rewriter, loc, count, thread),
      threads);
  Value end = arith::DivUIOp::create(
      rewriter, loc,
      arith::MulIOp::create(
          rewriter, loc, count,
          arith::AddIOp::create(rewriter, loc, thread, one)),
      threads);
  auto forOp = scf::ForOp::create(rewriter, loc, begin, end, one);
  omp::TerminatorOp::create(rewriter, loc);

  // The loop's induction variables from the linear index.
  rewriter.setInsertionPointToStart(forOp.getBody());
  SmallVector<Value> ivs;
  int64_t stride = total;
  for (size_t d = 0; d < trips.size(); ++d) {
    Value position = forOp.getInductionVar();
    if (d > 0)
      position = arith::RemUIOp::create(rewriter, loc, position, index(stride));
    stride /= trips[d];
    if (stride > 1)
      position =
          arith::DivUIOp::create(rewriter, loc, position, index(stride));
    Value iv = position;
    if (steps[d] != 1)
      iv = arith::MulIOp::create(rewriter, loc, iv, index(steps[d]));
    if (lowers[d] != 0)
      iv = arith::AddIOp::create(rewriter, loc, iv, index(lowers[d]));
    ivs.push_back(iv);
  }
  Operation *yield = forOp.getBody()->getTerminator();
  rewriter.inlineBlockBefore(loop.getBody(), yield, ivs);
  // The scf.reduce that ended the parallel body.
  rewriter.eraseOp(yield->getPrevNode());
  rewriter.eraseOp(loop);
  return success();
}

struct ParallelizeElementwisePass final
    : scan::impl::ParallelizeElementwisePassBase<ParallelizeElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Large copies become linalg.copy, which qualifies like the rest.
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto type = dyn_cast<MemRefType>(copy.getSource().getType());
      if (type && type.hasStaticShape() &&
          type.getNumElements() >= minElements && !insideParallel(copy))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(
          copy, ValueRange{copy.getSource()}, ValueRange{copy.getTarget()});
    }

    SmallVector<std::pair<linalg::LinalgOp, SmallVector<int64_t>>> work;
    getOperation()->walk([&](linalg::LinalgOp op) {
      SmallVector<int64_t> ranges = qualifyingRanges(op);
      if (ranges.empty())
        return;
      int64_t iterations = 1;
      for (int64_t r : ranges)
        iterations *= r;
      if (iterations < minElements)
        return;
      work.emplace_back(op, tileSizesFor(ranges));
    });

    if (work.empty())
      return;
    ModuleOp module = getOperation();
    func::FuncOp threadNum =
        getOrDeclare(module, "omp_get_thread_num", rewriter);
    func::FuncOp numThreads =
        getOrDeclare(module, "omp_get_num_threads", rewriter);
    for (auto &[op, sizes] : work) {
      linalg::LinalgTilingOptions options;
      options.setTileSizes(sizes);
      options.setLoopType(linalg::LinalgTilingLoopType::ParallelLoops);
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::TiledLinalgOp> tiled =
          linalg::tileLinalgOp(rewriter, op, options);
      if (failed(tiled)) {
        op.emitRemark("left serial: it could not be tiled");
        continue;
      }
      rewriter.eraseOp(op);
      // One scf.parallel, listed once per tiled loop.
      auto loop = tiled->loops.empty()
                      ? scf::ParallelOp()
                      : dyn_cast<scf::ParallelOp>(tiled->loops.front());
      if (llvm::any_of(tiled->loops, [&](Operation *l) {
            return l != loop.getOperation();
          }))
        loop = scf::ParallelOp();
      if (!loop || failed(distributeOverThreads(rewriter, loop, threadNum,
                                                numThreads))) {
        // Tiled loops that stay are run serially by scf-to-cf.
        if (!tiled->loops.empty())
          tiled->loops.front()->emitRemark(
              "left serial: the tiled loop is not one scf.parallel with "
              "constant bounds");
        continue;
      }
      ++numParallelized;
    }
  }
};

} // namespace
