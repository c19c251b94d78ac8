//===- Passes.h - scan transformation passes --------------------*- C++ -*-===//
//
// Declarations generated from Passes.td, plus the scan-optimize pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_PASSES_H
#define SCAN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::scan {

#define GEN_PASS_DECL
#include "scan/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "scan/Transforms/Passes.h.inc"

/// Adds one round of the scan-optimize pipeline to `pm` (a module pass
/// manager): transposes folded into matmuls, clean-up, recomputation
/// elimination, hoisting, merging, clean-up. The scan-optimize pass repeats it to a fixed point.
void buildScanOptimizeRound(OpPassManager &pm);

} // namespace mlir::scan

#endif // SCAN_TRANSFORMS_PASSES_H
