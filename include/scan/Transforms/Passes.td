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
// scan-hoist-accumulated-matmuls
//===----------------------------------------------------------------------===//

def HoistAccumulatedMatmulsPass
    : Pass<"scan-hoist-accumulated-matmuls", "mlir::func::FuncOp"> {
  let summary = "Turn per-step accumulated GEMMs into one GEMM after the loop";
  let description = [{
    A weight gradient in a backward scan is typically a carry updated as
    `acc' = acc + A_t^T B_t`: `T` small GEMMs whose inner dimension is the
    batch. This pass moves such an accumulator out of the loop. The body
    yields the per-step operands instead, and one `linalg.matmul` after the
    loop contracts over steps and batch at once, with inner dimension `T*K`,
    accumulating into the carry's initial value.

    A carry qualifies when its yielded value is `acc` plus a sum of 2-D
    `linalg.matmul` products, built from:
    * `linalg.matmul ins(A, B) outs(x)`, where `x` is `acc`, another such
      sum, or a zero tensor (`linalg.fill` of 0, or a zero constant);
    * `arith.addf` or `linalg.add` of two such sums, in either order;
    with `acc` appearing exactly once. Operands may be transposed through
    `indexing_maps`. Every intermediate sum and the carry's block argument
    must have exactly one use (the next step of the sum), and the updated
    value must be used only as the yielded carry.

    Each per-step operand `A_t` is stacked into `T x ...`: a sequence slice
    reuses the sequence operand itself (for instance the hidden states a
    forward scan stored), a value the body already yields as a per-step
    output reuses that output, and anything else becomes a new per-step
    output. The stack is then folded into a matrix with a
    `tensor.collapse_shape` (free) when the contraction dimension leads the
    per-step operand (`A_t` stored `K x M` for the left operand, `B_t`
    stored `K x N` for the right one); otherwise it is first transposed with
    one `linalg.transpose` after the loop (`allow-transposes`).

    A carry that looks like an accumulator (its block argument is the `outs`
    of a matmul, or a matmul is added to or subtracted from it) but is left alone gets a missed
    remark on the scan saying why:
    * "accumulator read in body": the block argument has other uses;
    * "per-step matmul operand depends on the accumulator";
    * "partial sum of the accumulator read in body";
    * "updated accumulator used in body or yielded more than once";
    * "accumulator updated by something other than a sum of matmuls";
    * "per-step matmul operand is loop-invariant" (stacking it would store
      the same matrix `T` times);
    * "contraction dimension is not leading in a per-step operand" (only
      with `allow-transposes=false`);
    * unsupported matmul forms (mixed element types, transposed result);
    * "trip count T is below min-trip-count".
    Every hoisted accumulator gets a remark with the GEMM shapes (M x K x N)
    before and after, e.g.
    `hoisted accumulator (carry #1): 50 x (1000x80x1000) -> 1 x (1000x4000x1000)`.

    Before:
    ```mlir
    %dhT, %dW = scan.scan reverse
        carries(%dh = %dh0 : tensor<2x4xf32>, %acc = %dW0 : tensor<4x4xf32>)
        sequences(%hp = %hprev : tensor<5x2x4xf32>) -> (...) {
      %e = ... : tensor<2x4xf32>
      %dWn = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                            affine_map<(m, n, k) -> (k, n)>,
                                            affine_map<(m, n, k) -> (m, n)>]
          ins(%hp, %e : tensor<2x4xf32>, tensor<2x4xf32>)
          outs(%acc : tensor<4x4xf32>) -> tensor<4x4xf32>
      scan.yield %dhn, %dWn : tensor<2x4xf32>, tensor<4x4xf32>
    }
    ```
    After:
    ```mlir
    %dhT, %es = scan.scan reverse carries(%dh = %dh0 : tensor<2x4xf32>)
        sequences(%hp = %hprev : tensor<5x2x4xf32>) -> (...) {
      %e = ... : tensor<2x4xf32>
      scan.yield %dhn, %e : tensor<2x4xf32>, tensor<2x4xf32>
    }
    %a = tensor.collapse_shape %hprev [[0, 1], [2]]
        : tensor<5x2x4xf32> into tensor<10x4xf32>
    %b = tensor.collapse_shape %es [[0, 1], [2]]
        : tensor<5x2x4xf32> into tensor<10x4xf32>
    %dW = linalg.matmul indexing_maps = [...same maps...]
        ins(%a, %b : tensor<10x4xf32>, tensor<10x4xf32>)
        outs(%dW0 : tensor<4x4xf32>) -> tensor<4x4xf32>
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
  let options = [
    Option<"minTripCount", "min-trip-count", "int64_t", /*default=*/"2",
           "Leave scans with fewer steps than this alone">,
    Option<"allowTransposes", "allow-transposes", "bool", /*default=*/"true",
           "Also hoist products whose per-step operand holds the contraction "
           "dimension last, transposing its stacked form once after the loop">,
  ];
  let statistics = [
    Statistic<"numHoisted", "num-hoisted", "Accumulators hoisted out of scans">,
  ];
}

//===----------------------------------------------------------------------===//
// scan-hoist-input-projections
//===----------------------------------------------------------------------===//

def HoistInputProjectionsPass
    : Pass<"scan-hoist-input-projections", "mlir::func::FuncOp"> {
  let summary = "Project a whole input sequence with one GEMM before the loop";
  let description = [{
    An input projection `x_t . W` inside a scan body, with `x_t` a sequence
    slice and `W` loop-invariant, is the same product for every step. This
    pass computes it for all steps at once before the loop: the sequence
    `T x B x E` is collapsed (free) to `(T*B) x E`, multiplied by `W` into
    `(T*B) x D`, expanded back to `T x B x D`, and passed to the scan as a
    new sequence whose slice replaces the matmul in the body.

    A 2-D `linalg.matmul ins(x_t, W) outs(C)` is rewritten when
    * `x_t` is a sequence block argument of the scan, used as the left
      operand and not transposed (`(m, n, k) -> (m, k)`);
    * `W` is defined above the scan; it may be transposed
      (`(m, n, k) -> (n, k)`);
    * `C` is a zero tensor (`linalg.fill` of 0 or a zero constant, wherever
      it is defined) or another value defined above the scan, which is then
      broadcast over the steps.
    Matmuls that read a sequence slice but are left alone get a missed
    remark saying why: "weight operand is defined in the loop body",
    "matmul init is not loop-invariant", "sequence slice is transposed" or
    "sequence slice is the right-hand operand" (neither gives the steps
    the rows of one GEMM), an unsupported matmul form, or "trip count T is
    below min-trip-count". Each rewritten matmul gets a remark with the GEMM
    shapes (M x K x N), e.g.
    `hoisted input projection: 50 x (80x1000x1000) -> 1 x (4000x1000x1000)`.

    Before:
    ```mlir
    %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
                    sequences(%xt = %x : tensor<5x2x3xf32>) -> tensor<2x4xf32> {
      %p = linalg.matmul ins(%xt, %Win : tensor<2x3xf32>, tensor<3x4xf32>)
                         outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
      ...
    }
    ```
    After:
    ```mlir
    %xc = tensor.collapse_shape %x [[0, 1], [2]]
        : tensor<5x2x3xf32> into tensor<10x3xf32>
    %pc = linalg.matmul ins(%xc, %Win : tensor<10x3xf32>, tensor<3x4xf32>)
                        outs(%zeros : tensor<10x4xf32>) -> tensor<10x4xf32>
    %ps = tensor.expand_shape %pc [[0, 1], [2]] output_shape [5, 2, 4]
        : tensor<10x4xf32> into tensor<5x2x4xf32>
    %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
                    sequences(%xt = %x : tensor<5x2x3xf32>,
                              %p = %ps : tensor<5x2x4xf32>) -> tensor<2x4xf32> {
      ...
    }
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
  let options = [
    Option<"minTripCount", "min-trip-count", "int64_t", /*default=*/"2",
           "Leave scans with fewer steps than this alone">,
  ];
  let statistics = [
    Statistic<"numHoisted", "num-hoisted", "Input projections hoisted">,
  ];
}

#endif // SCAN_TRANSFORMS_PASSES_TD
