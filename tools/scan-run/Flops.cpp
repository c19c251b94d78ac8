//===- Flops.cpp - floating-point operation counts from tensor IR ---------===//
//
// The counting rule is documented in Flops.h.
//
//===----------------------------------------------------------------------===//

#include "Flops.h"

#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CastInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>

using namespace mlir;

namespace {
class FlopCounter {
public:
  double countFunc(func::FuncOp fn) {
    auto it = cache.find(fn);
    if (it != cache.end())
      return it->second;
    if (!active.insert(fn).second || fn.isExternal())
      return 0;
    double n = countRegion(fn.getBody());
    active.erase(fn);
    cache[fn] = n;
    return n;
  }

private:
  /// Whether `op` is arithmetic that counts (not a constant, cast or index
  /// computation).
  static bool isArithmetic(Operation *op) {
    Dialect *d = op->getDialect();
    if (!d || !(isa<arith::ArithDialect>(d) || isa<math::MathDialect>(d)))
      return false;
    if (isa<arith::ConstantOp, CastOpInterface>(op) || op->getNumResults() != 1)
      return false;
    return !getElementTypeOrSelf(op->getResult(0).getType()).isIndex();
  }

  static double payloadOps(linalg::LinalgOp op) {
    double n = 0;
    op->getRegion(0).walk([&](Operation *inner) {
      if (isArithmetic(inner))
        n += 1;
    });
    return n;
  }

  double countRegion(Region &region) {
    double n = 0;
    for (Block &block : region)
      for (Operation &op : block)
        n += countOp(&op);
    return n;
  }

  double countOp(Operation *op) {
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
      if (op->getNumRegions() == 0)
        return 0;
      double space = 1;
      for (int64_t r : linalgOp.getStaticLoopRanges())
        space *= ShapedType::isDynamic(r) ? 1 : r;
      return space * payloadOps(linalgOp);
    }
    if (isArithmetic(op)) {
      if (auto shaped = dyn_cast<ShapedType>(op->getResult(0).getType()))
        return shaped.hasStaticShape() ? shaped.getNumElements() : 1;
      return 1;
    }
    if (auto call = dyn_cast<func::CallOp>(op)) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          op, call.getCalleeAttr());
      return callee ? countFunc(callee) : 0;
    }
    if (auto scanOp = dyn_cast<scan::ScanOp>(op)) {
      double trips = static_cast<double>(scanOp.getTripCount().value_or(1));
      return trips * countRegion(op->getRegion(0));
    }
    if (auto forOp = dyn_cast<scf::ForOp>(op)) {
      double trips = 1;
      if (auto t = forOp.getStaticTripCount())
        trips = static_cast<double>(t->getZExtValue());
      return trips * countRegion(forOp.getRegion());
    }
    if (auto ifOp = dyn_cast<scf::IfOp>(op))
      return std::max(countRegion(ifOp.getThenRegion()),
                      countRegion(ifOp.getElseRegion()));
    double n = 0;
    for (Region &r : op->getRegions())
      n += countRegion(r);
    return n;
  }

  llvm::DenseMap<Operation *, double> cache;
  llvm::DenseSet<Operation *> active;
};
} // namespace

double scanrun::countFlops(func::FuncOp fn) {
  FlopCounter counter;
  return counter.countFunc(fn);
}
