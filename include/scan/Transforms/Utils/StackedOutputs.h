//===- StackedOutputs.h - values that are stacked scan outputs --*- C++ -*-===//
//
// After a scan, its stacked outputs (T x S_0 x ...) are often read collapsed,
// the steps merged into the first dimension of a step ((T*S_0) x ...), as the
// rows of one GEMM over all steps. This header recognises such values, so a
// rewrite after the loop can refer to what the body yields for them.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_STACKEDOUTPUTS_H
#define SCAN_TRANSFORMS_STACKEDOUTPUTS_H

#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <optional>

namespace mlir::scan {

/// Values that are all stacked outputs of one scan, each either as is or
/// collapsed with `[[0, 1], [2], ...]` (all the same way), together with the
/// dimension of one step that a dimension of those values maps to.
struct StackedOutputs {
  ScanOp scan;
  /// Output index (not result index) of each value.
  SmallVector<unsigned> outputs;
  /// The collapse applied to every value, if any.
  std::optional<SmallVector<ReassociationIndices>> collapse;
  /// The step dimension matching the `dim` given to matchStackedOutputs.
  int64_t stepDim = 0;

  /// What the body yields, per step, for each value.
  SmallVector<Value> yieldedValues() const;
};

/// Matches `values` as stacked outputs of one scan whose dimension `dim`
/// (which must not be or contain the steps) corresponds to a step
/// dimension. Fails for anything else, and for scans without a yield.
std::optional<StackedOutputs> matchStackedOutputs(ValueRange values,
                                                  int64_t dim);

} // namespace mlir::scan

#endif // SCAN_TRANSFORMS_STACKEDOUTPUTS_H
