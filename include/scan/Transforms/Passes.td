//===- Passes.td - scan transformation passes ---------------*- tablegen -*-===//
//
// Differentiation of scans and the optimisations of the backward loop.
// Each pass lives in lib/Transforms/<PassName>.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_PASSES_TD
#define SCAN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// DifferentiatePass
//===----------------------------------------------------------------------===//

def DifferentiatePass : Pass<"scan-differentiate", "mlir::ModuleOp"> {
  let summary = "Expand scan.grad by reverse-mode differentiation";
  let description = [{
    Replaces every `scan.grad @f(%args) wrt [i, ...]` with a `func.call` of a
    generated private function `@f_grad_i_...` (one per callee and `wrt`
    list) that takes @f's arguments and returns the gradients w.r.t. the
    chosen ones. The generated function recomputes @f and then applies the
    reverse rule of each op, from the returned scalar back to the arguments.
    Rules live in `lib/Transforms/Differentiation/`, one file per op family:
    `scan.scan`; `linalg.matmul` (any transposition through
    `indexing_maps`, any `outs`); elementwise `arith.addf/subf/mulf/divf/
    negf/constant` and `math.tanh/exp/log`; `tensor.empty`, `linalg.fill`,
    `tensor.extract`, `tensor.extract_slice/insert_slice/concat`,
    `linalg.transpose/broadcast` and a summing `linalg.reduce`.

    The output is the plain form that autodiff systems emit, the baseline
    of the optimisation passes:
    * the forward `scan.scan` additionally stacks, as per-step outputs
      appended after its own, every carry its body reads, taken at the
      start of each step;
    * one backward `scan.scan` per forward scan, in the opposite direction.
      Carries: the adjoint of every differentiated carry, then one gradient
      accumulator (`loc("dW")`, zero-initialised) per differentiated tensor
      captured by the body. Sequences: the stacked carries, the forward
      sequences the body reads, the adjoints of the forward scan's stacked
      outputs. Per-step outputs: the adjoint of every differentiated
      forward sequence. The body recomputes the forward step from the
      stored carries, then accumulates weight gradients in place, e.g.
      `dW' = linalg.matmul {A^T maps} ins(%h, %dpre) outs(%dW)`.

    Only values that depend on a chosen argument get adjoints. An op on the
    path from the arguments to the result without a rule is reported as
    `scan-differentiate: cannot differentiate '<op name>'` at its location,
    and the pass fails; it never emits a partial gradient.

    ```mlir
    %dW = scan.grad @rnn_cost(%x, %h0, %W) wrt [2] : (...) -> tensor<4x4xf64>
    // becomes
    %dW = call @rnn_cost_grad_2(%x, %h0, %W) : (...) -> tensor<4x4xf64>
    ```
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::func::FuncDialect",
    "mlir::linalg::LinalgDialect", "mlir::math::MathDialect",
    "mlir::tensor::TensorDialect", "mlir::scan::ScanDialect"
  ];
}

#endif // SCAN_TRANSFORMS_PASSES_TD
