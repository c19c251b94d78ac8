//===- InitAll.cpp - register everything scan-mlir provides ------*- C++ -*-===//
//
// Implements the registration entry points of InitAll.h.
//
//===----------------------------------------------------------------------===//

#include "scan/InitAll.h"

#include "scan/Conversion/Passes.h"
#include "scan/Dialect/Scan/IR/ScanDialect.h"
#include "scan/Transforms/Passes.h"

void mlir::scan::registerAllScanDialects(DialectRegistry &registry) {
  registry.insert<ScanDialect>();
  registerLowerToCUDADependencies(registry);
}

void mlir::scan::registerAllScanPasses() {
  registerScanPasses();
  registerScanConversionPasses();
  registerLowerToCPUPipeline();
  registerLowerToCUDAPipeline();
}
