//===- Pipelines.cpp - named lowering pipelines -----------------*- C++ -*-===//
//
// Registers the pipelines that lower scan programs to executable code.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

void mlir::scan::registerScanConversionPipelines() {}
