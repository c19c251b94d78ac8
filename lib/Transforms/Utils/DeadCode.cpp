//===- DeadCode.cpp - erasing what a rewrite leaves dead ------------------===//

#include "scan/Transforms/Utils/DeadCode.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

void mlir::scan::eraseDeadOpsAndProducers(RewriterBase &rewriter,
                                          ArrayRef<Operation *> ops,
                                          Block *scope) {
  // Nothing is created here, so an address seen erased stays erased.
  DenseSet<Operation *> erased;
  SetVector<Operation *> producers;
  auto eraseIfDead = [&](Operation *op) {
    if (erased.contains(op) || !isOpTriviallyDead(op))
      return;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && def != op && (!scope || def->getBlock() == scope))
        producers.insert(def);
    // Erasing `op` erases what its regions hold too (a dead scan.scan takes
    // its body along): none of it may be visited again.
    op->walk([&](Operation *nested) {
      producers.remove(nested);
      erased.insert(nested);
    });
    rewriter.eraseOp(op);
  };
  for (Operation *op : ops)
    eraseIfDead(op);
  // A producer erased here re-queues its own producers, which may only now
  // have lost their last user.
  while (!producers.empty())
    eraseIfDead(producers.pop_back_val());
}
