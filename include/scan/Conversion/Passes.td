//===- Passes.td - scan conversion passes -------------------*- tablegen -*-===//
//
// Lowerings of the scan dialect: to scf, and on to CPU (BLAS) and CUDA code.
// Each conversion lives in lib/Conversion/<From>To<To>/.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_CONVERSION_PASSES_TD
#define SCAN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// ScanToSCF
//===----------------------------------------------------------------------===//

def ConvertScanToSCFPass : Pass<"convert-scan-to-scf"> {
  let summary = "Lower scan.scan to an scf.for loop over tensors";
  let description = [{
    Every `scan.scan` becomes one `scf.for %i = 0 to T step 1` whose
    `iter_args` are the carries followed by one stacked buffer per per-step
    output. The stacked buffers start as `tensor.empty`.

    Inside the loop, the step index is `t = i` (or `t = T - 1 - i` with
    `reverse`). Each sequence is read with a rank-reducing
    `tensor.extract_slice %seq[t, 0, ...] [1, ...] [1, ...]`, the body is
    inlined with its block arguments replaced by the loop carries and these
    slices, and each per-step output is written back with
    `tensor.insert_slice %y into %stacked[t, 0, ...]`, so that one-shot
    bufferization writes it in place into the single stacked buffer.

    `scan.grad` must have been expanded (`scan-differentiate`) before this
    pass: a remaining one makes the conversion fail.

    ```mlir
    %hT, %hs = scan.scan reverse carries(%h = %h0 : tensor<2x4xf32>)
        sequences(%xt = %x : tensor<5x2x4xf32>)
        -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
      %n = arith.addf %h, %xt : tensor<2x4xf32>
      scan.yield %n, %n : tensor<2x4xf32>, tensor<2x4xf32>
    }
    ```
    becomes
    ```mlir
    %e = tensor.empty() : tensor<5x2x4xf32>
    %r:2 = scf.for %i = %c0 to %c5 step %c1
        iter_args(%h = %h0, %acc = %e) -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
      %t = arith.subi %c4, %i : index
      %xt = tensor.extract_slice %x[%t, 0, 0] [1, 2, 4] [1, 1, 1]
          : tensor<5x2x4xf32> to tensor<2x4xf32>
      %n = arith.addf %h, %xt : tensor<2x4xf32>
      %acc2 = tensor.insert_slice %n into %acc[%t, 0, 0] [1, 2, 4] [1, 1, 1]
          : tensor<2x4xf32> into tensor<5x2x4xf32>
      scf.yield %n, %acc2 : tensor<2x4xf32>, tensor<5x2x4xf32>
    }
    ```

    A forward scan whose per-step output is an incoming carry (h_(t-1),
    which a gradient's backward loop reads) keeps that carry in a stack of
    T + 1 slices instead: slice 0 is the initial carry, step t reads slice t
    and inserts the next carry into slice t + 1, the final carry is slice T
    and the stacked output slices 0..T-1 (an output that is the next carry,
    slices 1..T). Bufferization then computes each next carry straight into
    the stack, where a separate carry would be copied into its stack on
    every step. Where the op that computes the next carry also reads the
    incoming one (a GRU's `(1 - z) * h + z * n`), bufferization cannot tell
    slices t and t + 1 apart and copies slice t for the step to read;
    `scan-forward-temporary-copies` removes that copy.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// MatmulToBLAS
//===----------------------------------------------------------------------===//

def ConvertLinalgMatmulToBLASPass
    : Pass<"convert-linalg-matmul-to-blas", "mlir::ModuleOp"> {
  let summary = "Turn linalg.matmul on memrefs into calls to the BLAS runtime";
  let description = [{
    Rewrites every `linalg.matmul` with buffer semantics whose operands are
    all f32 (or all f64) memrefs into a call of `scanrt_sgemm`
    (`scanrt_dgemm`) from the ScanRuntime library:

    ```
    void scanrt_sgemm(i32 transA, i32 transB, i64 m, i64 n, i64 k,
                      f32 alpha, ptr a, i64 aOffset, i64 lda,
                      ptr b, i64 bOffset, i64 ldb,
                      f32 beta, ptr c, i64 cOffset, i64 ldc)
    ```

    which computes the row-major `C = alpha * op(A) * op(B) + beta * C`.
    Each operand is passed as its aligned base pointer, its offset and its
    leading dimension, read from the memref's strided layout, so subviews
    (a step of a stacked tensor) need no copy.

    Transposed operands are expressed with the transpose flags, never copies:
    `indexing_maps` giving A as `(k, m)` or B as `(n, k)` set the flags, and
    so does a column-major layout (unit stride on the outer dimension). An
    output indexed `(n, m)` is computed as `C^T = B^T A^T`.

    `linalg.matmul` accumulates into its output, so the call uses
    `alpha = 1, beta = 1`. When the output buffer was just zeroed by a
    `linalg.fill` of 0.0 (only side-effect-free ops in between), is rooted in
    a `memref.alloc`/`memref.alloca`, and each input is provably another
    buffer (rooted in another allocation, a global or an argument of the
    function; not a loop-carried value), the fill is dropped and the call
    uses `beta = 0`.

    Matmuls that this cannot express are left alone and lower to loops:
    other element types or mixed ones, broadcast or otherwise unusual maps,
    and operands with no statically unit stride (both strides dynamic).
    The runtime itself falls back to a loop nest if a leading dimension turns
    out smaller than the row length at run time.

    With `prepack-weights` (the default), a matmul inside an `scf.for` whose
    right operand (BLAS's B, after the `C^T` swap) stays the same on every
    iteration, typically a recurrent weight, has that operand packed once
    into the GEMM kernel's layout before the loop, instead of on every step:

    ```
    ptr  scanrt_sgemm_pack_b(i32 transB, i64 n, i64 k,
                             ptr b, i64 bOffset, i64 ldb)
    void scanrt_sgemm_packed(i32 transA, i64 m, i64 n, i64 k,
                             f32 alpha, ptr a, i64 aOffset, i64 lda,
                             ptr packedB, f32 beta,
                             ptr c, i64 cOffset, i64 ldc)
    void scanrt_gemm_pack_free(ptr packedB)
    ```

    (`scanrt_dgemm_pack_b`/`scanrt_dgemm_packed` for f64). The pack call
    goes right before the loop, each matmul in the loop becomes a
    `scanrt_sgemm_packed` call (with the same `beta` rule as above), and
    `scanrt_gemm_pack_free` follows the loop. Matmuls in one loop with the
    same right operand value and transpose flag share one pack.

    The operand is packed before the outermost enclosing `scf.for` (only
    `scf.for` and `scf.if` may lie in between) such that:
    * the operand's memref value is defined outside the loop (its sizes,
      offset and strides are read from that value before the loop);
    * nothing in the loop may write or free memory the operand may share.
      Every op in the loop must have no memory effects, implement
      `MemoryEffectOpInterface` (each write or free names a value, which is
      checked below; one without a value blocks packing), or have
      `RecursiveMemoryEffects` (its nested ops are checked). Any other op,
      such as `func.call`, blocks packing.

    Whether a written buffer may share memory with the operand is decided on
    the root buffers, found by following view-like ops (subview, cast,
    extract_strided_metadata, ...):
    * the same root value may overlap;
    * two `memref.get_global` roots overlap exactly when they name the same
      global; a constant global overlaps nothing else (writing it is
      undefined), while a mutable one may overlap a function argument (the
      caller may pass it);
    * `memref.alloc`/`memref.alloca` roots never overlap another root that
      is an allocation, a global or an argument of the function;
    * distinct arguments of the function are assumed not to overlap. This is
      the calling convention of the code `scan-lower-to-cpu` produces: after
      one-shot bufferization of function boundaries an input the callee
      writes in place is not passed for another argument as well, and
      `buffer-results-to-out-params` makes results fresh out-parameter
      buffers. Code that may be called with overlapping arguments must run
      this pass with `prepack-weights=false`;
    * any other root (a loop `iter_args` value, the result of an unknown op)
      may overlap anything.
  }];
  let options = [
    Option<"prepackWeights", "prepack-weights", "bool", /*default=*/"true",
           "Pack a loop-invariant right operand once before its scf.for "
           "and call the packed GEMM in the loop">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::func::FuncDialect",
    "mlir::LLVM::LLVMDialect",
    "mlir::memref::MemRefDialect"
  ];
  let statistics = [
    Statistic<"numConverted", "num-converted", "Matmuls turned into BLAS calls">,
    Statistic<"numZeroBeta", "num-zero-beta",
              "Zero fills folded into beta = 0">,
    Statistic<"numPrepacked", "num-prepacked",
              "Matmuls turned into calls with a prepacked right operand">,
    Statistic<"numPacks", "num-packs",
              "Right operands packed once before a loop">
  ];
}

//===----------------------------------------------------------------------===//
// CPU lowering steps (lib/Conversion/ToCPU)
//===----------------------------------------------------------------------===//

def PrepareBufferizationPass
    : Pass<"scan-prepare-bufferization", "mlir::ModuleOp"> {
  let summary = "Rewrite tensor destinations so that loops bufferize in place";
  let description = [{
    Runs on tensors, right before one-shot bufferization, and changes only
    which tensor each destination-style op writes into, so the analysis can
    place results in existing buffers instead of a fresh allocation per loop
    step:

    * Loop carries as destinations: when an `scf.for` yields, as its
      iter_arg `i`, the result of a linalg op whose destination is a
      `tensor.empty` the op never reads, the destination becomes iter_arg
      `i`. Bufferized, the next carry is computed into the carry's own buffer
      (the analysis still copies if that is unsafe).
    * Zero fills next to their use: a linalg op inside a loop whose
      destination is a `linalg.fill` of a `tensor.empty` defined outside the
      loop gets its own fill right before it. Otherwise the accumulator would
      be copied from the hoisted fill each step; with the fill adjacent, the
      BLAS lowering folds fill + matmul into one call with beta = 0.
    * Public functions do not own their arguments: tensor arguments of
      public functions with a body get `bufferization.writable = false`, so
      that no input buffer of an externally called function is written.
    * One buffer per stack: an `scf.for` init that repeats the
      `tensor.empty` of an earlier init (CSE merges the empty stacks of a
      loop's per-step outputs) gets its own `tensor.empty`. Otherwise, once empty-tensor
      elimination computes a step value in its stack slice, one-shot
      bufferization may give two stacks one buffer, and the value is
      overwritten by the other stack's write before it is read.
    * One buffer per result: a function returning the same tensor at
      several positions (a gradient whose zero adjoints CSE merged) returns
      a `bufferization.alloc_tensor` copy at each repeated position, since
      `buffer-results-to-out-params` needs a distinct buffer per result.
    * Concatenations in place: a `tensor.concat` of values that linalg ops
      compute into `tensor.empty` destinations nobody else reads (several
      results of one fused elementwise op, say) becomes those ops computing
      into slices of one tensor, followed by insertions of each into its own
      place; that tensor is the slice a user inserts the whole into (a
      stacked output's, at this step) when that slice is known before the
      pieces are computed. Other concatenations become insertions into a
      `tensor.empty` (upstream's decomposition).
    * One empty per use: every destination-style use of a static
      `tensor.empty` (hoisted out of a loop, or shared by CSE) gets its own,
      right before the user, so that empty-tensor elimination can replace
      each by the slice its result is inserted into.
  }];
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def OutlineNestedLoopsPass
    : Pass<"scan-outline-nested-loops", "mlir::ModuleOp"> {
  let summary = "Outline loops nested deeper than a bound into private "
                "functions, for bufferization";
  let description = [{
    Runs on tensors, before one-shot bufferization. Upstream's bufferization
    answers two questions about a loop whose init is the iter_arg of the
    loop around it by recursing through the whole nest without remembering
    answers: whether the loop reads its init (`isValueRead` asks a nested
    loop twice per walk) and the buffer type of an iter_arg (computed from
    the init and from the yielded nested loop's result, which leads back to
    the init). Both cost 2^d for a nest d deep; both stop at function
    arguments.

    Every `scf.for` with `max-depth` loops around it in its function becomes
    a call to a private function (marked `scan.outlined_loop`) holding the
    loop, so that no function holds a nest deeper than `max-depth`; outlined
    functions are split again as needed. `scan-inline-outlined-loops` puts
    the bodies back after bufferization. Nests up to `max-depth` deep are
    not touched.
  }];
  let options = [
    Option<"maxDepth", "max-depth", "int64_t", "8",
           "Loops a function may hold around an scf.for before that loop is "
           "outlined">
  ];
  let dependentDialects = ["mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numOutlined", "num-outlined", "Loops outlined">
  ];
}

def InlineOutlinedLoopsPass
    : Pass<"scan-inline-outlined-loops", "mlir::ModuleOp"> {
  let summary = "Inline the loops scan-outline-nested-loops outlined";
  let description = [{
    Runs right after one-shot bufferization. Each function marked
    `scan.outlined_loop` has a single block and exactly one call (anything
    else is an error); the call is replaced by the function's body, with the
    call's operands for the arguments and the returned values for the
    results, and the function is erased.
  }];
  let statistics = [
    Statistic<"numInlined", "num-inlined", "Outlined loops inlined back">
  ];
}

def CountBufferizationQueriesPass
    : Pass<"scan-count-bufferization-queries", "mlir::ModuleOp"> {
  let summary = "Count the op queries bufferization makes on the module";
  let description = [{
    A measurement for tests, which bound bufferization's work by a count
    rather than a time. On a copy of the module (the module itself is not
    changed), runs one-shot module analysis, empty-tensor elimination and
    one-shot module bufferization with the options of the CPU lowering, and
    counts how often they ask the bufferization options whether an op may be
    bufferized, which they do for every interface query on an op. The count
    is reported as a remark on the module (and as the statistic
    `num-queries` where LLVM keeps statistics). With `max-queries` above 0,
    the pass
    fails with an error when the count passes it (and stops the work there,
    so the failure is quick even where the work is exponential).
  }];
  let options = [
    Option<"maxQueries", "max-queries", "int64_t", "0",
           "Fail when bufferization asks more often than this (0: no limit)">
  ];
  let statistics = [
    Statistic<"numQueries", "num-queries", "Op queries made by bufferization">
  ];
}

def ForwardTemporaryCopiesPass
    : Pass<"scan-forward-temporary-copies", "mlir::func::FuncOp"> {
  let summary = "Compute into the copy's destination instead of a temporary";
  let description = [{
    Runs on buffers, right after one-shot bufferization. Where a linalg op
    computes into a fresh allocation that is then only copied
    (`memref.copy %tmp, %dst`, in the same block), the op computes into
    `%dst` directly and the allocation and the copy go away. This is what
    one-shot bufferization leaves when it cannot prove a destination safe,
    for instance for the second piece of a concatenation computed in place
    by one fused op. It applies only when it is safe to see: the op does not
    read `%dst`'s buffer, writes no other view of it that may overlap
    (disjoint static subviews of one buffer are fine), does not read its
    destination's old contents, and nothing between the op and the copy
    touches `%dst`'s buffer; `%dst`'s view is moved before the op when its
    operands allow.

    The other way round: where a view of a local buffer is copied into a
    fresh allocation (`memref.copy %view, %tmp`) that linalg ops of the same
    block then only read, and no op up to the last of them writes a view of
    that buffer that may overlap `%view` (disjoint subviews, such as slices
    t and t + 1 of a stack, are fine), the ops read `%view` and the
    allocation and the copy go away. This removes the per-step copy of a
    scan's carry kept in its stack of T + 1 slices when the op that computes
    slice t + 1 also reads slice t (see `convert-scan-to-scf`).
  }];
  let statistics = [
    Statistic<"numForwarded", "num-forwarded",
              "Temporaries replaced by the destination of their copy">,
    Statistic<"numSourcesForwarded", "num-sources-forwarded",
              "Temporary copies replaced by their source">
  ];
}

def ForwardCallResultsPass
    : Pass<"scan-forward-call-results", "mlir::ModuleOp"> {
  let summary = "Let a call write its result where the caller copies it";
  let description = [{
    Runs on buffers, after `buffer-results-to-out-params`. A call whose
    memref result became an out-param gets a fresh allocation from its
    caller, which the caller then often only copies to its own out-param
    (an entry point returning a private gradient function's result): a copy
    of every weight gradient on every call. Where `%tmp = memref.alloc`,
    `func.call @f(..., %tmp)` and `memref.copy %tmp, %dst` follow one another
    in one block (only ops without memory effects between the call and the
    copy) and `%tmp` has no other use, the call writes into `%dst` and the
    allocation and the copy go away. It applies only when that is safe to
    see: `%dst` has `%tmp`'s type and is defined before the call, and its
    buffer is a local allocation or a function argument that no other
    operand of the call views (distinct function arguments never share
    memory, the assumption `convert-linalg-matmul-to-blas` makes too; an
    operand rooted elsewhere than in an allocation, an argument or a
    constant global blocks the rewrite); with a function argument, the
    module must hold no mutable global, which a callee could reach.
    Reading `%dst`'s old contents is not a concern: the callee's out-param
    was fresh memory.
  }];
  let statistics = [
    Statistic<"numForwarded", "num-forwarded",
              "Call results written straight into the copy's destination">
  ];
}

def FuseElementwisePass : Pass<"scan-fuse-elementwise"> {
  let summary = "Fuse chains of elementwise linalg.generic ops, and only those";
  let description = [{
    Fuses an elementwise `linalg.generic` into the `linalg.generic` that
    consumes it when it has no other use (upstream
    `populateElementwiseOpsFusionPatterns`), so that a chain such as
    `tanh(x + h W)` becomes one loop nest reading each input once. A
    producer in another block (a loop invariant used in a loop) is not
    fused: it would be computed on every iteration.

    Unlike upstream `linalg-fuse-elementwise-ops`, it does not propagate
    `tensor.collapse_shape`/`expand_shape` through linalg ops: that turns a
    `linalg.matmul` over a reshaped stacked tensor (the GEMM over all steps
    after a loop) into a 4-loop `linalg.generic` that no BLAS call can take.

    A value with several users stays its own op after that step (fusing it
    into each user would compute it several times: a sigmoid and its
    derivative both read the sigmoid). With `multi-result` (the default),
    the elementwise ops that remain in a block are then merged into
    multi-result `linalg.generic`s: ops over the same static iteration space,
    all loops parallel, results written through identity maps without
    reading their initial values, bodies free of side effects. Each group is
    a run of such ops in program order, ended by the first other op that
    uses one of their results (a matmul reading an activation, the loop's
    yield); the merged op takes the place of the group's last op, computes
    every value once, reads a group value from the op that computed it
    (only through an identity map) and yields just the values used outside
    the group. The backward step of the optimised gated-RNN gradient goes
    from 13 elementwise loops to 4, its transcendental functions still
    computed once each.
  }];
  let options = [
    Option<"multiResult", "multi-result", "bool", /*default=*/"true",
           "Merge the elementwise ops left in a block into multi-result "
           "linalg.generic ops">,
  ];
  let statistics = [
    Statistic<"numMerged", "num-merged",
              "Elementwise ops merged into another">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def LowerStridedCopiesPass : Pass<"scan-lower-strided-copies"> {
  let summary = "Turn memref.copy between non-contiguous views into linalg.copy";
  let description = [{
    `memref.copy` between two contiguous buffers lowers to a `memcpy`; any
    other copy (a strided slice, a column block of a concatenation) lowers to
    a call of `memrefCopy` from `libmlir_c_runner_utils`, an element-by-
    element copy driven by descriptors. This pass rewrites those into
    `linalg.copy`, which `convert-linalg-to-loops` turns into plain loops that
    LLVM vectorises, and which need no runtime library. Copies whose source
    and target both have an identity layout or a static contiguous one are
    left as they are.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def ParallelizeElementwisePass
    : Pass<"scan-parallelize-elementwise", "mlir::ModuleOp"> {
  let summary = "Run large elementwise linalg ops on buffers on all threads "
                "(omp.parallel)";
  let description = [{
    Runs after bufferization, before `convert-linalg-to-loops`. A linalg op
    (`linalg.generic` or a named op such as `linalg.fill` or `linalg.copy`)
    qualifies when it works on memrefs, every one of its loops is parallel
    (no reduction), its loop ranges are static and cover at least
    `min-elements` iterations, and it is not already inside a parallel
    loop or region. A `memref.copy` of a static shape with at least
    `min-elements` elements, outside parallel regions, becomes a
    `linalg.copy` that qualifies: one `memcpy` would take one core while
    the others wait (a recurrence's carry, copied into its stacked
    per-step output on every step). Each qualifying op is tiled over its
    leading loops:

    * when the loops other than the innermost have at least 32 iterations
      together: tiles of size 1 along the fewest leading loops that give at
      least 32 tiles, never the innermost loop, which stays a sequential
      loop that LLVM vectorises;
    * otherwise (rank 1, or few rows such as 2 x 10000): size 1 along every
      leading loop and chunks of the innermost loop, `ceil(N / 64)`
      iterations for the op's N rounded up to a multiple of 16.

    The tiles run in an `omp.parallel` region: thread `t` of `n`
    (`omp_get_thread_num`, `omp_get_num_threads` from libomp) runs tiles
    `[N t / n, N (t + 1) / n)` of the `N` in an `scf.for`. The tile itself
    stays a linalg op on subviews, which `convert-linalg-to-loops` lowers as
    before. libomp runs the region on the thread team that
    `libScanRuntime.so`'s GEMM kernel uses too. Unlike upstream
    `convert-scf-to-openmp` (`omp.wsloop`), the region asks libomp for no
    loop schedule and has no barrier besides its join: a fork-join costs
    about 0.6 us on two cores, against 1.9 us for an `omp.wsloop`.
    Smaller ops, reductions and ops with dynamic shapes stay serial. The
    default threshold is where the cheapest op, one `arith.addf` over two
    f32 arrays, breaks even on two cores (2.3 ms for 2000 steps of 16384
    elements either way; 4.5 against 3.5 ms at 32768); an op with a `tanh`
    already gains from 8192 elements (4.7 against 3.6 ms).

    ```mlir
    linalg.generic {indexing_maps = [#id, #id],
                    iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<80x1000xf32>) outs(%b : memref<80x1000xf32>) {...}
    ```
    becomes
    ```mlir
    omp.parallel {
      %t = func.call @omp_get_thread_num() : () -> i32
      %n = func.call @omp_get_num_threads() : () -> i32
      // %begin = 80 * t / n, %end = 80 * (t + 1) / n
      scf.for %i = %begin to %end step %c1 {
        %sa = memref.subview %a[%i, 0] [1, 1000] [1, 1] : ...
        %sb = memref.subview %b[%i, 0] [1, 1000] [1, 1] : ...
        linalg.generic {...} ins(%sa : ...) outs(%sb : ...) {...}
      }
      omp.terminator
    }
    ```
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"16384",
           "Iterations an elementwise op needs to run in parallel">
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect",
    "mlir::arith::ArithDialect",
    "mlir::func::FuncDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::memref::MemRefDialect",
    "mlir::omp::OpenMPDialect",
    "mlir::scf::SCFDialect"
  ];
  let statistics = [
    Statistic<"numParallelized", "num-parallelized",
              "Elementwise ops run in omp.parallel regions">
  ];
}

def ApproximateMathPass : Pass<"scan-approximate-math"> {
  let summary = "Replace f32 transcendental math ops by polynomials";
  let description = [{
    Rewrites f32 `math.tanh`, `math.exp`, `math.log`, ... (scalar or vector)
    into arithmetic-only polynomial approximations (upstream
    `populateMathPolynomialApproximationPatterns`), so that the loops of
    fused elementwise ops contain no library calls and LLVM can vectorise
    them. f64 ops are left alone.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::math::MathDialect",
    "mlir::vector::VectorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// CUDA lowering (lib/Conversion/ToCUDA)
//===----------------------------------------------------------------------===//

def ConvertLinalgMatmulToCUBLASPass
    : Pass<"convert-linalg-matmul-to-cublas", "mlir::ModuleOp"> {
  let summary = "Turn linalg.matmul on device buffers into cuBLAS GEMM calls";
  let description = [{
    Rewrites every `linalg.matmul` with buffer semantics whose operands are
    f32 (or f64) memrefs with unit inner stride into a call to
    `scancuda_sgemm` (`scancuda_dgemm`) of the CUDA runtime. The call takes
    exactly the arguments of `cublasSgemm`, which is column-major: a row-major
    `C(MxN) += op(A)(MxK) op(B)(KxN)` is the column-major product
    `C^T = op(B)^T op(A)^T`, so the call passes B before A, swaps M and N, and
    uses each operand's row stride as its leading dimension. Transposed
    operands (`indexing_maps` with `(d2, d0)` for A or `(d1, d2)` for B) only
    flip the corresponding transpose flag; no data is moved. `beta` is 1
    because `linalg.matmul` accumulates into its `outs` operand, except when
    a `linalg.fill` with zero writes that operand right before (and no input
    reads its buffer): the fill is then dropped and `beta` is 0.

    Pointers and leading dimensions are passed as `index` values (device
    addresses, element offset included). A matmul that does not fit (other
    element types, broadcast maps, a non-unit inner stride) is left alone
    with a remark and later becomes a plain GPU kernel.

    ```mlir
    linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>)
                  outs(%c : memref<8x32xf32>)
    // becomes (N=32, M=8, K=16; ldb=32, lda=16, ldc=32)
    func.call @scancuda_sgemm(%false, %false, %c32, %c8, %c16, %one,
                              %pb, %c32, %pa, %c16, %one, %pc, %c32)
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numConverted", "num-converted",
              "Matmuls turned into cuBLAS calls">,
    Statistic<"numZeroBeta", "num-zero-beta",
              "Zero fills folded into a GEMM with beta = 0">
  ];
}

def SplitFullReductionsPass
    : Pass<"scan-split-full-reductions", "mlir::func::FuncOp"> {
  let summary = "Split reductions of every dimension into two stages";
  let description = [{
    A `linalg.reduce` on tensors that reduces every dimension of a rank >= 2
    float tensor into a rank-0 tensor has no parallel loop; on the GPU it
    runs as a single thread over all elements. This pass rewrites it into a
    reduction of the inner dimensions into `tensor<d0>` (started from the
    combiner's neutral element), which runs one thread per leading index,
    followed by the reduction of those partial results into the original
    init. Only single-op combiners with a known neutral element are split:
    `arith.addf` (0), `arith.mulf` (1), `arith.maximumf`/`maxnumf` (-inf),
    `arith.minimumf`/`minnumf` (+inf). The order of the floating-point
    operations changes accordingly.

    ```mlir
    %s = linalg.reduce ins(%x : tensor<80x1000xf32>) outs(%init : tensor<f32>)
           dimensions = [0, 1] (%in: f32, %acc: f32) { ... arith.addf ... }
    // becomes
    %p = linalg.reduce ins(%x : tensor<80x1000xf32>) outs(%zeros : tensor<80xf32>)
           dimensions = [1] (...) { ... }
    %s = linalg.reduce ins(%p : tensor<80xf32>) outs(%init : tensor<f32>)
           dimensions = [0] (...) { ... }
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def GPUDeviceMemoryPass : Pass<"scan-gpu-device-memory", "mlir::ModuleOp"> {
  let summary = "Place every buffer of host functions in GPU memory";
  let description = [{
    Device-resident convention of the CUDA target: every memref that a host
    function receives, allocates or returns lives in GPU global memory.
    This pass makes that true after bufferization:
    - `memref.alloc`/`memref.dealloc` become `gpu.alloc`/`gpu.dealloc`;
    - `memref.copy` between contiguous identity-layout buffers becomes a
      device-to-device `gpu.memcpy`, any other copy a `linalg.copy` (which
      later becomes a kernel);
    - `memref.get_global` (a constant in host memory) becomes a fresh device
      buffer filled by a host-to-device `gpu.memcpy`.
    Code in `gpu.module`s and `gpu.launch` bodies is not touched. A
    `memref.alloca` in host code is rejected with an error, since kernels
    cannot read the host stack.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect"];
}

def MapParallelLoopsToGPUPass
    : Pass<"scan-map-parallel-loops-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Tile and map host loops to GPU blocks and threads";
  let description = [{
    Prepares the loops that `convert-linalg-to-parallel-loops` produced for
    `convert-parallel-loops-to-gpu`:
    - every outermost `scf.parallel` is tiled so that its inner loop covers
      `block-size` iterations (the innermost dimension first), without
      min/max bounds (the tail is guarded by `scf.if`); the outer loop is
      mapped to the grid (innermost dimension to x) and the inner one to
      threads; dimensions beyond three stay sequential, and so does a y or
      z grid dimension of more than 65535 blocks (CUDA's limit);
    - before that, a sequential `scf.for` whose body is one `scf.parallel`
      (a reduction over an outer dimension, e.g. a bias gradient
      `[T*B, D] -> [D]`) is interchanged into `scf.parallel { scf.for }`
      when each parallel iteration owns the locations it stores to: one
      kernel launch instead of one per sequential iteration;
    - any other host loop nest that reads or writes memory (a reduction
      with no parallel dimension, for instance) is wrapped into a
      `gpu.launch` of one thread, so no host code touches device memory.
    Loops that contain calls or GPU operations (the time loop of a scan)
    are host control flow and are only looked into.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::affine::AffineDialect"];
  let options = [Option<"blockSize", "block-size", "int64_t", "256",
                        "Threads per block of the generated kernels">];
  let statistics = [
    Statistic<"numMapped", "num-mapped", "Parallel loops mapped to GPU">,
    Statistic<"numInterchanged", "num-interchanged",
              "Sequential loops moved inside the parallel loop they held">,
    Statistic<"numSerial", "num-serial",
              "Loop nests wrapped into one-thread kernels">
  ];
}

def GPUSingleStreamPass : Pass<"scan-gpu-single-stream", "mlir::func::FuncOp"> {
  let summary = "Order every GPU operation of a function on one stream";
  let description = [{
    Makes every `gpu.alloc`, `gpu.dealloc`, `gpu.memcpy`, `gpu.memset` and
    `gpu.launch_func` of a host function asynchronous, all depending on one
    token created at function entry (`gpu.wait async`, i.e.
    `mgpuStreamCreate`). Since all of them then run on one in-order stream
    (with the runtime's cuBLAS calls, which use the same stream), no host
    synchronisation is needed between them, not even inside loops. Before
    each `func.return` a `gpu.wait [%token]` waits for the stream.

    Scalar reads and writes of device buffers left in host code (a
    `memref.load` or `memref.store` on a buffer with one element and identity
    layout, as in `tensor.extract %sum[]`) become copies through a host
    stack slot; a read waits for the stream first. Any other host access to
    a memref is an error.

    Unlike upstream `gpu-async-region`, this pass does not synchronise before
    each call or at the end of each loop iteration. It relies on the CUDA
    runtime of this project, whose `mgpuStreamCreate` returns its single
    stream and whose `mgpuStreamDestroy` leaves that stream alive.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect",
                           "mlir::memref::MemRefDialect"];
}

#endif // SCAN_CONVERSION_PASSES_TD
