//===- Flops.h - floating-point operation counts from tensor IR -*- C++ -*-===//
//
// Counts the arithmetic a function performs, from its IR on tensors before
// lowering, so GFLOP/s figures do not depend on how a pipeline lowers it.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUN_FLOPS_H
#define SCAN_RUN_FLOPS_H

namespace mlir {
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace scanrun {

/// The number of arithmetic operations one call of `fn` performs:
///  - a linalg op (matmul, generic, reduce, map, ...): the size of its
///    iteration space times the number of arith/math ops in its payload
///    (so a matmul counts 2*M*N*K, linalg.fill/copy/transpose 0);
///  - an arith/math op outside a linalg payload: one per result element
///    (tensors) or one (scalars); constants, casts and index arithmetic
///    count 0;
///  - scan.scan: its body times the trip count; scf.for with constant
///    bounds: its body times its trip count; scf.if: the larger branch;
///    any other region: once;
///  - func.call: the callee's count (recursion counts once).
double countFlops(mlir::func::FuncOp fn);

} // namespace scanrun

#endif // SCAN_RUN_FLOPS_H
