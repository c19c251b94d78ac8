//===- Differentiation.h - reverse-mode rules for scan-differentiate -*- C++ -*-===//
//
// The pieces scan-differentiate is made of: an adjoint context that maps
// primal values to their adjoints, and a table of reverse rules keyed by
// operation name. Each op family registers its rules from its own file
// (ScanRules.cpp, MatmulRules.cpp, ElementwiseRules.cpp, ShapeRules.cpp), so
// supporting a new op means adding a rule, not editing the driver.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_LIB_TRANSFORMS_DIFFERENTIATION_DIFFERENTIATION_H
#define SCAN_LIB_TRANSFORMS_DIFFERENTIATION_DIFFERENTIATION_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::scan::ad {

class AdjointContext;

/// How one operation is differentiated.
struct ReverseRule {
  /// Optional: rewrites the primal op before the reverse sweep so that it
  /// keeps what the reverse rule needs (a scan stacks its carries). May
  /// replace and erase `op`.
  LogicalResult (*prepare)(Operation *op, AdjointContext &ctx) = nullptr;
  /// Emits, at the builder's insertion point, the adjoints of the operands of
  /// `op` from the adjoints of its results (read with ctx.getAdjoint), adding
  /// them with ctx.addAdjoint / ctx.accumulateAdjoint.
  LogicalResult (*reverse)(Operation *op, AdjointContext &ctx,
                           OpBuilder &b) = nullptr;
};

/// Reverse rules by operation name.
using RuleTable = llvm::StringMap<ReverseRule>;

void registerScanRules(RuleTable &rules);
void registerMatmulRules(RuleTable &rules);
void registerElementwiseRules(RuleTable &rules);
void registerShapeRules(RuleTable &rules);

/// Returns the table holding every rule above.
const RuleTable &getReverseRules();

/// State shared by all adjoint contexts of one gradient function.
struct SharedState {
  explicit SharedState(const RuleTable &rules) : rules(rules) {}
  const RuleTable &rules;
  /// Values that depend on a differentiated argument ("varied"). Only float
  /// values in this set get adjoints.
  llvm::DenseSet<Value> varied;
  /// For a prepared (forward) scan: per carry, the stacked carry values at
  /// the start of every step, or null when the body does not read the carry.
  llvm::DenseMap<Operation *, SmallVector<Value>> savedCarries;
};

/// Maps primal values to adjoints within one region (the gradient function,
/// or the body of one backward scan).
class AdjointContext {
public:
  explicit AdjointContext(SharedState &shared) : shared(shared) {}

  SharedState &getShared() { return shared; }
  const RuleTable &getRules() { return shared.rules; }

  bool isVaried(Value v) const { return shared.varied.contains(v); }
  void markVaried(Value v) { shared.varied.insert(v); }
  /// Whether `v` takes part in differentiation: varied and of float type.
  bool needsAdjoint(Value v) const;

  /// The adjoint of `v`, or null if nothing flowed into it yet (zero).
  Value getAdjoint(Value v) const { return adjoints.lookup(v); }
  /// Sets the adjoint of `v`, overwriting any previous one.
  void setAdjoint(Value v, Value adjoint) { adjoints[v] = adjoint; }
  /// Adds `contribution` to the adjoint of `v` (arith.addf when one exists).
  /// Does nothing when `v` needs no adjoint.
  void addAdjoint(OpBuilder &b, Location loc, Value v, Value contribution);
  /// Adds a contribution computed by an op that accumulates into an operand
  /// (e.g. linalg.matmul into its `outs`): `build` receives the current
  /// adjoint of `v` (or zeros) and returns the new one. Does nothing when `v`
  /// needs no adjoint.
  void accumulateAdjoint(OpBuilder &b, Location loc, Value v,
                         llvm::function_ref<Value(OpBuilder &, Value)> build);
  /// The adjoint of `v`, materialising zeros when there is none.
  Value getAdjointOrZeros(OpBuilder &b, Location loc, Value v);

  /// Applies the reverse rule of every op in `ops`, last to first. An op is
  /// visited only when one of its results has an adjoint.
  LogicalResult reverseSweep(ArrayRef<Operation *> ops, OpBuilder &b);

private:
  SharedState &shared;
  llvm::DenseMap<Value, Value> adjoints;
};

/// Runs the `prepare` rule of every op of `block` that has one and a varied
/// result (ops may be replaced while this runs).
LogicalResult prepareOps(Block &block, AdjointContext &ctx);

/// Marks as varied every value of `block` (and of nested scan bodies) that
/// depends on a value already marked varied. Iterates scan carries to a fixed
/// point.
void propagateVaried(Block &block, SharedState &shared);

//===----------------------------------------------------------------------===//
// Builders shared by the rules
//===----------------------------------------------------------------------===//

/// A float constant of `type` (scalar float or splat tensor).
Value createFloatConstant(OpBuilder &b, Location loc, Type type, double value);
/// Zeros of `type`: arith.constant for scalars, linalg.fill of tensor.empty
/// for tensors.
Value createZeros(OpBuilder &b, Location loc, Type type);
/// Sums `value` over `dims` into a tensor of `resultType` (linalg.reduce with
/// an arith.addf body).
Value createSum(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> dims,
                RankedTensorType resultType);
/// A location named `name` wrapping `loc`, to keep generated IR readable.
Location nameLoc(Location loc, StringRef name);

} // namespace mlir::scan::ad

#endif // SCAN_LIB_TRANSFORMS_DIFFERENTIATION_DIFFERENTIATION_H
