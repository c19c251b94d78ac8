//===- Buffers.h - where a memref's memory comes from -----------*- C++ -*-===//
//
// The questions the buffer-level passes and lowerings ask about a memref
// before they move, drop or reuse a copy: which buffer it views, and whether
// that buffer is fresh memory of the function or one of its arguments.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_UTILS_BUFFERS_H
#define SCAN_TRANSFORMS_UTILS_BUFFERS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Value.h"

namespace mlir::scan {

/// The buffer `value` is a view of, through subviews, casts and other
/// view-like ops; `value` itself when it is not a memref.
Value getRootBuffer(Value value);

/// True for fresh memory of this function: a root that is a memref.alloc or
/// memref.alloca.
bool isLocalAllocation(Value root);

/// True for an argument of the enclosing function (its entry block), which
/// exists before any allocation of the function.
bool isFunctionArgument(Value root);

/// When `copy` copies a memref.alloc of its own block that exactly one other
/// operand uses, of an op earlier in that block: that operand, the one write
/// a pass may redirect into the copy's target. Null otherwise.
OpOperand *getSoleWriteOfCopiedTemporary(memref::CopyOp copy);

} // namespace mlir::scan

#endif // SCAN_TRANSFORMS_UTILS_BUFFERS_H
