//===- Passes.h - scan conversion passes ------------------------*- C++ -*-===//
//
// Declarations generated from Passes.td, plus the lowering pipelines
// (ToCPU/CPUPipeline.h, ToCUDA/CUDAPipeline.h).
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_CONVERSION_PASSES_H
#define SCAN_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"
#include "scan/Conversion/ToCPU/CPUPipeline.h"
#include "scan/Conversion/ToCUDA/CUDAPipeline.h"

namespace mlir::scan {

#define GEN_PASS_DECL
#include "scan/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "scan/Conversion/Passes.h.inc"

} // namespace mlir::scan

#endif // SCAN_CONVERSION_PASSES_H
