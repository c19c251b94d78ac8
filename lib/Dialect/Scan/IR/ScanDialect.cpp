//===- ScanDialect.cpp - scan dialect ---------------------------*- C++ -*-===//
//
// Registers the scan operations and makes them inlinable, so upstream
// `--inline` can inline functions that contain scans.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanDialect.h"
#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace mlir::scan;

#include "scan/Dialect/Scan/IR/ScanOpsDialect.cpp.inc"

namespace {
/// Scan operations have no semantics tied to their enclosing function, so
/// they may be inlined anywhere (scan.yield is never the terminator that the
/// inliner replaces, since it only ends scan.scan bodies).
struct ScanInlinerInterface final : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void ScanDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "scan/Dialect/Scan/IR/ScanOps.cpp.inc"
      >();
  addInterfaces<ScanInlinerInterface>();
}
