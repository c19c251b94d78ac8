//===- Passes.h - scan transformation passes --------------------*- C++ -*-===//
//
// Declarations generated from Passes.td, plus the scan-optimize pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_PASSES_H
#define SCAN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <string>

namespace mlir::scan {

#define GEN_PASS_DECL
#include "scan/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "scan/Transforms/Passes.h.inc"

/// Adds one round of the scan-optimize pipeline to `pm` (a module pass
/// manager): transposes folded into matmuls, clean-up, recomputation
/// elimination, hoisting, merging, clean-up. The scan-optimize pass repeats it to a fixed point.
void buildScanOptimizeRound(OpPassManager &pm);

/// Calls `runRound` (one round of buildScanOptimizeRound on `op`) until a
/// round leaves `op` unchanged or `maxRounds` rounds have run; returns the
/// rounds run, or failure when a round failed. scan-optimize and the
/// checkpoint cost model both run scan-optimize this way.
FailureOr<unsigned> runScanOptimizeRounds(Operation *op, unsigned maxRounds,
                                          function_ref<LogicalResult()> runRound);

/// Marks the scans over checkpointed segments that scan-checkpoint-gradients
/// creates: hoisting a per-segment product out of them would store every
/// step again, so the hoisting passes leave them alone.
inline constexpr llvm::StringLiteral kCheckpointSegmentsAttrName =
    "scan.checkpoint_segments";

/// What scan-checkpoint-gradients chose for one function.
struct CheckpointSchedule {
  std::string function;
  /// Segments x steps per level, e.g. "1 x 3 + 4 x 10 steps (1 level)".
  std::string schedule;
  double predictedMiB = 0;
  double unboundedMiB = 0;
  double recomputedGflop = 0;
  /// "predicted P MiB per call (unbounded U MiB), +G matmul GFLOP
  /// recomputed", as the remark and the report print it.
  std::string cost() const;
};

/// Runs scan-checkpoint-gradients on `module` with `options`, appending the
/// schedule of every rewritten function to `schedules` when given. Fails
/// (after one error per function) where no schedule fits the budget.
LogicalResult
checkpointGradients(ModuleOp module,
                    const CheckpointGradientsPassOptions &options,
                    SmallVectorImpl<CheckpointSchedule> *schedules);

} // namespace mlir::scan

#endif // SCAN_TRANSFORMS_PASSES_H
