//===- ScanToSCF.h - lower scan.scan to scf.for -----------------*- C++ -*-===//
//
// Patterns that turn scan.scan into an scf.for loop over tensors.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_CONVERSION_SCANTOSCF_SCANTOSCF_H
#define SCAN_CONVERSION_SCANTOSCF_SCANTOSCF_H

namespace mlir {
class ConversionTarget;
class RewritePatternSet;

namespace scan {

/// Adds the pattern that rewrites scan.scan (and its scan.yield) into an
/// scf.for over tensors: sequences are read with rank-reducing
/// tensor.extract_slice and per-step outputs written with tensor.insert_slice
/// into stacked tensors carried as loop iter_args.
void populateScanToSCFConversionPatterns(RewritePatternSet &patterns);

/// Marks scan.scan, scan.yield and scan.grad illegal and every other op legal.
void configureScanToSCFConversionTarget(ConversionTarget &target);

} // namespace scan
} // namespace mlir

#endif // SCAN_CONVERSION_SCANTOSCF_SCANTOSCF_H
