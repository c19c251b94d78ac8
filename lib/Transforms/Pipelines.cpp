//===- Pipelines.cpp - named pipelines of scan transformations --*- C++ -*-===//
//
// Registers the pipelines assembled from the transformation passes.
//
//===----------------------------------------------------------------------===//

#include "scan/Transforms/Passes.h"

void mlir::scan::registerScanTransformPipelines() {}
