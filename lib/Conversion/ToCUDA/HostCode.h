//===- HostCode.h - what stays on the host in the CUDA lowering -*- C++ -*-===//
//
// Bufferization's deallocation lowering adds host bookkeeping: small buffers
// of `index` (addresses) and `i1` (ownership flags) filled and read on the
// host, and a private function over them. These must stay in host
// memory and host code; everything else a host function handles is device
// memory.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_LIB_CONVERSION_TOCUDA_HOSTCODE_H
#define SCAN_LIB_CONVERSION_TOCUDA_HOSTCODE_H

#include "scan/Transforms/Utils/Buffers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::scan {

/// Whether `type` is a buffer of deallocation bookkeeping (index or i1).
inline bool isBookkeepingType(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getElementType().isIndex() ||
                    memref.getElementType().isInteger(1));
}

/// Whether `fn` is host code over bookkeeping buffers only (a private
/// function whose memref arguments are all index or i1 buffers).
inline bool isBookkeepingFunction(func::FuncOp fn) {
  if (!fn.isPrivate() || fn.isExternal())
    return false;
  bool anyMemref = false;
  for (Type type : fn.getArgumentTypes()) {
    if (!isa<MemRefType>(type))
      continue;
    if (!isBookkeepingType(type))
      return false;
    anyMemref = true;
  }
  return anyMemref;
}

/// Whether the buffer `v` views is host memory: an allocation left as
/// memref.alloc/alloca (only bookkeeping buffers are) in host code.
inline bool isHostBuffer(Value v) {
  return isLocalAllocation(getRootBuffer(v));
}

} // namespace mlir::scan

#endif // SCAN_LIB_CONVERSION_TOCUDA_HOSTCODE_H
