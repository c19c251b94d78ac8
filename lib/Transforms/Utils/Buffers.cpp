//===- Buffers.cpp - where a memref's memory comes from -------------------===//

#include "scan/Transforms/Utils/Buffers.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;

Value mlir::scan::getRootBuffer(Value value) {
  auto buffer = dyn_cast<MemrefValue>(value);
  return buffer ? memref::skipViewLikeOps(buffer) : value;
}

bool mlir::scan::isLocalAllocation(Value root) {
  return root.getDefiningOp<memref::AllocOp>() ||
         root.getDefiningOp<memref::AllocaOp>();
}

bool mlir::scan::isFunctionArgument(Value root) {
  auto arg = dyn_cast<BlockArgument>(root);
  return arg && arg.getOwner()->isEntryBlock() &&
         isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
}

OpOperand *mlir::scan::getSoleWriteOfCopiedTemporary(memref::CopyOp copy) {
  Value tmp = copy.getSource();
  auto alloc = tmp.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != copy->getBlock())
    return nullptr;
  OpOperand *write = nullptr;
  for (OpOperand &use : tmp.getUses()) {
    if (use.getOwner() == copy)
      continue;
    if (write)
      return nullptr;
    write = &use;
  }
  if (!write || write->getOwner()->getBlock() != copy->getBlock() ||
      !write->getOwner()->isBeforeInBlock(copy))
    return nullptr;
  return write;
}
