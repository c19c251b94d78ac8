//===- MatmulModel.h - how the project reads a linalg.matmul ----*- C++ -*-===//
//
// The one place that reads a 2-D `linalg.matmul`: every pass, reverse rule
// and lowering that asks which operand is transposed, where an operand's
// contraction dimension is, whether an init is a zero, or that builds a
// matmul, asks here. A matmul is read as
//
//   result[m,n] = init[m,n] + sum_k op(lhs)[m,k] * op(rhs)[k,n]
//
// over the loops (m, n, k), where op(X) is X or X^T as the operand's
// indexing map says: the lhs is stored M x K, or K x M when transposed
// ((m, n, k) -> (k, m)); the rhs is stored K x N, or N x K when transposed
// ((m, n, k) -> (n, k)); the result is always indexed (m, n).
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_UTILS_MATMULMODEL_H
#define SCAN_TRANSFORMS_UTILS_MATMULMODEL_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

#include <optional>
#include <string>

namespace mlir::scan {

/// The loops of a matmul, as positions in its iteration space.
enum MatmulLoop : unsigned { MatmulLoopM = 0, MatmulLoopN = 1, MatmulLoopK = 2 };

/// The operands of a matmul, in the order of its indexing maps.
enum class MatmulOperand { Lhs = 0, Rhs = 1, Result = 2 };

/// The indexing map of `operand`, plain or transposed. The result is never
/// transposed: asking for a transposed result map is a programming error.
AffineMap getMatmulOperandMap(MLIRContext *context, MatmulOperand operand,
                              bool transposed);

/// The indexing maps of a matmul with the given operand layouts.
SmallVector<AffineMap> getMatmulIndexingMaps(MLIRContext *context,
                                             bool lhsTransposed,
                                             bool rhsTransposed);

/// Whether `map` is the transposed (true) or plain (false) access of
/// `operand`; nothing for any other map (a broadcast, a transposed result).
std::optional<bool> isTransposedOperandMap(AffineMap map,
                                           MatmulOperand operand);

/// Which operands of a matmul are stored transposed.
struct MatmulLayout {
  bool lhsTransposed = false;
  bool rhsTransposed = false;
};

/// Reads the indexing maps of `op`, on tensors or buffers; nothing when they
/// are not a plain or transposed-operand matmul.
std::optional<MatmulLayout> getMatmulLayout(linalg::MatmulOp op);

/// A 2-D `linalg.matmul` on static ranked tensors, read as above. `lhs` and
/// `rhs` are the stored operands: with `lookThroughTransposes`, an operand
/// produced by a 2-D `linalg.transpose` is its source, with the flag flipped.
struct MatmulForm {
  // Op handles are cheap values whose accessors are not const.
  mutable linalg::MatmulOp op;
  Value lhs, rhs, init;
  bool lhsTransposed = false;
  bool rhsTransposed = false;
  /// Static sizes of the iteration space.
  int64_t m = 0, n = 0, k = 0;

  Value result() const { return op->getResult(0); }
  /// The dimension (0 or 1) of the stored lhs that holds K, and the one
  /// that holds M.
  unsigned lhsContractionDim() const { return lhsTransposed ? 0 : 1; }
  unsigned lhsMDim() const { return lhsTransposed ? 1 : 0; }
  /// The dimension (0 or 1) of the stored rhs that holds K, and the one
  /// that holds N.
  unsigned rhsContractionDim() const { return rhsTransposed ? 1 : 0; }
  unsigned rhsNDim() const { return rhsTransposed ? 0 : 1; }
};

/// What `matchMatmul` accepts beyond the plain form.
struct MatmulMatchOptions {
  /// See through a `linalg.transpose` producing an operand.
  bool lookThroughTransposes = false;
  /// Only matmuls whose operands and result have one float element type (the
  /// rewrites that build new matmuls without the op's `cast`).
  bool requireOneFloatType = true;
};

/// Reads `op` as a MatmulForm. Fails for anything else: other ops, buffers,
/// dynamic shapes, encoded tensors, element types the options exclude, maps
/// that are not a plain or transposed-operand matmul. When `whyNot` is given
/// and `op` is a linalg.matmul, it receives the reason.
FailureOr<MatmulForm> matchMatmul(Operation *op, std::string *whyNot = nullptr,
                                  const MatmulMatchOptions &options = {});

/// Same for the op defining `value`.
FailureOr<MatmulForm> matchMatmul(Value value, std::string *whyNot = nullptr,
                                  const MatmulMatchOptions &options = {});

/// If `value` is the 2-D transpose of a tensor, that tensor.
Value getTransposeSource(Value value);

/// Builds `init + op(lhs) * op(rhs)` as a linalg.matmul; the result has the
/// type of `init`. The `indexing_maps` attribute is set only when an operand
/// is transposed, so the plain form prints as a plain matmul; `cast`, when
/// given, is the element cast the matmul applies to its operands.
linalg::MatmulOp createMatmul(OpBuilder &builder, Location loc, Value lhs,
                              bool lhsTransposed, Value rhs,
                              bool rhsTransposed, Value init,
                              linalg::TypeFnAttr cast = {});

/// Builds a matmul of the same form as `like` (transpositions and cast) on
/// new operands.
linalg::MatmulOp createMatmulLike(OpBuilder &builder, Location loc,
                                  const MatmulForm &like, Value lhs, Value rhs,
                                  Value init);

/// True when `value` is a ranked tensor known to hold only zeros: a zero
/// splat `arith.constant`, or a `linalg.fill` on tensors of a constant zero
/// (float +0 or -0, or integer 0), which is a matmul init that adds nothing.
bool isZeroTensor(Value value);

/// For `op` on buffers: the `linalg.fill` of zero that writes its output
/// right before it (only ops without memory effects in between) when a GEMM
/// that overwrites its output (beta = 0) may do the fill's work instead. That
/// needs the output rooted in an allocation of this function that no input
/// can share: an input that read the zeroed buffer would read other values
/// once the fill is gone, and an argument of the function may be any
/// caller's buffer, the output's included.
linalg::FillOp findZeroFill(linalg::MatmulOp op);

/// The FLOP `op` does in one call of its function: 2 M N K (a dynamic size
/// counts 1) times the trip count of every scan around it.
double getMatmulFlopPerCall(linalg::MatmulOp op);

} // namespace mlir::scan

#endif // SCAN_TRANSFORMS_UTILS_MATMULMODEL_H
