//===- ScanOps.td - scan dialect operations -----------------*- tablegen -*-===//
//
// scan.scan, scan.yield, scan.grad, scan.vjp and scan.stop_gradient. The
// verifiers and the custom assembly format of scan.scan live in
// lib/Dialect/Scan/IR/ScanOps.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_DIALECT_SCAN_IR_SCANOPS_TD
#define SCAN_DIALECT_SCAN_IR_SCANOPS_TD

include "scan/Dialect/Scan/IR/ScanDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/LoopLikeInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// ScanOp
//===----------------------------------------------------------------------===//

def Scan_ScanOp : Scan_Op<"scan", [
    AttrSizedOperandSegments,
    RecursiveMemoryEffects,
    RecursivelySpeculatable,
    SingleBlock,
    DeclareOpInterfaceMethods<RegionBranchOpInterface,
                              ["getEntrySuccessorOperands"]>,
    DeclareOpInterfaceMethods<LoopLikeOpInterface,
                              ["getInitsMutable", "getRegionIterArgs",
                               "getYieldedValuesMutable", "getLoopResults"]>
  ]> {
  let summary = "Loop over the leading dimension of sequences";
  let description = [{
    `scan.scan` runs its body once per step `t = 0 .. T-1` (or `T-1 .. 0` with
    `reverse`). It threads *carries* from one step to the next, reads one
    slice of every *sequence* per step, and stacks *per-step outputs*.

    * Operands: the initial carries, then the sequences. Every sequence has
      the same static leading dimension `T`, the trip count; step `t` reads
      `seq[t]`, a tensor of the sequence's type without its leading dimension.
    * Body block arguments: one per carry (the carry's type), then one per
      sequence (the slice type).
    * `scan.yield`: the new carries, then the per-step outputs.
    * Results: the final carries, then each per-step output stacked along a new
      leading dimension of size `T`: output `y` of type `tensor<AxB>` becomes
      a result of type `tensor<TxAxB>`, and step `t` writes index `t` (also
      when running in `reverse`).
    * Values defined above the op are loop invariants (weights) and may be
      used directly in the body.
    * `length(T)` states the trip count explicitly. It is required only when
      the op has neither sequences nor per-step outputs to read `T` from, and
      must agree with them otherwise.

    Syntax (the clauses in square brackets are optional, and come in this
    order):

    ```
    scan-op      ::= `scan.scan` `reverse`? (`length` `(` integer `)`)?
                     (`carries` `(` binding (`,` binding)* `)`)?
                     (`sequences` `(` binding (`,` binding)* `)`)?
                     (`->` type-list)? region (`attributes` attr-dict)?
    binding      ::= ssa-id `=` ssa-use `:` type
    ```

    A carry binding `%h = %h0 : T` names the body's block argument `%h` of
    type `T`, initialised from `%h0`. A sequence binding `%x = %xs : T` names
    the block argument `%x` of the slice type (`T` without its leading
    dimension): the type written is that of the sequence operand `%xs`. The
    result types list the final carries, then the stacked outputs.

    The verifier enforces: ranked tensor types with static shapes for every
    operand and result, `T >= 1`, sequences of equal length, block arguments
    of the types above, a `scan.yield` with one value per carry and per
    output, carry types that match between init, block argument, yield and
    result, and stacked result types that match the yielded outputs.

    Example: a simple (Elman) RNN over 50 steps, keeping every hidden state.

    ```mlir
    %hT, %hs = scan.scan carries(%h = %h0 : tensor<80x1000xf32>)
                         sequences(%xt = %x : tensor<50x80x1000xf32>)
                         -> (tensor<80x1000xf32>, tensor<50x80x1000xf32>) {
      %zero = arith.constant dense<0.0> : tensor<80x1000xf32>
      %hw = linalg.matmul ins(%h, %W : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                          outs(%zero : tensor<80x1000xf32>) -> tensor<80x1000xf32>
      %pre = arith.addf %xt, %hw : tensor<80x1000xf32>
      %hn = math.tanh %pre : tensor<80x1000xf32>
      scan.yield %hn, %hn : tensor<80x1000xf32>, tensor<80x1000xf32>
    }
    ```

    Example: a loop that runs backward over 5 steps without sequences, so its
    trip count is given with `length`; it reads nothing per step and stacks
    the carry of every step (index `t` holds step `t`'s value).

    ```mlir
    %g, %gs = scan.scan reverse length(5) carries(%acc = %g0 : tensor<4xf32>)
                        -> (tensor<4xf32>, tensor<5x4xf32>) {
      %next = arith.mulf %acc, %decay : tensor<4xf32>
      scan.yield %next, %acc : tensor<4xf32>, tensor<4xf32>
    }
    ```
  }];

  let arguments = (ins Variadic<AnyRankedTensor>:$initCarries,
                       Variadic<AnyRankedTensor>:$sequences,
                       UnitAttr:$reverse,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$length);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);

  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let skipDefaultBuilders = 1;

  let builders = [
    // Builds the op with an entry block whose arguments are the carries and
    // the sequence slices; the caller fills in the body and its scan.yield.
    OpBuilder<(ins "::mlir::TypeRange":$resultTypes,
                   "::mlir::ValueRange":$initCarries,
                   "::mlir::ValueRange":$sequences,
                   CArg<"bool", "false">:$reverse,
                   CArg<"std::optional<int64_t>", "std::nullopt">:$length)>
  ];

  let extraClassDeclaration = [{
    /// The single block of the body.
    ::mlir::Block *getBodyBlock() { return &getBody().front(); }
    /// The terminator of the body.
    YieldOp getYieldOp();

    unsigned getNumCarries() { return getInitCarries().size(); }
    unsigned getNumSequences() { return getSequences().size(); }
    unsigned getNumOutputs() { return getNumResults() - getNumCarries(); }

    /// Body arguments: carries first, then one slice per sequence.
    ::mlir::Block::BlockArgListType getCarryArgs() {
      return getBodyBlock()->getArguments().take_front(getNumCarries());
    }
    ::mlir::Block::BlockArgListType getSequenceArgs() {
      return getBodyBlock()->getArguments().drop_front(getNumCarries());
    }
    /// Results: final carries first, then the stacked per-step outputs.
    ::mlir::ResultRange getCarryResults() {
      return getResults().take_front(getNumCarries());
    }
    ::mlir::ResultRange getOutputResults() {
      return getResults().drop_front(getNumCarries());
    }

    /// Checks block arguments and the terminator against the operands.
    ::mlir::LogicalResult verifyBody(int64_t tripCount);

    /// The trip count T, read from `length`, the sequences or the outputs.
    /// Returns std::nullopt only on ops that fail verification.
    std::optional<int64_t> getTripCount();

    /// Creates, right before this scan, the scan that `rebuild` describes
    /// and moves the body into it: the block arguments of dropped carries
    /// are replaced, those of dropped sequences erased, new slices appended;
    /// the yield loses the values of dropped carries and outputs and gains
    /// the new outputs. The trip count stays explicit where nothing else
    /// would state it. `replacements` receives, per result of this scan,
    /// the matching new result, or null for a dropped one: this scan is
    /// left without a body, for the caller to replace right away.
    ScanOp rebuild(::mlir::RewriterBase &rewriter,
                   const ::mlir::scan::ScanRebuild &rebuild,
                   ::llvm::SmallVectorImpl<::mlir::Value> &replacements);

    /// Replaces this scan with one that also stacks `newOutputs` (values
    /// available at the end of the body) as trailing per-step outputs and
    /// also reads `newSequences` as trailing sequences, whose slices become
    /// trailing block arguments. The body moves to the new op; uses of the
    /// old results are redirected to the matching leading results.
    ScanOp appendOutputsAndSequences(::mlir::RewriterBase &rewriter,
                                     ::mlir::ValueRange newOutputs,
                                     ::mlir::ValueRange newSequences);

    /// The type of one step's slice of a sequence (or of a stacked output).
    static ::mlir::RankedTensorType getSliceType(::mlir::RankedTensorType stacked);
    /// The type of `T` stacked values of type `step`.
    static ::mlir::RankedTensorType getStackedType(::mlir::RankedTensorType step,
                                                   int64_t tripCount);
  }];
}

//===----------------------------------------------------------------------===//
// YieldOp
//===----------------------------------------------------------------------===//

def Scan_YieldOp : Scan_Op<"yield", [
    Pure, Terminator, HasParent<"ScanOp">,
    DeclareOpInterfaceMethods<RegionBranchTerminatorOpInterface,
                              ["getMutableSuccessorOperands"]>
  ]> {
  let summary = "Terminator of scan.scan: next carries, then per-step outputs";
  let description = [{
    Ends a `scan.scan` body. Its operands are the carries for the next step
    (one per carry, of the carry's type) followed by this step's per-step
    outputs (one per stacked result). Only the carries flow to the next step
    and to the final carry results; the outputs are stacked.

    ```mlir
    scan.yield %h_next, %h_next : tensor<80x1000xf32>, tensor<80x1000xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// GradOp
//===----------------------------------------------------------------------===//

def Scan_GradOp : Scan_Op<"grad", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>
  ]> {
  let summary = "Reverse-mode gradient of a function with a scalar result";
  let description = [{
    `scan.grad @f(%args) wrt [i, j, ...]` stands for the gradient of the
    function `@f`, evaluated at `%args`, with respect to its arguments
    `i, j, ...`. `@f` must be a `func.func` returning exactly one scalar
    float (`f32`, `f64`, or a rank-0 float tensor). There is one result per
    chosen argument, of that argument's type. `scan-differentiate` replaces
    the op with a call to a generated gradient function.

    The verifier enforces: `@f` exists and is a `func.func`; the operands
    match its argument types; it returns one scalar float; the indices in
    `wrt` are in range and strictly increasing; each chosen argument has a
    float type (or a tensor of floats); the result types match the chosen
    arguments.

    ```mlir
    %dU, %dW = scan.grad @gru_cost(%x, %h0, %U, %W) wrt [2, 3]
        : (tensor<50x80x1000xf32>, tensor<80x1000xf32>,
           tensor<1000x1000xf32>, tensor<1000x1000xf32>)
        -> (tensor<1000x1000xf32>, tensor<1000x1000xf32>)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee,
                       Variadic<AnyType>:$args,
                       DenseI64ArrayAttr:$wrt);
  let results = (outs Variadic<AnyType>:$gradients);
  let assemblyFormat = [{
    $callee `(` $args `)` `wrt` $wrt attr-dict `:` functional-type($args, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// VjpOp
//===----------------------------------------------------------------------===//

def Scan_VjpOp : Scan_Op<"vjp", [
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>
  ]> {
  let summary = "Vector-Jacobian product of a function with float results";
  let description = [{
    `scan.vjp @f(%args) cotangents(%cts) wrt [i, j, ...]` evaluates the
    function `@f` at `%args` and pulls the cotangents `%cts` (one per result
    of `@f`, of that result's type) back to its arguments `i, j, ...`: with
    `y = f(x)`, the gradient for argument `i` is the gradient of
    `sum_k <cts_k, y_k>` with respect to `x_i`. The op returns `@f`'s results
    first, then one gradient per chosen argument, of that argument's type,
    like `jax.vjp` followed by a call of the pullback. `scan.grad` is the
    special case of one scalar result with cotangent 1 (and no primal
    result). `scan-differentiate` replaces the op with a call to a generated
    function `@f_vjp_<i>_<j>...` that takes the arguments and the cotangents.

    The verifier enforces what `scan.grad` does for `wrt` and the chosen
    arguments, and: every result of `@f` has a float type (a float scalar or
    a tensor of floats); there is one cotangent per result of `@f`, of its
    type; the op's results are `@f`'s result types followed by the types of
    the chosen arguments.

    ```mlir
    %hs, %dx, %dW = scan.vjp @rnn_states(%x, %h0, %W) cotangents(%dhs) wrt [0, 2]
        : (tensor<50x80x1000xf32>, tensor<80x1000xf32>, tensor<1000x1000xf32>,
           tensor<50x80x1000xf32>)
        -> (tensor<50x80x1000xf32>, tensor<50x80x1000xf32>, tensor<1000x1000xf32>)
    ```
    The types are those of the arguments, then of the cotangents, to those of
    the results, then of the gradients.
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee,
                       Variadic<AnyType>:$args,
                       Variadic<AnyType>:$cotangents,
                       DenseI64ArrayAttr:$wrt);
  let results = (outs Variadic<AnyType>:$values);
  let assemblyFormat = [{
    $callee `(` $args `)` `cotangents` `(` $cotangents `)` `wrt` $wrt attr-dict
    `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The results of the function, then the gradients.
    ::mlir::ResultRange getPrimalResults() {
      return getResults().take_front(getCotangents().size());
    }
    ::mlir::ResultRange getGradients() {
      return getResults().drop_front(getCotangents().size());
    }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// StopGradientOp
//===----------------------------------------------------------------------===//

def Scan_StopGradientOp : Scan_Op<"stop_gradient", [
    Pure, AllTypesMatch<["input", "result"]>
  ]> {
  let summary = "Identity in value, zero gradient";
  let description = [{
    Returns its operand unchanged, but `scan-differentiate` treats the result
    as a constant: no gradient flows through it to the operand (like
    `jax.lax.stop_gradient`). The operand is a float scalar or a tensor of
    floats. `scan-differentiate` replaces every `scan.stop_gradient` by its
    operand once it has expanded the gradients, and the lowering to loops
    does the same for programs that are not differentiated. There is no
    folder, so canonicalisation before differentiation keeps the marker.

    ```mlir
    %y = scan.stop_gradient %x : tensor<4x8xf32>
    %s = scan.stop_gradient %c : f32
    ```
  }];
  let arguments = (ins AnyTypeOf<[AnyFloat, TensorOf<[AnyFloat]>]>:$input);
  let results = (outs AnyTypeOf<[AnyFloat, TensorOf<[AnyFloat]>]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

#endif // SCAN_DIALECT_SCAN_IR_SCANOPS_TD
