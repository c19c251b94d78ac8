//===- InitAll.h - register everything scan-mlir provides -------*- C++ -*-===//
//
// One place that registers the scan dialect, its passes and its pipelines,
// used by both scan-opt and scan-run so the two tools always agree.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_INITALL_H
#define SCAN_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir::scan {

/// Adds the scan dialect to `registry`.
void registerAllScanDialects(DialectRegistry &registry);

/// Registers the scan passes and named pipelines with the global registry.
void registerAllScanPasses();

} // namespace mlir::scan

#endif // SCAN_INITALL_H
