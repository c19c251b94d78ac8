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

#include "llvm/ADT/BitVector.h"

namespace mlir::scan {
class ScanOp;
class YieldOp;

/// What `ScanOp::rebuild` changes of a scan: the carries, sequences and
/// outputs it keeps (all, to start with), and what it gains.
struct ScanRebuild {
  explicit ScanRebuild(ScanOp op);

  llvm::BitVector keepCarry, keepSequence, keepOutput;
  /// Per carry: what replaces its block argument in the body when the carry
  /// is dropped (null when the argument is unused).
  SmallVector<Value> carryArgReplacement;
  /// Values available at the end of the body, stacked as trailing outputs.
  SmallVector<Value> newOutputs;
  /// Sequences read as trailing sequences; their slices become trailing
  /// block arguments.
  SmallVector<Value> newSequences;

  bool dropsAnything() const {
    return !keepCarry.all() || !keepSequence.all() || !keepOutput.all();
  }
};
} // namespace mlir::scan

#define GET_OP_CLASSES
#include "scan/Dialect/Scan/IR/ScanOps.h.inc"

#endif // SCAN_DIALECT_SCAN_IR_SCANOPS_H
