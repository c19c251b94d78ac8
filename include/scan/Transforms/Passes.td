//===- Passes.td - scan transformation passes ---------------*- tablegen -*-===//
//
// Differentiation of scans and the optimisations of the backward loop.
// Each pass lives in lib/Transforms/<PassName>.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_TRANSFORMS_PASSES_TD
#define SCAN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

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

    Policy: among the matched values of B's body, those still used by
    unmatched ops (the frontier) are candidates. A candidate whose
    recomputation in B involves a `linalg.matmul` (or any other contraction)
    is stored: F gets a new per-step output (or an existing one is reused)
    which B reads as a new sequence, and the recomputation becomes dead and
    is erased. Elementwise-only recomputations are kept, since reading T
    stored tensors costs more memory traffic than recomputing them, unless
    `store-elementwise` is set.

    Remarks: each stored value gets a remark naming the op and the matmuls
    saved per step; a matched elementwise-only value that policy keeps gets
    a remark saying so.

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
    After: the forward scan also yields `%y` per step; `B` reads it as a
    sequence and the recomputed matmul and tanh are gone.
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
