//===- DeadCode.h - erasing what a rewrite leaves dead ----------*- C++ -*-===//
//
// A rewrite that replaces an op often leaves the producers that only fed it
// dead; the helper here erases them along with it.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_UTILS_DEADCODE_H
#define SCAN_TRANSFORMS_UTILS_DEADCODE_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::scan {

/// Erases each of `ops` that is trivially dead, in the order given (users
/// before their operands), then every producer that this leaves trivially
/// dead, transitively: what only fed a rewritten op goes with it. With
/// `scope`, producers outside that block are left alone. `ops` may repeat an
/// op or hold one that erasing another erases (a producer, a nested op):
/// each is visited while it exists only. Pass every root in one call: an op
/// erased by an earlier call must not be passed again.
void eraseDeadOpsAndProducers(RewriterBase &rewriter, ArrayRef<Operation *> ops,
                              Block *scope = nullptr);

} // namespace mlir::scan

#endif // SCAN_TRANSFORMS_UTILS_DEADCODE_H
