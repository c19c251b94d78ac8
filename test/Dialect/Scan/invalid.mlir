// RUN: scan-opt %s --split-input-file --verify-diagnostics

// A carry needs a result.
func.func @fewer_results_than_carries(%h0: tensor<2xf32>) {
  // expected-error @below {{'scan.scan' op expects at least one result per carry (1), found 0}}
  scan.scan length(3) carries(%h = %h0 : tensor<2xf32>) {
    scan.yield %h : tensor<2xf32>
  }
  return
}

// -----

// Unranked tensors are rejected by the operand type constraint.
func.func @unranked_carry(%h0: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @below {{operand #0 must be variadic of ranked tensor of any type values}}
  %r = scan.scan length(3) carries(%h = %h0 : tensor<*xf32>) -> tensor<*xf32> {
    scan.yield %h : tensor<*xf32>
  }
  return %r : tensor<*xf32>
}

// -----

// Dynamic shapes are not supported.
func.func @dynamic_sequence(%xs: tensor<?x4xf32>) {
  // expected-error @below {{'scan.scan' op requires static shapes, but operand #0 has type 'tensor<?x4xf32>'}}
  scan.scan sequences(%x = %xs : tensor<?x4xf32>) {
    scan.yield
  }
  return
}

// -----

// With no sequences and no per-step outputs, `length` must give the trip count.
func.func @unknown_trip_count(%h0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'scan.scan' op cannot infer the trip count: with no sequences and no per-step outputs, give `length(T)`}}
  %r = scan.scan carries(%h = %h0 : tensor<2xf32>) -> tensor<2xf32> {
    scan.yield %h : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

// A sequence must have a leading dimension to slice.
func.func @rank0_sequence(%xs: tensor<f32>) {
  // expected-error @below {{sequence must be a ranked tensor of rank >= 1, got 'tensor<f32>'}}
  scan.scan sequences(%x = %xs : tensor<f32>) {
    scan.yield
  }
  return
}

// -----

// The same, written in generic form, is caught by the verifier.
func.func @rank0_sequence_generic(%xs: tensor<f32>) {
  // expected-error @below {{'scan.scan' op sequence #0 must have rank >= 1, got 'tensor<f32>'}}
  "scan.scan"(%xs) <{length = 2 : i64, operandSegmentSizes = array<i32: 0, 1>}> ({
  ^bb0(%x: tensor<f32>):
    "scan.yield"() : () -> ()
  }) : (tensor<f32>) -> ()
  return
}

// -----

// Sequences must not be empty.
func.func @empty_sequence(%xs: tensor<0x4xf32>) {
  // expected-error @below {{'scan.scan' op sequence #0 is empty (length 0)}}
  scan.scan sequences(%x = %xs : tensor<0x4xf32>) {
    scan.yield
  }
  return
}

// -----

// `length` must be positive.
func.func @zero_length(%h0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{length must be positive, got 0}}
  %r = scan.scan length(0) carries(%h = %h0 : tensor<2xf32>) -> tensor<2xf32> {
    scan.yield %h : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

// All sequences walk the same number of steps.
func.func @mismatched_sequence_lengths(%xs: tensor<5x4xf32>, %ys: tensor<6x4xf32>) {
  // expected-error @below {{'scan.scan' op sequence #1 has length 6, but sequence #0 gives 5 steps}}
  scan.scan sequences(%x = %xs : tensor<5x4xf32>, %y = %ys : tensor<6x4xf32>) {
    scan.yield
  }
  return
}

// -----

// An explicit `length` must agree with the sequences.
func.func @length_disagrees_with_sequence(%xs: tensor<5x4xf32>) {
  // expected-error @below {{'scan.scan' op sequence #0 has length 5, but length gives 3 steps}}
  scan.scan length(3) sequences(%x = %xs : tensor<5x4xf32>) {
    scan.yield
  }
  return
}

// -----

// A stacked output has the trip count as its leading dimension.
func.func @output_wrong_length(%xs: tensor<5x4xf32>) -> tensor<6x4xf32> {
  // expected-error @below {{'scan.scan' op per-step output #0 must be stacked along a leading dimension of 5 steps, got 'tensor<6x4xf32>'}}
  %r = scan.scan sequences(%x = %xs : tensor<5x4xf32>) -> tensor<6x4xf32> {
    scan.yield %x : tensor<4xf32>
  }
  return %r : tensor<6x4xf32>
}

// -----

// The final carry has the type of the initial one.
func.func @carry_result_type(%h0: tensor<2xf32>) -> tensor<2xf64> {
  // expected-error @below {{'scan.scan' op carry #0 has initial type 'tensor<2xf32>' but result type 'tensor<2xf64>'}}
  %r = scan.scan length(2) carries(%h = %h0 : tensor<2xf32>) -> tensor<2xf64> {
    scan.yield %h : tensor<2xf32>
  }
  return %r : tensor<2xf64>
}

// -----

// The body takes one argument per carry and per sequence.
func.func @body_argument_count(%h0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'scan.scan' op body expects 1 arguments (1 carries + 0 sequence slices), found 2}}
  %r = "scan.scan"(%h0) <{length = 2 : i64, operandSegmentSizes = array<i32: 1, 0>}> ({
  ^bb0(%h: tensor<2xf32>, %extra: tensor<2xf32>):
    "scan.yield"(%h) : (tensor<2xf32>) -> ()
  }) : (tensor<2xf32>) -> tensor<2xf32>
  return %r : tensor<2xf32>
}

// -----

// A carry's block argument has the carry's type.
func.func @body_carry_type(%h0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'scan.scan' op body argument #0 (carry) has type 'tensor<3xf32>', expected 'tensor<2xf32>'}}
  %r = "scan.scan"(%h0) <{length = 2 : i64, operandSegmentSizes = array<i32: 1, 0>}> ({
  ^bb0(%h: tensor<3xf32>):
    "scan.yield"(%h0) : (tensor<2xf32>) -> ()
  }) : (tensor<2xf32>) -> tensor<2xf32>
  return %r : tensor<2xf32>
}

// -----

// A sequence's block argument is one slice of the sequence.
func.func @body_slice_type(%xs: tensor<5x4xf32>) {
  // expected-error @below {{'scan.scan' op body argument #0 (slice of sequence #0) has type 'tensor<5x4xf32>', expected 'tensor<4xf32>'}}
  "scan.scan"(%xs) <{operandSegmentSizes = array<i32: 0, 1>}> ({
  ^bb0(%x: tensor<5x4xf32>):
    "scan.yield"() : () -> ()
  }) : (tensor<5x4xf32>) -> ()
  return
}

// -----

// The body ends with scan.yield.
func.func @body_terminator(%xs: tensor<5x4xf32>) {
  // expected-error @below {{'scan.scan' op body must end with scan.yield}}
  "scan.scan"(%xs) <{operandSegmentSizes = array<i32: 0, 1>}> ({
  ^bb0(%x: tensor<4xf32>):
    "llvm.unreachable"() : () -> ()
  }) : (tensor<5x4xf32>) -> ()
  return
}

// -----

// scan.yield gives one value per carry and per stacked output.
func.func @yield_arity(%h0: tensor<2xf32>, %xs: tensor<5x2xf32>) -> (tensor<2xf32>, tensor<5x2xf32>) {
  %r:2 = scan.scan carries(%h = %h0 : tensor<2xf32>) sequences(%x = %xs : tensor<5x2xf32>)
      -> (tensor<2xf32>, tensor<5x2xf32>) {
    // expected-error @below {{'scan.yield' op yields 1 values, expected 2 (1 carries + 1 per-step outputs)}}
    scan.yield %h : tensor<2xf32>
  }
  return %r#0, %r#1 : tensor<2xf32>, tensor<5x2xf32>
}

// -----

// A carry is yielded with its own type.
func.func @yield_carry_type(%h0: tensor<2xf32>, %xs: tensor<5x3xf32>) -> tensor<2xf32> {
  %r = scan.scan carries(%h = %h0 : tensor<2xf32>) sequences(%x = %xs : tensor<5x3xf32>)
      -> tensor<2xf32> {
    // expected-error @below {{'scan.yield' op carry #0 is yielded with type 'tensor<3xf32>', expected 'tensor<2xf32>'}}
    scan.yield %x : tensor<3xf32>
  }
  return %r : tensor<2xf32>
}

// -----

// Per-step outputs are ranked tensors.
func.func @yield_output_not_tensor(%xs: tensor<5xf32>) -> tensor<5xf32> {
  %r = scan.scan sequences(%x = %xs : tensor<5xf32>) -> tensor<5xf32> {
    %e = tensor.extract %x[] : tensor<f32>
    // expected-error @below {{'scan.yield' op per-step output #0 must be a ranked tensor, got 'f32'}}
    scan.yield %e : f32
  }
  return %r : tensor<5xf32>
}

// -----

// A per-step output stacks to the type of its scan result.
func.func @yield_output_type(%xs: tensor<5x3xf32>) -> tensor<5x3xf64> {
  %r = scan.scan sequences(%x = %xs : tensor<5x3xf32>) -> tensor<5x3xf64> {
    // expected-error @below {{'scan.yield' op per-step output #0 of type 'tensor<3xf32>' stacks to 'tensor<5x3xf32>', but the scan result has type 'tensor<5x3xf64>'}}
    scan.yield %x : tensor<3xf32>
  }
  return %r : tensor<5x3xf64>
}

// -----

// scan.yield only ends scan.scan bodies.
func.func @yield_outside_scan() {
  // expected-error @below {{'scan.yield' op expects parent op 'scan.scan'}}
  scan.yield
}

// -----

func.func @cost(%x: tensor<4xf32>, %n: tensor<4xi32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// scan.grad needs at least one argument to differentiate against.
func.func @grad_empty_wrt(%x: tensor<4xf32>, %n: tensor<4xi32>) {
  // expected-error @below {{'scan.grad' op needs at least one argument index in 'wrt'}}
  scan.grad @cost(%x, %n) wrt [] : (tensor<4xf32>, tensor<4xi32>) -> ()
  return
}

// -----

func.func @cost(%x: tensor<4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// A 'wrt' index names an argument.
func.func @grad_wrt_out_of_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.grad' op 'wrt' index 1 is out of range for 1 arguments}}
  %g = scan.grad @cost(%x) wrt [1] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @cost(%x: tensor<4xf32>, %y: tensor<4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// 'wrt' indices are strictly increasing (no repeats).
func.func @grad_wrt_not_increasing(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-error @below {{'scan.grad' op 'wrt' indices must be strictly increasing, got 1 then 0}}
  %g:2 = scan.grad @cost(%x, %y) wrt [1, 0] : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %g#0, %g#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @cost(%x: tensor<4xf32>, %n: tensor<4xi32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// No gradient with respect to an integer argument.
func.func @grad_wrt_integer(%x: tensor<4xf32>, %n: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @below {{'scan.grad' op cannot differentiate with respect to argument #1 of non-float type 'tensor<4xi32>'}}
  %g = scan.grad @cost(%x, %n) wrt [1] : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi32>
  return %g : tensor<4xi32>
}

// -----

func.func @cost(%x: tensor<4xf32>, %y: tensor<4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// One result per 'wrt' index.
func.func @grad_result_count(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.grad' op expects one result per 'wrt' index (2), found 1}}
  %g = scan.grad @cost(%x, %y) wrt [0, 1] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @cost(%x: tensor<4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// A gradient has the type of its argument.
func.func @grad_result_type(%x: tensor<4xf32>) -> tensor<4xf64> {
  // expected-error @below {{'scan.grad' op result #0 has type 'tensor<4xf64>', but argument #0 has type 'tensor<4xf32>'}}
  %g = scan.grad @cost(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf64>
  return %g : tensor<4xf64>
}

// -----

// The callee must exist.
func.func @grad_unknown_callee(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.grad' op 'missing' does not reference a known function}}
  %g = scan.grad @missing(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

memref.global "private" @not_a_function : memref<4xf32>

// The callee must be a func.func.
func.func @grad_callee_not_func(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.grad' op 'not_a_function' is not a func.func}}
  %g = scan.grad @not_a_function(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @cost(%x: tensor<4xf32>, %y: tensor<4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// The operands are the callee's arguments, all of them.
func.func @grad_wrong_arity(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.grad' op @cost takes 2 arguments, but 1 were given}}
  %g = scan.grad @cost(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @cost(%x: tensor<4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// The operands have the callee's argument types.
func.func @grad_operand_type(%x: tensor<5xf32>) -> tensor<5xf32> {
  // expected-error @below {{'scan.grad' op operand #0 has type 'tensor<5xf32>', but @cost expects 'tensor<4xf32>'}}
  %g = scan.grad @cost(%x) wrt [0] : (tensor<5xf32>) -> tensor<5xf32>
  return %g : tensor<5xf32>
}

// -----

func.func @not_scalar(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// The callee returns one scalar float.
func.func @grad_non_scalar_cost(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.grad' op @not_scalar must return a single scalar float (f32, f64 or a rank-0 float tensor), but returns ('tensor<4xf32>')}}
  %g = scan.grad @not_scalar(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @int_cost(%x: tensor<4xf32>) -> i32 {
  %c = arith.constant 0 : i32
  return %c : i32
}

// An integer cost has no gradient.
func.func @grad_integer_cost(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.grad' op @int_cost must return a single scalar float (f32, f64 or a rank-0 float tensor), but returns ('i32')}}
  %g = scan.grad @int_cost(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// An empty body is rejected (it has no scan.yield).
func.func @empty_body(%xs: tensor<5x4xf32>) {
  // expected-error @below {{'scan.scan' op expects a non-empty block}}
  "scan.scan"(%xs) <{operandSegmentSizes = array<i32: 0, 1>}> ({
  ^bb0(%x: tensor<4xf32>):
  }) : (tensor<5x4xf32>) -> ()
  return
}

// -----

// `reverse` written after the bindings: the error says where it goes.
func.func @reverse_after_sequences(%h0: tensor<2xf32>, %xs: tensor<3x2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'reverse' goes right after 'scan.scan': scan.scan [reverse] [length(N)] [carries(...)] [sequences(...)] [-> types] { body }}}
  %r = scan.scan carries(%h = %h0 : tensor<2xf32>) sequences(%x = %xs : tensor<3x2xf32>) reverse -> tensor<2xf32> {
    scan.yield %h : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

// `reverse` after `length(N)`.
func.func @reverse_after_length(%h0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'reverse' goes right after 'scan.scan'}}
  %r = scan.scan length(3) reverse carries(%h = %h0 : tensor<2xf32>) -> tensor<2xf32> {
    scan.yield %h : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

// `reverse` after the result types, right before the body.
func.func @reverse_before_body(%h0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'reverse' goes right after 'scan.scan'}}
  %r = scan.scan length(3) carries(%h = %h0 : tensor<2xf32>) -> tensor<2xf32> reverse {
    scan.yield %h : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

// `length(N)` after the carries.
func.func @length_after_carries(%h0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'length' goes after 'reverse' and before 'carries'}}
  %r = scan.scan carries(%h = %h0 : tensor<2xf32>) length(3) -> tensor<2xf32> {
    scan.yield %h : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

// `carries` after the sequences.
func.func @carries_after_sequences(%h0: tensor<2xf32>, %xs: tensor<3x2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'carries' goes after 'length(N)' and before 'sequences'}}
  %r = scan.scan sequences(%x = %xs : tensor<3x2xf32>) carries(%h = %h0 : tensor<2xf32>) -> tensor<2xf32> {
    scan.yield %h : tensor<2xf32>
  }
  return %r : tensor<2xf32>
}

// -----

// scan.stop_gradient takes floats only.
func.func @stop_gradient_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @below {{'scan.stop_gradient' op operand #0 must be}}
  %y = scan.stop_gradient %x : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @vf(%x: tensor<4xf32>) -> (tensor<4xf32>, f32) {
  %c = arith.constant 1.0 : f32
  return %x, %c : tensor<4xf32>, f32
}
func.func @vjp_too_few_cotangents(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.vjp' op @vf returns 2 results, but 1 cotangents were given}}
  %y, %dx = scan.vjp @vf(%x) cotangents(%dy) wrt [0] : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %dx : tensor<4xf32>
}

// -----

func.func @vf(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @vjp_cotangent_type(%x: tensor<4xf32>, %dy: tensor<4xf64>) -> tensor<4xf32> {
  // expected-error @below {{'scan.vjp' op cotangent #0 has type 'tensor<4xf64>', but result #0 has type 'tensor<4xf32>'}}
  %y, %dx = scan.vjp @vf(%x) cotangents(%dy) wrt [0] : (tensor<4xf32>, tensor<4xf64>) -> (tensor<4xf32>, tensor<4xf32>)
  return %dx : tensor<4xf32>
}

// -----

func.func @vf(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @vjp_gradient_type(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf64> {
  // expected-error @below {{'scan.vjp' op gradient result #0 has type 'tensor<4xf64>', but argument #0 has type 'tensor<4xf32>'}}
  %y, %dx = scan.vjp @vf(%x) cotangents(%dy) wrt [0] : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf64>)
  return %dx : tensor<4xf64>
}

// -----

func.func @vi(%x: tensor<4xf32>) -> tensor<4xi32> {
  %c = arith.constant dense<1> : tensor<4xi32>
  return %c : tensor<4xi32>
}
func.func @vjp_int_result(%x: tensor<4xf32>, %dy: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.vjp' op cotangent #0 has non-float type 'tensor<4xi32>'}}
  %y, %dx = scan.vjp @vi(%x) cotangents(%dy) wrt [0] : (tensor<4xf32>, tensor<4xi32>) -> (tensor<4xi32>, tensor<4xf32>)
  return %dx : tensor<4xf32>
}

// -----

func.func @vf(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @vjp_wrt_range(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.vjp' op 'wrt' index 1 is out of range for 1 arguments}}
  %y, %dx = scan.vjp @vf(%x) cotangents(%dy) wrt [1] : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %dx : tensor<4xf32>
}
