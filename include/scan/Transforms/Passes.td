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
// MergeMatmuls
//===----------------------------------------------------------------------===//

def MergeMatmulsPass : Pass<"scan-merge-matmuls", "mlir::func::FuncOp"> {
  let summary = "Merge matmuls that share an operand or are summed into one GEMM";
  let description = [{
    Replaces several `linalg.matmul` ops by one larger GEMM over concatenated
    operands, so the hardware runs fewer, bigger products. Three forms are
    merged; `op(X)` below is `X` or `X^T`, as given by the `indexing_maps`
    of the matmul (the result map must be the identity) or by a 2-D
    `linalg.transpose` producing the operand, which is read through: the
    merged product concatenates the untransposed tensors and transposes
    them through its own maps.

    * Shared left operand: `op(x).op(U_i)` become one product
      `op(x).op([U_1 .. U_n])` followed by `tensor.extract_slice`s of its
      columns. The right operands are concatenated along N (dimension 1 of
      `U`, dimension 0 of `U^T`).
    * Shared right operand (the mirror): `op(A_i).op(w)` become one product
      over the rows `op([A_1; ..; A_n]).op(w)`, sliced along M.
    * Sums over the inner dimension: a tree of `arith.addf` (and of matmuls
      accumulating into each other through `outs`) whose leaves include
      `op(a_i).op(U_i)` becomes `op([a_1 .. a_n]).op([U_1; ..; U_n])`, the
      operands concatenated along K. Other leaves of the tree are added to
      the merged product (an accumulator the matmuls were chained into is
      used as its `outs`).

    Preconditions: the matmuls are on statically shaped rank-2 tensors, lie
    in the same block, agree in element types, transposition and `cast`, and
    (for the shared-operand forms) have `outs` that are zero (a `linalg.fill`
    of zero or a zero splat constant), so the merged result is exact up to
    the order of the sums. Matmuls of a shared-operand group must not depend
    on each other: the merged op goes where all of its operands are defined
    and before the first use of any result. Summed matmuls must be used only
    by the sum.

    Concatenations whose inputs are defined above a loop (any
    `LoopLikeOpInterface` op, such as `scan.scan`) are created above the
    outermost such loop, so loop-invariant weights are concatenated once per
    call rather than once per step; the zero `outs` of the merged product is
    placed the same way as the fills it replaces. An identical concatenation
    that is already available is reused.

    Sums are merged first, then shared operands: sums that concatenate the
    same operands (the LSTM gates `x.W_g + h.U_g` all concatenate `[x h]`)
    then share their left operand and merge into one product. A product
    that appears twice in a shared-operand group is computed once. Because
    sums concatenate per-step values with invariant ones, run input
    projection hoisting before this pass.

    Left alone: matmuls with an accumulating (non-zero) `outs` that are not
    part of a sum, mixed element types or layouts, dependent matmuls, and
    merges whose concatenated tensors or result would exceed
    `max-merged-elements` elements. Near misses get a remark saying why
    ("not merged: ..."); every merge gets a remark with the GEMM shapes as
    M x K x N, e.g. `merged 2 matmuls sharing lhs: 2 x (80x1000x1000) -> 1 x
    (80x1000x2000)`.

    Example (inside a scan body, `%U` and `%V` defined above the loop):
    ```mlir
    %a = linalg.matmul ins(%h, %U : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                       outs(%zero : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %b = linalg.matmul ins(%h, %V : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                       outs(%zero : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    ```
    becomes
    ```mlir
    // above the scan.scan:
    %UV = tensor.concat dim(1) %U, %V
        : (tensor<1000x1000xf32>, tensor<1000x1000xf32>) -> tensor<1000x2000xf32>
    %zero2 = linalg.fill ins(%c0 : f32) outs(%e : tensor<80x2000xf32>) -> tensor<80x2000xf32>
    // in the body:
    %ab = linalg.matmul ins(%h, %UV : tensor<80x1000xf32>, tensor<1000x2000xf32>)
                        outs(%zero2 : tensor<80x2000xf32>) -> tensor<80x2000xf32>
    %a = tensor.extract_slice %ab[0, 0] [80, 1000] [1, 1]
        : tensor<80x2000xf32> to tensor<80x1000xf32>
    %b = tensor.extract_slice %ab[0, 1000] [80, 1000] [1, 1]
        : tensor<80x2000xf32> to tensor<80x1000xf32>
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
  let options = [
    Option<"maxMergedElements", "max-merged-elements", "int64_t", "67108864",
           "Largest number of elements (2^26 by default) that a concatenated "
           "operand or the merged result may have; bigger merges are skipped">
  ];
  let statistics = [
    Statistic<"numMerged", "num-merged",
              "Matmuls replaced by a merged matmul">,
    Statistic<"numMergedOps", "num-merged-ops",
              "Merged matmuls created">
  ];
}

#endif // SCAN_TRANSFORMS_PASSES_TD
