// RUN: scan-opt %s --split-input-file --scan-hoist-input-projections --mlir-print-local-scope | FileCheck %s
// RUN: scan-opt %s --split-input-file --scan-hoist-input-projections --verify-diagnostics -o /dev/null

// Shapes: T = 5 steps, batch B = 2, input size E = 3, hidden size D = 4.

// An Elman RNN with an input projection x_t . W_in: the projection of all
// steps is one (T*B) x E x D GEMM before the loop, read as a new sequence;
// the recurrent h . U stays.
// CHECK-LABEL: func.func @rnn_input_projection
//  CHECK-SAME:   %[[X:[a-z0-9_]+]]: tensor<5x2x3xf32>, %[[H0:[a-z0-9_]+]]: tensor<2x4xf32>, %[[WIN:[a-z0-9_]+]]: tensor<3x4xf32>, %[[U:[a-z0-9_]+]]: tensor<4x4xf32>
//       CHECK:   %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<5x2x3xf32> into tensor<10x3xf32>
//       CHECK:   %[[EMPTY:.*]] = tensor.empty() : tensor<10x4xf32>
//       CHECK:   %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<10x4xf32>)
//       CHECK:   %[[P:.*]] = linalg.matmul ins(%[[XC]], %[[WIN]] : tensor<10x3xf32>, tensor<3x4xf32>) outs(%[[ZERO]] : tensor<10x4xf32>)
//       CHECK:   %[[PS:.*]] = tensor.expand_shape %[[P]] {{\[}}[0, 1], [2]] output_shape [5, 2, 4] : tensor<10x4xf32> into tensor<5x2x4xf32>
//       CHECK:   scan.scan carries(%[[H:.*]] = %[[H0]] : tensor<2x4xf32>) sequences(%{{.*}} = %[[X]] : tensor<5x2x3xf32>, %[[PT:.*]] = %[[PS]] : tensor<5x2x4xf32>)
//       CHECK:     %[[HU:.*]] = linalg.matmul ins(%[[H]], %[[U]] :
//       CHECK:     %[[PRE:.*]] = arith.addf %[[PT]], %[[HU]]
//   CHECK-NOT:     linalg.matmul
//       CHECK:     scan.yield
func.func @rnn_input_projection(%x: tensor<5x2x3xf32>, %h0: tensor<2x4xf32>, %Win: tensor<3x4xf32>,
                                %U: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x3xf32>) -> tensor<2x4xf32> {
    // expected-remark @below {{hoisted input projection: 5 x (2x3x4) -> 1 x (10x3x4)}}
    %xw = linalg.matmul ins(%xt, %Win : tensor<2x3xf32>, tensor<3x4xf32>)
                        outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hu = linalg.matmul ins(%h, %U : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xw, %hu : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// Two gates project the same input (x.Wr with its zero fill in the body,
// x.Wz^T with a transposed weight) in a reverse scan: two new sequences, and
// the zero fill inside the body goes away with its matmul. Both GEMMs read
// the same collapsed input.
// CHECK-LABEL: func.func @two_gates_reverse
//  CHECK-SAME:   %[[X:[a-z0-9_]+]]: tensor<5x2x3xf32>, %[[WR:[a-z0-9_]+]]: tensor<3x4xf32>, %[[WZ:[a-z0-9_]+]]: tensor<4x3xf32>
//       CHECK:   %[[XC:.*]] = tensor.collapse_shape %[[X]]
//       CHECK:   %[[R:.*]] = linalg.matmul ins(%[[XC]], %[[WR]] : tensor<10x3xf32>, tensor<3x4xf32>)
//       CHECK:   %[[RS:.*]] = tensor.expand_shape %[[R]]
//   CHECK-NOT:   tensor.collapse_shape
//       CHECK:   %[[Z:.*]] = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%[[XC]], %[[WZ]] : tensor<10x3xf32>, tensor<4x3xf32>)
//       CHECK:   %[[ZS:.*]] = tensor.expand_shape %[[Z]]
//       CHECK:   scan.scan reverse carries(%[[H:.*]] = %{{.*}} : tensor<2x4xf32>) sequences(%{{.*}} = %[[X]] : tensor<5x2x3xf32>, %[[RT:.*]] = %[[RS]] : tensor<5x2x4xf32>, %[[ZT:.*]] = %[[ZS]] : tensor<5x2x4xf32>)
//   CHECK-NOT:     linalg.fill
//   CHECK-NOT:     tensor.empty
//   CHECK-NOT:     linalg.matmul
//       CHECK:     %[[S:.*]] = arith.addf %[[RT]], %[[ZT]]
//       CHECK:     arith.addf %[[H]], %[[S]]
//       CHECK:     scan.yield
func.func @two_gates_reverse(%x: tensor<5x2x3xf32>, %Wr: tensor<3x4xf32>, %Wz: tensor<4x3xf32>,
                             %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT = scan.scan reverse carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x3xf32>) -> tensor<2x4xf32> {
    %c0 = arith.constant 0.0 : f32
    %empty = tensor.empty() : tensor<2x4xf32>
    %z0 = linalg.fill ins(%c0 : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
    // expected-remark @below {{hoisted input projection: 5 x (2x3x4) -> 1 x (10x3x4)}}
    %r = linalg.matmul ins(%xt, %Wr : tensor<2x3xf32>, tensor<3x4xf32>)
                       outs(%z0 : tensor<2x4xf32>) -> tensor<2x4xf32>
    // expected-remark @below {{hoisted input projection: 5 x (2x3x4) -> 1 x (10x3x4)}}
    %z = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
                       ins(%xt, %Wz : tensor<2x3xf32>, tensor<4x3xf32>)
                       outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %s = arith.addf %r, %z : tensor<2x4xf32>
    %hn = arith.addf %h, %s : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// A loop-invariant bias as the matmul init: it is broadcast over the steps
// and becomes the init of the hoisted GEMM.
// CHECK-LABEL: func.func @invariant_bias_init
//  CHECK-SAME:   %[[X:[a-z0-9_]+]]: tensor<5x2x3xf32>, %[[W:[a-z0-9_]+]]: tensor<3x4xf32>, %[[BIAS:[a-z0-9_]+]]: tensor<2x4xf32>
//       CHECK:   %[[XC:.*]] = tensor.collapse_shape %[[X]]
//       CHECK:   %[[EMPTY:.*]] = tensor.empty() : tensor<5x2x4xf32>
//       CHECK:   %[[BC:.*]] = linalg.broadcast ins(%[[BIAS]] : tensor<2x4xf32>) outs(%[[EMPTY]] : tensor<5x2x4xf32>) dimensions = [0]
//       CHECK:   %[[BCC:.*]] = tensor.collapse_shape %[[BC]] {{\[}}[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
//       CHECK:   %[[P:.*]] = linalg.matmul ins(%[[XC]], %[[W]] : tensor<10x3xf32>, tensor<3x4xf32>) outs(%[[BCC]] : tensor<10x4xf32>)
//       CHECK:   %[[PS:.*]] = tensor.expand_shape %[[P]]
//       CHECK:   scan.scan {{.*}}sequences(%{{.*}} = %[[X]] : tensor<5x2x3xf32>, %[[PT:.*]] = %[[PS]] : tensor<5x2x4xf32>)
//       CHECK:     math.tanh %[[PT]]
func.func @invariant_bias_init(%x: tensor<5x2x3xf32>, %W: tensor<3x4xf32>, %bias: tensor<2x4xf32>,
                               %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x3xf32>) -> tensor<2x4xf32> {
    // expected-remark @below {{hoisted input projection: 5 x (2x3x4) -> 1 x (10x3x4)}}
    %p = linalg.matmul ins(%xt, %W : tensor<2x3xf32>, tensor<3x4xf32>)
                       outs(%bias : tensor<2x4xf32>) -> tensor<2x4xf32>
    %t = math.tanh %p : tensor<2x4xf32>
    %hn = arith.addf %h, %t : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// The weight is computed in the body: nothing changes.
// CHECK-LABEL: func.func @negative_weight_in_body
//       CHECK:   scan.scan
//  CHECK-SAME:     sequences(%{{.*}} : tensor<5x2x3xf32>) -> tensor<2x4xf32>
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
func.func @negative_weight_in_body(%x: tensor<5x2x3xf32>, %W: tensor<3x4xf32>, %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x3xf32>) -> tensor<2x4xf32> {
    %w = math.tanh %W : tensor<3x4xf32>
    // expected-remark @below {{input projection not hoisted: weight operand is defined in the loop body}}
    %p = linalg.matmul ins(%xt, %w : tensor<2x3xf32>, tensor<3x4xf32>)
                       outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hn = arith.addf %h, %p : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// The left operand is a function of the slice, not the slice itself: not a
// projection of the input sequence, and no remark.
// CHECK-LABEL: func.func @negative_not_a_slice
//       CHECK:   scan.scan
//  CHECK-SAME:     sequences(%{{.*}} : tensor<5x2x3xf32>) -> tensor<2x4xf32>
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
func.func @negative_not_a_slice(%x: tensor<5x2x3xf32>, %W: tensor<3x4xf32>, %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x3xf32>) -> tensor<2x4xf32> {
    %a = math.tanh %xt : tensor<2x3xf32>
    %p = linalg.matmul ins(%a, %W : tensor<2x3xf32>, tensor<3x4xf32>)
                       outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hn = arith.addf %h, %p : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// The matmul accumulates into the carry, which changes every step.
// CHECK-LABEL: func.func @negative_init_not_invariant
//       CHECK:   scan.scan
//  CHECK-SAME:     sequences(%{{.*}} : tensor<5x2x3xf32>) -> tensor<2x4xf32>
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
func.func @negative_init_not_invariant(%x: tensor<5x2x3xf32>, %W: tensor<3x4xf32>, %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x3xf32>) -> tensor<2x4xf32> {
    // expected-remark @below {{input projection not hoisted: matmul init is not loop-invariant}}
    %p = linalg.matmul ins(%xt, %W : tensor<2x3xf32>, tensor<3x4xf32>)
                       outs(%h : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hn = math.tanh %p : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// The slice is transposed (x_t^T . W, x_t stored E x B): the steps cannot
// form the rows of one GEMM without a copy.
// CHECK-LABEL: func.func @negative_slice_transposed
//       CHECK:   scan.scan
//  CHECK-SAME:     sequences(%{{.*}} : tensor<5x3x2xf32>) -> tensor<2x4xf32>
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
func.func @negative_slice_transposed(%x: tensor<5x3x2xf32>, %W: tensor<3x4xf32>, %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x3x2xf32>) -> tensor<2x4xf32> {
    // expected-remark @below {{input projection not hoisted: sequence slice is transposed: the steps cannot form the rows of one GEMM}}
    %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
                       ins(%xt, %W : tensor<3x2xf32>, tensor<3x4xf32>)
                       outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hn = arith.addf %h, %p : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// The slice is the right-hand operand (W . x_t): each step's result is a
// block of columns, not of rows.
// CHECK-LABEL: func.func @negative_slice_on_the_right
//       CHECK:   scan.scan
//  CHECK-SAME:     sequences(%{{.*}} : tensor<5x3x4xf32>) -> tensor<2x4xf32>
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
func.func @negative_slice_on_the_right(%x: tensor<5x3x4xf32>, %W: tensor<2x3xf32>, %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x3x4xf32>) -> tensor<2x4xf32> {
    // expected-remark @below {{input projection not hoisted: sequence slice is the right-hand operand: the steps cannot form the rows of one GEMM}}
    %p = linalg.matmul ins(%W, %xt : tensor<2x3xf32>, tensor<3x4xf32>)
                       outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hn = arith.addf %h, %p : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// A single step is below the default min-trip-count of 2.
// CHECK-LABEL: func.func @negative_single_step
//       CHECK:   scan.scan
//  CHECK-SAME:     sequences(%{{.*}} : tensor<1x2x3xf32>) -> tensor<2x4xf32>
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
func.func @negative_single_step(%x: tensor<1x2x3xf32>, %W: tensor<3x4xf32>, %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<1x2x3xf32>) -> tensor<2x4xf32> {
    // expected-remark @below {{input projection not hoisted: trip count 1 is below min-trip-count 2}}
    %p = linalg.matmul ins(%xt, %W : tensor<2x3xf32>, tensor<3x4xf32>)
                       outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hn = arith.addf %h, %p : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// A slice times a value that changes every step (a weight-gradient product)
// is not an input projection: nothing changes and nothing is reported.
// CHECK-LABEL: func.func @negative_slice_times_per_step_value
//       CHECK:   scan.scan
//  CHECK-SAME:     sequences(%{{.*}} : tensor<5x2x3xf32>) -> (tensor<2x4xf32>, tensor<3x4xf32>)
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
func.func @negative_slice_times_per_step_value(%x: tensor<5x2x3xf32>, %acc0: tensor<3x4xf32>,
                                               %h0: tensor<2x4xf32>) -> tensor<3x4xf32> {
  %hT, %acc = scan.scan carries(%h = %h0 : tensor<2x4xf32>, %a = %acc0 : tensor<3x4xf32>)
      sequences(%xt = %x : tensor<5x2x3xf32>) -> (tensor<2x4xf32>, tensor<3x4xf32>) {
    %hn = math.tanh %h : tensor<2x4xf32>
    %an = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
                        ins(%xt, %hn : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%a : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %hn, %an : tensor<2x4xf32>, tensor<3x4xf32>
  }
  return %acc : tensor<3x4xf32>
}
