//===- MatmulToBLAS.h - linalg.matmul to BLAS runtime calls -----*- C++ -*-===//
//
// Patterns that turn linalg.matmul on memrefs into scanrt_sgemm/dgemm calls.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H
#define SCAN_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H

namespace mlir {
class RewritePatternSet;

namespace scan {

/// Adds the pattern rewriting linalg.matmul with buffer semantics into a call
/// of the ScanRuntime GEMM (declaring the runtime function in the enclosing
/// module when needed). Must be applied to a module.
void populateLinalgMatmulToBLASPatterns(RewritePatternSet &patterns);

} // namespace scan
} // namespace mlir

#endif // SCAN_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H
