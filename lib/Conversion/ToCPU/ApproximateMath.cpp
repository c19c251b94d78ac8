//===- ApproximateMath.cpp - polynomial f32 math ----------------*- C++ -*-===//
//
// Replaces f32 transcendental math ops by arithmetic-only approximations so
// that elementwise loops contain no library calls and vectorise.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "scan-approximate-math"

namespace mlir::scan {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

struct ApproximateMathPass final
    : scan::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
