//===- Passes.td - scan conversion passes -------------------*- tablegen -*-===//
//
// Lowerings of the scan dialect: to scf, and on to CPU (BLAS) and CUDA code.
// Each conversion lives in lib/Conversion/<From>To<To>/.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_CONVERSION_PASSES_TD
#define SCAN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

#endif // SCAN_CONVERSION_PASSES_TD
