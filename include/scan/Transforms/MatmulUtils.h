//===- MatmulUtils.h - recognising and building linalg.matmul ---*- C++ -*-===//
//
// The scan optimisations reason about 2-D `linalg.matmul` ops whose operands
// may be transposed through `indexing_maps`. This header reads such an op as
// C[m,n] (+)= sum_k op(A)[m,k] * op(B)[k,n], where op(A) is A or A^T and
// op(B) is B or B^T, builds matmuls in that form, and erases what a
// rewrite of them leaves dead.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_MATMULUTILS_H
#define SCAN_TRANSFORMS_MATMULUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

#include <string>

namespace mlir::scan {

/// A 2-D `linalg.matmul` on ranked tensors of one float element type (no
/// casts): result[m,n] = init[m,n] + sum_k op(lhs)[m,k] * op(rhs)[k,n].
struct MatmulForm {
  linalg::MatmulOp op;
  Value lhs, rhs, init;
  /// The lhs is stored K x M (indexing map (m, n, k) -> (k, m)).
  bool lhsTransposed = false;
  /// The rhs is stored N x K (indexing map (m, n, k) -> (n, k)).
  bool rhsTransposed = false;
  /// Static sizes of the iteration space.
  int64_t m = 0, n = 0, k = 0;

  /// The position (0 or 1) of the contraction dimension in the stored lhs.
  unsigned lhsContractionDim() const { return lhsTransposed ? 0 : 1; }
  /// The position (0 or 1) of the contraction dimension in the stored rhs.
  unsigned rhsContractionDim() const { return rhsTransposed ? 1 : 0; }
};

/// Reads `op` as a MatmulForm. Fails for anything else: other ops, ranks
/// other than 2, dynamic shapes, mixed element types, a transposed result
/// map or maps that are not plain (transposed) matmul maps. When `whyNot`
/// is given and `op` is a linalg.matmul, it receives the reason.
FailureOr<MatmulForm> matchMatmul(Operation *op, std::string *whyNot = nullptr);

/// Same for the op defining `value`, which must be its only result.
FailureOr<MatmulForm> matchMatmul(Value value, std::string *whyNot = nullptr);

/// The indexing maps of a 2-D matmul with the given operand layouts.
SmallVector<AffineMap> getMatmulIndexingMaps(MLIRContext *context,
                                             bool lhsTransposed,
                                             bool rhsTransposed);

/// Builds `init + op(lhs) * op(rhs)` as a linalg.matmul; the result has the
/// type of `init`. The `indexing_maps` attribute is set only when an operand
/// is transposed, so the plain form prints as a plain matmul.
linalg::MatmulOp createMatmul(OpBuilder &builder, Location loc, Value lhs,
                              bool lhsTransposed, Value rhs,
                              bool rhsTransposed, Value init);

/// True when `value` is a tensor known to hold only zeros: a `linalg.fill`
/// of a constant zero, or a zero splat `arith.constant`.
bool isZeroTensor(Value value);

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

#endif // SCAN_TRANSFORMS_MATMULUTILS_H
