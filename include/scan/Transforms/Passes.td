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
// scan-checkpoint-gradients
//===----------------------------------------------------------------------===//

def CheckpointGradientsPass
    : Pass<"scan-checkpoint-gradients", "mlir::ModuleOp"> {
  let summary = "Bound a gradient's memory by checkpointing its forward scan";
  let description = [{
    The plain gradient of a scan (what `scan-differentiate` emits) is a
    forward scan `F` that stacks, for all `T` steps, the values the reverse
    scan `B` reads as sequences; `scan-optimize` then makes `F` store more
    (matmul products, gate values, hoisted projections) so `B` recomputes
    less. That memory grows linearly in `T`. This pass runs on the plain
    form, before `scan-optimize`, and splits the pair into segments of `K`
    steps:
    * `F` becomes a scan over the `T / K` segments whose body runs `K` steps
      of the original cell and stacks only the carries each segment starts
      from (the checkpoints);
    * `B` becomes a reverse scan over the segments whose body recomputes the
      segment's stacks from its checkpoint (an inner `F` of `K` steps) and
      then runs the original backward cell over them (an inner reverse scan
      of `K` steps). `B`'s carries (adjoints, accumulated weight gradients)
      are carried across segments; its stacked outputs are merged back with
      `tensor.collapse_shape`;
    * when `K` does not divide `T`, the first `T mod K` steps keep their
      stacks as before and run backwards last, so the result is that of the
      unbounded gradient up to the order of summation.
    `scan-optimize` then rewrites each inner pair as it would the whole
    gradient: stored products per segment, one input-projection GEMM and
    one weight-gradient GEMM per segment.

    A pair qualifies when `F` runs forward, has carries and stacked outputs,
    and every use of its stacked outputs is a sequence operand of the same
    reverse scan `B`, in the same block (the top level of a function) with
    the same trip count. Otherwise, with a budget set, `F` gets the remark
    "gradient not checkpointed: ..." saying why.

    The segment length comes from a cost model: the function is copied into
    a scratch module, segmented, optimised by `scan-optimize`'s rounds, and
    its peak memory is estimated statically as the bytes of every tensor
    its top level produces (views such as `tensor.expand_shape`,
    `tensor.collapse_shape`, `tensor.extract_slice` and constants excepted)
    plus the largest such sum of one step of a scan body, recursively (a
    top-level scan adds the packed copies of the loop-invariant right-hand
    matmul operands in it, which the CPU lowering makes). All pairs of a
    function get the same schedule. Without checkpoints the
    function is left alone when its prediction fits `budget-mib`. Otherwise
    the longest segments that fit are taken (recomputation costs one extra
    forward whatever `K` is, and longer segments make bigger GEMMs): the
    length of least predicted memory is found on a doubling sweep
    (`K = 1, 2, 4, ...`), then the longest length beyond it that fits by
    bisection. If no length fits, the same search runs over two levels
    (each segment of `K1` steps split again into segments of about
    `sqrt(K1)` steps: two extra forwards). If nothing fits either, the
    forward scan gets one error naming the smallest prediction found.
    Each rewritten function gets a remark on its first forward scan, e.g.
    `checkpointed gradient: 10 x 5 steps (1 level), predicted 35.4 MiB per
    call (unbounded 60.9 MiB), +8.0 matmul GFLOP recomputed`.

    What the model does not weigh: it never trades a stored matmul product
    against an elementwise value or a recomputation within one segment
    (`scan-optimize` stores what it always stores), and the estimate
    ignores buffer reuse, so it is an upper bound.

    `segment-length` forces one level of segments of that length, and
    `inner-segment-length` with it a second level (for tests), without
    looking at the budget.

    Before (the pair of `scan-differentiate`):
    ```mlir
    %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x3xf32>)
        sequences(%xt = %x : tensor<6x2x3xf32>) -> (...) { ... }
    %dh, %dW = scan.scan reverse carries(...)
        sequences(%hp = %hs : tensor<6x2x3xf32>, %xt = %x : tensor<6x2x3xf32>)
        -> (...) { ... }
    ```
    After, with `segment-length=3`:
    ```mlir
    %xs = tensor.expand_shape %x [[0, 1], [2], [3]] output_shape [2, 3, 2, 3]
        : tensor<6x2x3xf32> into tensor<2x3x2x3xf32>
    %hT, %checkpoints = scan.scan carries(%h = %h0 : tensor<2x3xf32>)
        sequences(%xseg = %xs : tensor<2x3x2x3xf32>) -> (...) {
      %hn = scan.scan carries(...) sequences(%xt = %xseg : tensor<3x2x3xf32>)
          -> tensor<2x3xf32> { ... }
      scan.yield %hn, %h : tensor<2x3xf32>, tensor<2x3xf32>
    }
    %dh, %dW = scan.scan reverse carries(...)
        sequences(%c = %checkpoints : tensor<2x2x3xf32>,
                  %xseg = %xs : tensor<2x3x2x3xf32>, ...) -> (...) {
      %hcT, %hs = scan.scan carries(%h = %c : tensor<2x3xf32>) ... { ... }
      %dhn, %dWn = scan.scan reverse carries(...) sequences(%hp = %hs ...) { ... }
      scan.yield %dhn, %dWn : ...
    }
    ```
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
  let options = [
    Option<"budgetMib", "budget-mib", "int64_t", /*default=*/"0",
           "Peak memory, in MiB, one call of a gradient function may use "
           "after scan-optimize (0: no budget)">,
    Option<"segmentLength", "segment-length", "int64_t", /*default=*/"0",
           "Force one level of segments of this many steps (0: choose from "
           "the budget)">,
    Option<"innerSegmentLength", "inner-segment-length", "int64_t",
           /*default=*/"0",
           "With segment-length: split each segment again into segments of "
           "this many steps (a second level)">,
  ];
}

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
    new sequence whose slice replaces the matmul in the body. The projected
    sequence is materialised before the loop (`T x B x D` elements).

    A 2-D `linalg.matmul ins(x_t, W) outs(C)` is rewritten when
    * `x_t` is a sequence block argument of the scan, used as the left
      operand and not transposed (`(m, n, k) -> (m, k)`);
    * `W` is defined above the scan; it may be transposed
      (`(m, n, k) -> (n, k)`);
    * `C` is a zero tensor (`linalg.fill` of 0 or a zero constant, wherever
      it is defined) or another value defined above the scan, which is then
      broadcast over the steps.
    A matmul of a slice and a value that changes from step to step (a
    weight gradient's `h_t^T e_t`) is not a projection and is not reported.
    Matmuls of a slice and a weight that are left alone get a missed remark
    saying why: "weight operand is defined in the loop body" (computed
    there from invariants: run `loop-invariant-code-motion` first),
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

//===----------------------------------------------------------------------===//
// DifferentiatePass
//===----------------------------------------------------------------------===//

def DifferentiatePass : Pass<"scan-differentiate", "mlir::ModuleOp"> {
  let summary = "Expand scan.grad and scan.vjp by reverse-mode differentiation";
  let description = [{
    Replaces every `scan.grad @f(%args) wrt [i, ...]` with a `func.call` of a
    generated private function `@f_grad_i_...` (one per callee and `wrt`
    list) that takes @f's arguments and returns the gradients w.r.t. the
    chosen ones, and every `scan.vjp @f(%args) cotangents(%cts) wrt [i, ...]`
    with a call of `@f_vjp_i_...`, which takes the arguments and the
    cotangents and returns @f's results, then the gradients. Both are built
    by the same routine: the generated function recomputes @f and then
    applies the reverse rule of each op, from the seeded results (1 for a
    scalar cost, the cotangents for a vjp) back to the arguments. Copies of
    scan.grad/scan.vjp ops that a generated function inherits from its
    callee are expanded in turn; a function whose derivative would contain
    itself (a scan.grad or scan.vjp of a function that reaches, through
    calls, grads or vjps, the function holding the op) is an error at the
    op. Scans nested in scan bodies are differentiated like top-level ones,
    inside the backward step. Afterwards every `scan.stop_gradient` is
    replaced by its operand.

    Rules live in `lib/Transforms/Differentiation/`, one file per op family
    (docs/Differentiation.md has the table): `scan.scan`; `linalg.matmul`
    (any transposition through `indexing_maps`, any `outs`); elementwise
    `arith.addf/subf/mulf/divf/negf/constant/select/maximumf/minimumf/
    maxnumf/minnumf/extf/truncf/sitofp/uitofp` and `math.tanh/exp/log/
    log1p/expm1/log2/log10/sqrt/rsqrt/powf/absf/sin/cos`; `tensor.empty`,
    `linalg.fill`, `tensor.extract`, `tensor.extract_slice/insert_slice/
    concat`, `linalg.transpose/broadcast` and `linalg.reduce` summing,
    multiplying, or taking the maximum or minimum. Values without a float
    type (masks, indices) get no adjoint.

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

    Remarks: each stored value gets a remark naming the op; the later scan
    gets one remark counting the matched values that need no matmul and are
    still recomputed.

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

//===----------------------------------------------------------------------===//
// MergeMatmuls
//===----------------------------------------------------------------------===//

def StackConcatenatedOutputsPass
    : Pass<"scan-stack-concatenated-outputs", "mlir::func::FuncOp"> {
  let summary = "Concatenate per step what is concatenated after the loop";
  let description = [{
    A `tensor.concat` of stacked outputs of one scan, along a dimension other
    than the steps, copies every element of those outputs once more after
    the loop. Concatenating the yielded values in the body instead, and
    stacking that as one output, gives the same tensor without the copy (the
    per-step concatenation is often already there: a merged matmul reads
    it). After `scan-merge-matmuls` has merged the hoisted weight gradients
    of a gated RNN, `H^T [E_r E_z]` reads the backward scan's stacked
    `[e_r e_z]` directly.

    A concatenation is rewritten when every operand is an output of the same
    `scan.scan`, either stacked as is (`T x S_0 x ...`, concatenated along a
    dimension d >= 1, step dimension d - 1) or collapsed with the steps
    merged into its first dimension (`[[0, 1], [2], ...]`, concatenated
    along d >= 1, step dimension d). The old outputs are left to
    canonicalisation, which drops them once unused. Each rewrite gets a
    remark, e.g. `stacked 2 outputs concatenated after the loop: one
    4000x2000 copy less per call`.

    The converse is done first: stacked outputs that are static slices of
    one value of the body, covering it exactly without overlap (the halves
    of a merged matmul's product, each stored for the backward loop), become
    one output stacking the whole value, sliced after the loop. The value
    then goes to its stack once per step instead of each slice being copied
    to its own (a kernel launch each on the GPU). Remark: `stacked 2
    per-step slices of one value as one output: 2 copies less per step`.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def FoldTransposesIntoMatmulsPass
    : Pass<"scan-fold-transposes-into-matmuls", "mlir::func::FuncOp"> {
  let summary = "Read transposes in scan bodies through matmul indexing_maps";
  let description = [{
    `h U^T` can be written two ways in a `scan.scan` body: a `linalg.matmul`
    whose `indexing_maps` read `U` transposed, or a `linalg.transpose` of `U`
    feeding a plain matmul. This pass turns the second spelling into the
    first, so that the optimisations that follow (and the reverse rules'
    output, once differentiated) see one form:

    * a matmul in a scan body whose operand is a 2-D `linalg.transpose` of a
      value defined outside that scan (a loop-invariant weight) reads the
      value itself, with that operand's map transposed;
    * a 2-D `linalg.transpose` in a scan body of a matmul whose init is zero
      and whose result nothing else reads becomes one matmul computing the
      transpose, `(op(A) op(B))^T = op(B)^T op(A)^T`: the per-step weight
      gradient of the transposed spelling is then a plain sum of matmuls that
      `scan-hoist-accumulated-matmuls` hoists.

    Each fold gets a remark (`read a transposed loop-invariant operand
    through indexing_maps`, `folded a transpose of a matmul into the
    matmul`); a transpose of a matmul that is left alone gets one that says
    why (`transpose of a matmul not folded: ...`).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numOperandsFolded", "num-operands-folded",
              "Transposed loop-invariant operands read through indexing_maps">,
    Statistic<"numResultsFolded", "num-results-folded",
              "Transposes of matmul results folded into the matmul">
  ];
}

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
    outermost such loop, right after the last of their inputs is defined, so
    loop-invariant weights are concatenated once per call rather than once
    per step; the zero `outs` of the merged product is placed the same way
    as the fills it replaces. An available concatenation of the same inputs
    is reused, and the order of the merged terms (free for sums and slices)
    follows it: in a gradient, the forward loop's `h.[U V]`, the backward
    loop's recomputed `h.[U V]` and its `[e_r e_z].[U V]^T` share one `[U V]`.

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

def OptimizePass : Pass<"scan-optimize", "mlir::ModuleOp"> {
  let summary = "Run the backward-loop optimisations to a fixed point";
  let description = [{
    The optimisation pipeline of scan-mlir. One round runs, in this order:

    1. `scan-fold-transposes-into-matmuls`: a `linalg.transpose` of a weight
       feeding a matmul in a scan body, and one of a matmul's product, are
       read through the matmul's `indexing_maps`;
    2. `canonicalize`, `cse` and `loop-invariant-code-motion`, so weight
       transposes, fills and constants leave scan bodies;
    3. `scan-eliminate-recomputation`: the backward scan reads the matmul
       products the forward scan already computed;
    4. `scan-hoist-input-projections`: `x_t W` over a sequence becomes one
       GEMM before the loop;
    5. `scan-hoist-accumulated-matmuls`: per-step `dW += A_t^T B_t` becomes
       one GEMM over all steps after the loop;
    6. `scan-merge-matmuls`: matmuls sharing an operand, and sums of
       matmuls, merge into one over concatenated weights (concatenations of
       weights are hoisted out of loops);
    7. `scan-stack-concatenated-outputs`: stacked outputs concatenated after
       the loop are concatenated per step in the body instead;
    8. `canonicalize`, `cse` and `loop-invariant-code-motion` again.

    Rounds repeat until the IR stops changing (compared by fingerprint) or
    `max-iterations` rounds have run. Every pass reports what it rewrote and
    its near-misses as remarks; a remark repeated by a later round is shown
    once. The round itself is `buildScanOptimizeRound` in Passes.h.

    With `report`, a table on stderr sums up what the rounds did to each
    function: matmuls per step of each scan, matmuls outside scans, and the
    matmul GFLOP of one call (loop trip counts included), before and after.

    With `memory-budget-mib=N`, `scan-checkpoint-gradients` runs first with
    `budget-mib=N`: gradients whose optimised form is predicted to need
    more than N MiB per call are split into checkpointed segments, and the
    rounds then optimise each segment. The report then also lists, per
    checkpointed function, the schedule, the predicted memory and the
    matmul GFLOP spent on recomputation.
  }];
  let options = [
    Option<"maxIterations", "max-iterations", "unsigned", "4",
           "Most rounds to run before giving up on a fixed point">,
    Option<"report", "report", "bool", "false",
           "Print to stderr, per function, the matmuls each scan runs per "
           "step, the matmuls outside scans and the matmul GFLOP per call, "
           "before and after">,
    Option<"memoryBudgetMib", "memory-budget-mib", "int64_t", "0",
           "Run scan-checkpoint-gradients with this budget-mib first (0: "
           "no budget, the gradient stores what it needs for all steps)">,
  ];
  let statistics = [
    Statistic<"numRounds", "num-rounds", "Rounds run">,
  ];
}

#endif // SCAN_TRANSFORMS_PASSES_TD
