//===- ScanDialect.h - scan dialect -----------------------------*- C++ -*-===//
//
// Declares the scan dialect class (generated from ScanDialect.td).
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_DIALECT_SCAN_IR_SCANDIALECT_H
#define SCAN_DIALECT_SCAN_IR_SCANDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "scan/Dialect/Scan/IR/ScanOpsDialect.h.inc"

#endif // SCAN_DIALECT_SCAN_IR_SCANDIALECT_H
