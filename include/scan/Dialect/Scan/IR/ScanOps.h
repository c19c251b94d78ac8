//===- ScanOps.h - scan dialect operations ----------------------*- C++ -*-===//
//
// Declares scan.scan, scan.yield and scan.grad (generated from ScanOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_DIALECT_SCAN_IR_SCANOPS_H
#define SCAN_DIALECT_SCAN_IR_SCANOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "scan/Dialect/Scan/IR/ScanDialect.h"

namespace mlir::scan {
class YieldOp;
} // namespace mlir::scan

#define GET_OP_CLASSES
#include "scan/Dialect/Scan/IR/ScanOps.h.inc"

#endif // SCAN_DIALECT_SCAN_IR_SCANOPS_H
