//===- StackedOutputs.cpp - values that are stacked scan outputs ----------===//

#include "scan/Transforms/Utils/StackedOutputs.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::scan;

/// True for `[[0, 1], [2], [3], ...]`: the steps merged into the first
/// dimension of a step, every other dimension kept.
static bool mergesStepsIntoFirstDim(ArrayRef<ReassociationIndices> groups) {
  if (groups.empty() || groups[0] != ReassociationIndices{0, 1})
    return false;
  for (auto [i, group] : llvm::enumerate(groups.drop_front()))
    if (group != ReassociationIndices{static_cast<int64_t>(i) + 2})
      return false;
  return true;
}

SmallVector<Value> StackedOutputs::yieldedValues() const {
  SmallVector<Value> values;
  ScanOp op = scan;
  ValueRange yielded = op.getYieldOp().getValues();
  for (unsigned output : outputs)
    values.push_back(yielded[op.getNumCarries() + output]);
  return values;
}

std::optional<StackedOutputs> mlir::scan::matchStackedOutputs(ValueRange values,
                                                              int64_t dim) {
  if (values.empty() || dim < 1)
    return std::nullopt;
  StackedOutputs m;
  for (auto [i, value] : llvm::enumerate(values)) {
    Value stacked = value;
    std::optional<SmallVector<ReassociationIndices>> groups;
    if (auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>()) {
      groups = collapse.getReassociationIndices();
      if (!mergesStepsIntoFirstDim(*groups))
        return std::nullopt;
      stacked = collapse.getSrc();
    }
    auto result = dyn_cast<OpResult>(stacked);
    auto scan = stacked.getDefiningOp<ScanOp>();
    if (!scan || (i > 0 && (scan != m.scan || groups != m.collapse)) ||
        result.getResultNumber() < scan.getNumCarries())
      return std::nullopt;
    m.scan = scan;
    m.collapse = groups;
    m.outputs.push_back(result.getResultNumber() - scan.getNumCarries());
  }
  if (!m.scan.getYieldOp())
    return std::nullopt;
  // Collapsed, dimension d >= 1 is step dimension d; stacked, it is d - 1.
  m.stepDim = m.collapse ? dim : dim - 1;
  return m;
}
