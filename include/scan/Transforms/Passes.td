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

def EliminateRecomputationPass
    : Pass<"scan-eliminate-recomputation", "mlir::func::FuncOp"> {
  let summary = "Read forward-loop values from the forward scan instead of "
                "recomputing them in the backward scan";
  let description = [{
    Reverse-mode differentiation in its plain form makes the backward scan
    recompute, from the carries the forward scan stored, intermediates that
    the forward scan already computed at the same step (in a gated RNN: the
    gates, and the hidden state after the reset gate, each behind a matmul).
    This pass finds such values and reads them from a stored per-step output
    of the forward scan instead.

    Matching goes through the loop structure, not through text: for a
    forward scan F and a later scan B in the same block with the same trip
    count, a slice of B's sequence is known to equal a value of F's body at
    the same step when the sequence is a per-step output of F (the value F
    yields there) or one of F's own sequences (F's slice). Values defined
    above both scans are the same in both. An op of B's body whose operands
    are all known, and that has the same name, attributes, result types and
    regions as an op of F's body on the corresponding operands, computes
    the same value (ops without side effects only; constants and fills are
    compared by content).

    Policy: the matched matmuls (contractions) of B's body are the costly
    part of the recomputation. Each is read instead from a per-step output
    of F (an existing one is reused, else one is added) that B reads as a
    new sequence; the elementwise ops between those products and the values
    B needs are still recomputed, since reading T stored tensors for each
    of them costs more memory than recomputing them. With
    `store-elementwise`, every matched value that unmatched code of B uses
    (the frontier) is stored instead, trading memory for fewer ops.

    Remarks: each stored value gets a remark naming the op; a matched
    frontier value that needs no matmul to recompute gets a remark saying it
    is kept.

    Before (backward scan `B` recomputes `tanh(h W + x)`):
    ```mlir
    %hT, %hs = scan.scan carries(%h = %h0 : T) sequences(%xt = %x : S) -> (T, S) {
      %hw = linalg.matmul ins(%h, %W ...) outs(%zero ...)
      %y = math.tanh (%xt + %hw)
      scan.yield %y, %h : T, T
    }
    %g = scan.scan reverse carries(%dh = %one : T)
                   sequences(%hp = %hs : S, %xt = %x : S) -> T {
      %hw = linalg.matmul ins(%hp, %W ...) outs(%zero ...)   // recomputed
      %y = math.tanh (%xt + %hw)
      ... uses of %y ...
    }
    ```
    After: the forward scan also yields `%hw` per step; `B` reads it as a
    sequence, and only the tanh is recomputed from it.
  }];
  let options = [
    Option<"storeElementwise", "store-elementwise", "bool", "false",
           "Also store matched values whose recomputation is elementwise only">,
  ];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numStored", "num-stored",
              "Backward-scan values read from the forward scan">,
  ];
}

#endif // SCAN_TRANSFORMS_PASSES_TD
