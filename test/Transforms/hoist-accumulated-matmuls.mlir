// RUN: scan-opt %s --split-input-file --scan-hoist-accumulated-matmuls --mlir-print-local-scope | FileCheck %s
// RUN: scan-opt %s --split-input-file --scan-hoist-accumulated-matmuls --verify-diagnostics -o /dev/null

// Shapes: T = 5 steps, batch K = 2, dW is 4x4 (RNN) or 3x4 (M x N).

// The simple RNN gradient in the form autodiff produces: the forward scan
// stores h_{t-1} and h_t, the reverse scan reads them as sequences, carries
// dh and dW, and accumulates dW += h_{t-1}^T e_t. dW leaves the loop: the
// backward scan yields e_t, reuses the forward output for h_{t-1}, and one
// GEMM with inner dimension T*B = 10 follows.
// CHECK-LABEL: func.func @rnn_backward
//  CHECK-SAME:   %[[W:[a-z0-9_]+]]: tensor<4x4xf32>, %[[DHT:[a-z0-9_]+]]: tensor<2x4xf32>, %[[DW0:[a-z0-9_]+]]: tensor<4x4xf32>
//       CHECK:   %[[FWD:.*]]:3 = scan.scan carries
//       CHECK:   %[[BWD:.*]]:2 = scan.scan reverse carries(%[[DH:.*]] = %[[DHT]] : tensor<2x4xf32>) sequences(%[[HT:.*]] = %[[FWD]]#2 : tensor<5x2x4xf32>, %{{.*}} = %[[FWD]]#1 : tensor<5x2x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>)
//       CHECK:     %[[E:.*]] = arith.mulf %[[DH]]
//       CHECK:     %[[DHN:.*]] = linalg.matmul
//  CHECK-SAME:       ins(%[[E]], %[[W]] :
//  CHECK-NEXT:     scan.yield %[[DHN]], %[[E]] : tensor<2x4xf32>, tensor<2x4xf32>
//  CHECK-NEXT:   }
//   CHECK-DAG:   %[[A:.*]] = tensor.collapse_shape %[[FWD]]#1 {{\[}}[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
//   CHECK-DAG:   %[[B:.*]] = tensor.collapse_shape %[[BWD]]#1 {{\[}}[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
//       CHECK:   %[[DW:.*]] = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%[[A]], %[[B]] : tensor<10x4xf32>, tensor<10x4xf32>) outs(%[[DW0]] : tensor<4x4xf32>)
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return %[[BWD]]#0, %[[DW]]
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
#tB = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
func.func @rnn_backward(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>,
                        %dhT: tensor<2x4xf32>, %dW0: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<4x4xf32>) {
  %c0 = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %hprev, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn, %h, %hn : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  %one = arith.constant dense<1.0> : tensor<2x4xf32>
  // expected-remark @below {{hoisted accumulator (carry #1): 5 x (4x2x4) -> 1 x (4x10x4)}}
  %dh0, %dW = scan.scan reverse
      carries(%dh = %dhT : tensor<2x4xf32>, %acc = %dW0 : tensor<4x4xf32>)
      sequences(%ht = %hs : tensor<5x2x4xf32>, %hp = %hprev : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<4x4xf32>) {
    %sq = arith.mulf %ht, %ht : tensor<2x4xf32>
    %d = arith.subf %one, %sq : tensor<2x4xf32>
    %e = arith.mulf %dh, %d : tensor<2x4xf32>
    %dWn = linalg.matmul indexing_maps = #tA ins(%hp, %e : tensor<2x4xf32>, tensor<2x4xf32>)
                         outs(%acc : tensor<4x4xf32>) -> tensor<4x4xf32>
    %dhn = linalg.matmul indexing_maps = #tB ins(%e, %W : tensor<2x4xf32>, tensor<4x4xf32>)
                         outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %dhn, %dWn : tensor<2x4xf32>, tensor<4x4xf32>
  }
  return %dh0, %dW : tensor<2x4xf32>, tensor<4x4xf32>
}

// -----

// Two accumulators in one scan (dU += a_t^T e_t, dW += b_t^T e_t), updated
// with the arith.addf form in both operand orders. The shared per-step
// operand e_t is stored once and folded once; a_t is a sequence slice and is
// not stored.
// CHECK-LABEL: func.func @two_accumulators
//  CHECK-SAME:   %[[AS:[a-z0-9_]+]]: tensor<5x2x3xf32>, %[[BS:[a-z0-9_]+]]: tensor<5x2x3xf32>, %[[ES:[a-z0-9_]+]]: tensor<5x2x4xf32>, %[[U0:[a-z0-9_]+]]: tensor<3x4xf32>, %[[W0:[a-z0-9_]+]]: tensor<3x4xf32>
//       CHECK:   %[[R:.*]]:2 = scan.scan sequences(%[[AT:.*]] = %[[AS]] : tensor<5x2x3xf32>, %[[BT:.*]] = %[[BS]] : tensor<5x2x3xf32>, %[[ET:.*]] = %[[ES]] : tensor<5x2x4xf32>) -> (tensor<5x2x4xf32>, tensor<5x2x3xf32>)
//   CHECK-DAG:     %[[E:.*]] = math.tanh %[[ET]]
//   CHECK-DAG:     %[[B:.*]] = math.exp %[[BT]]
//   CHECK-NOT:     linalg.matmul
//       CHECK:     scan.yield %[[E]], %[[B]] :
//       CHECK:   %[[A1:.*]] = tensor.collapse_shape %[[AS]]
//       CHECK:   %[[E1:.*]] = tensor.collapse_shape %[[R]]#0
//       CHECK:   %[[DU:.*]] = linalg.matmul {{.*}} ins(%[[A1]], %[[E1]] : tensor<10x3xf32>, tensor<10x4xf32>) outs(%[[U0]] : tensor<3x4xf32>)
//       CHECK:   %[[B2:.*]] = tensor.collapse_shape %[[R]]#1
//       CHECK:   %[[DW:.*]] = linalg.matmul {{.*}} ins(%[[B2]], %[[E1]] : tensor<10x3xf32>, tensor<10x4xf32>) outs(%[[W0]] : tensor<3x4xf32>)
//       CHECK:   return %[[DU]], %[[DW]]
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @two_accumulators(%as: tensor<5x2x3xf32>, %bs: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>,
                            %dU0: tensor<3x4xf32>, %dW0: tensor<3x4xf32>)
    -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %zero = arith.constant dense<0.0> : tensor<3x4xf32>
  // expected-remark @below {{hoisted accumulator (carry #0): 5 x (3x2x4) -> 1 x (3x10x4)}}
  // expected-remark @below {{hoisted accumulator (carry #1): 5 x (3x2x4) -> 1 x (3x10x4)}}
  %dU, %dW = scan.scan
      carries(%u = %dU0 : tensor<3x4xf32>, %w = %dW0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %bt = %bs : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>)
      -> (tensor<3x4xf32>, tensor<3x4xf32>) {
    %e = math.tanh %et : tensor<2x4xf32>
    %b = math.exp %bt : tensor<2x3xf32>
    %pu = linalg.matmul indexing_maps = #tA ins(%at, %e : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%zero : tensor<3x4xf32>) -> tensor<3x4xf32>
    %un = arith.addf %u, %pu : tensor<3x4xf32>
    %pw = linalg.matmul indexing_maps = #tA ins(%b, %e : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%zero : tensor<3x4xf32>) -> tensor<3x4xf32>
    %wn = arith.addf %pw, %w : tensor<3x4xf32>
    scan.yield %un, %wn : tensor<3x4xf32>, tensor<3x4xf32>
  }
  return %dU, %dW : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// A sum of several products into one accumulator: a chain through outs()
// plus a term added with arith.addf, and a linalg.add. Every product becomes
// its own GEMM after the loop, chained through outs().
// CHECK-LABEL: func.func @sum_of_products
//  CHECK-SAME:   %[[AS:[a-z0-9_]+]]: tensor<5x2x3xf32>, %[[ES:[a-z0-9_]+]]: tensor<5x2x4xf32>, %[[ACC0:[a-z0-9_]+]]: tensor<3x4xf32>
//       CHECK:   %[[R:.*]]:2 = scan.scan sequences(%[[AT:.*]] = %[[AS]] : tensor<5x2x3xf32>, %[[ET:.*]] = %[[ES]] : tensor<5x2x4xf32>) -> (tensor<5x2x3xf32>, tensor<5x2x4xf32>)
//   CHECK-NOT:     linalg.matmul
//   CHECK-NOT:     linalg.add
//   CHECK-NOT:     arith.addf
//       CHECK:     scan.yield
//       CHECK:   %[[G1:.*]] = linalg.matmul {{.*}} outs(%[[ACC0]] : tensor<3x4xf32>)
//       CHECK:   %[[G2:.*]] = linalg.matmul {{.*}} outs(%[[G1]] : tensor<3x4xf32>)
//       CHECK:   %[[G3:.*]] = linalg.matmul {{.*}} outs(%[[G2]] : tensor<3x4xf32>)
//       CHECK:   %[[G4:.*]] = linalg.matmul {{.*}} outs(%[[G3]] : tensor<3x4xf32>)
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return %[[G4]]
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @sum_of_products(%as: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %c0 = arith.constant 0.0 : f32
  // expected-remark @below {{hoisted accumulator (carry #0): 5 x (3x2x4) + 5 x (3x2x4) + 5 x (3x2x4) + 5 x (3x2x4) -> 1 x (3x10x4) + 1 x (3x10x4) + 1 x (3x10x4) + 1 x (3x10x4)}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>) -> tensor<3x4xf32> {
    %empty = tensor.empty() : tensor<3x4xf32>
    %zero = linalg.fill ins(%c0 : f32) outs(%empty : tensor<3x4xf32>) -> tensor<3x4xf32>
    %a2 = math.tanh %at : tensor<2x3xf32>
    %e2 = math.tanh %et : tensor<2x4xf32>
    %s1 = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    %s2 = linalg.matmul indexing_maps = #tA ins(%a2, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%s1 : tensor<3x4xf32>) -> tensor<3x4xf32>
    %p3 = linalg.matmul indexing_maps = #tA ins(%at, %e2 : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%zero : tensor<3x4xf32>) -> tensor<3x4xf32>
    %p4 = linalg.matmul indexing_maps = #tA ins(%a2, %e2 : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%zero : tensor<3x4xf32>) -> tensor<3x4xf32>
    %p34 = linalg.add ins(%p3, %p4 : tensor<3x4xf32>, tensor<3x4xf32>)
                      outs(%empty : tensor<3x4xf32>) -> tensor<3x4xf32>
    %s = arith.addf %s2, %p34 : tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// Per-step product A_t B_t with A_t stored M x K (plain matmul): the stacked
// A_t is transposed once after the loop to M x T x K before the collapse.
// The scan, left with nothing to do, is erased.
// CHECK-LABEL: func.func @lhs_contraction_last
//  CHECK-SAME:   %[[AS:[a-z0-9_]+]]: tensor<5x3x2xf32>, %[[ES:[a-z0-9_]+]]: tensor<5x2x4xf32>, %[[ACC0:[a-z0-9_]+]]: tensor<3x4xf32>
//   CHECK-NOT:   scan.scan
//       CHECK:   %[[EMPTY:.*]] = tensor.empty() : tensor<3x5x2xf32>
//       CHECK:   %[[T:.*]] = linalg.transpose ins(%[[AS]] : tensor<5x3x2xf32>) outs(%[[EMPTY]] : tensor<3x5x2xf32>) permutation = [1, 0, 2]
//       CHECK:   %[[A:.*]] = tensor.collapse_shape %[[T]] {{\[}}[0], [1, 2]] : tensor<3x5x2xf32> into tensor<3x10xf32>
//       CHECK:   %[[B:.*]] = tensor.collapse_shape %[[ES]] {{\[}}[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
//       CHECK:   %[[G:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<3x10xf32>, tensor<10x4xf32>) outs(%[[ACC0]] : tensor<3x4xf32>)
//       CHECK:   return %[[G]]
func.func @lhs_contraction_last(%as: tensor<5x3x2xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @below {{hoisted accumulator (carry #0): 5 x (3x2x4) -> 1 x (3x10x4) (transposing 1 stacked operand)}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x3x2xf32>, %et = %es : tensor<5x2x4xf32>) -> tensor<3x4xf32> {
    %s = linalg.matmul ins(%at, %et : tensor<3x2xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// A_t^T B_t^T (A_t stored K x M, B_t stored N x K): only B is transposed.
// CHECK-LABEL: func.func @rhs_transposed
//  CHECK-SAME:   %[[AS:[a-z0-9_]+]]: tensor<5x2x3xf32>, %[[ES:[a-z0-9_]+]]: tensor<5x4x2xf32>, %[[ACC0:[a-z0-9_]+]]: tensor<3x4xf32>
//   CHECK-NOT:   scan.scan
//       CHECK:   %[[A:.*]] = tensor.collapse_shape %[[AS]] {{\[}}[0, 1], [2]] : tensor<5x2x3xf32> into tensor<10x3xf32>
//       CHECK:   %[[T:.*]] = linalg.transpose ins(%[[ES]] : tensor<5x4x2xf32>) outs(%{{.*}} : tensor<4x5x2xf32>) permutation = [1, 0, 2]
//       CHECK:   %[[B:.*]] = tensor.collapse_shape %[[T]] {{\[}}[0], [1, 2]] : tensor<4x5x2xf32> into tensor<4x10xf32>
//       CHECK:   %[[G:.*]] = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%[[A]], %[[B]] : tensor<10x3xf32>, tensor<4x10xf32>) outs(%[[ACC0]] : tensor<3x4xf32>)
//       CHECK:   return %[[G]]
#tAB = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
func.func @rhs_transposed(%as: tensor<5x2x3xf32>, %es: tensor<5x4x2xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @below {{hoisted accumulator (carry #0): 5 x (3x2x4) -> 1 x (3x10x4) (transposing 1 stacked operand)}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x4x2xf32>) -> tensor<3x4xf32> {
    %s = linalg.matmul indexing_maps = #tAB ins(%at, %et : tensor<2x3xf32>, tensor<4x2xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// A_t B_t^T (both stored with the contraction dimension last): both stacks
// are transposed; the GEMM keeps the B^T map.
// CHECK-LABEL: func.func @both_contraction_last
//   CHECK-NOT:   scan.scan
//       CHECK:   linalg.transpose ins(%{{.*}} : tensor<5x3x2xf32>) outs(%{{.*}} : tensor<3x5x2xf32>) permutation = [1, 0, 2]
//       CHECK:   %[[A:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<3x5x2xf32> into tensor<3x10xf32>
//       CHECK:   linalg.transpose ins(%{{.*}} : tensor<5x4x2xf32>) outs(%{{.*}} : tensor<4x5x2xf32>) permutation = [1, 0, 2]
//       CHECK:   %[[B:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<4x5x2xf32> into tensor<4x10xf32>
//       CHECK:   linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%[[A]], %[[B]] : tensor<3x10xf32>, tensor<4x10xf32>)
#tB = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
func.func @both_contraction_last(%as: tensor<5x3x2xf32>, %es: tensor<5x4x2xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @below {{hoisted accumulator (carry #0): 5 x (3x2x4) -> 1 x (3x10x4) (transposing 2 stacked operands)}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x3x2xf32>, %et = %es : tensor<5x4x2xf32>) -> tensor<3x4xf32> {
    %s = linalg.matmul indexing_maps = #tB ins(%at, %et : tensor<3x2xf32>, tensor<4x2xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// A per-step operand the body already yields as an output is not stored
// twice, and a carry (h) used as an operand is stacked as a new output.
// CHECK-LABEL: func.func @reuses_existing_output
//  CHECK-SAME:   %[[ACC0:[a-z0-9_]+]]: tensor<3x4xf32>
//       CHECK:   %[[R:.*]]:3 = scan.scan carries(%[[H:.*]] = %{{.*}} : tensor<2x3xf32>) sequences(%[[ET:.*]] = %{{.*}} : tensor<5x2x4xf32>) -> (tensor<2x3xf32>, tensor<5x2x4xf32>, tensor<5x2x3xf32>)
//       CHECK:     %[[E:.*]] = math.tanh %[[ET]]
//       CHECK:     %[[HN:.*]] = math.exp %[[H]]
//       CHECK:     scan.yield %[[HN]], %[[E]], %[[H]] :
//       CHECK:   %[[A:.*]] = tensor.collapse_shape %[[R]]#2
//       CHECK:   %[[B:.*]] = tensor.collapse_shape %[[R]]#1
//       CHECK:   %[[G:.*]] = linalg.matmul {{.*}} ins(%[[A]], %[[B]] : {{.*}}) outs(%[[ACC0]] : tensor<3x4xf32>)
//       CHECK:   return %[[G]], %[[R]]#1
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @reuses_existing_output(%h0: tensor<2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>)
    -> (tensor<3x4xf32>, tensor<5x2x4xf32>) {
  // expected-remark @below {{hoisted accumulator (carry #1): 5 x (3x2x4) -> 1 x (3x10x4)}}
  %hT, %r, %ys = scan.scan carries(%h = %h0 : tensor<2x3xf32>, %acc = %acc0 : tensor<3x4xf32>)
      sequences(%et = %es : tensor<5x2x4xf32>) -> (tensor<2x3xf32>, tensor<3x4xf32>, tensor<5x2x4xf32>) {
    %e = math.tanh %et : tensor<2x4xf32>
    %hn = math.exp %h : tensor<2x3xf32>
    %s = linalg.matmul indexing_maps = #tA ins(%h, %e : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %hn, %s, %e : tensor<2x3xf32>, tensor<3x4xf32>, tensor<2x4xf32>
  }
  return %r, %ys : tensor<3x4xf32>, tensor<5x2x4xf32>
}

// -----

// The accumulator is also read in the body (to compute an output).
// CHECK-LABEL: func.func @negative_acc_read_in_body
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_acc_read_in_body(%as: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>)
    -> (tensor<3x4xf32>, tensor<5x3x4xf32>) {
  // expected-remark @below {{accumulator (carry #0) not hoisted: accumulator read in body}}
  %r, %ys = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>) -> (tensor<3x4xf32>, tensor<5x3x4xf32>) {
    %y = math.tanh %acc : tensor<3x4xf32>
    %s = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s, %y : tensor<3x4xf32>, tensor<3x4xf32>
  }
  return %r, %ys : tensor<3x4xf32>, tensor<5x3x4xf32>
}

// -----

// A per-step operand is computed from the accumulator.
// CHECK-LABEL: func.func @negative_operand_depends_on_acc
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
#tB = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_operand_depends_on_acc(%es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x3xf32>
  // expected-remark @below {{accumulator (carry #0) not hoisted: per-step matmul operand depends on the accumulator}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%et = %es : tensor<5x2x4xf32>) -> tensor<3x4xf32> {
    %a = linalg.matmul indexing_maps = #tB ins(%et, %acc : tensor<2x4xf32>, tensor<3x4xf32>)
                       outs(%zero : tensor<2x3xf32>) -> tensor<2x3xf32>
    %s = linalg.matmul indexing_maps = #tA ins(%a, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// The update is not a plain sum: acc' = (acc + A^T B) * 0.5.
// CHECK-LABEL: func.func @negative_scaled_update
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_scaled_update(%as: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %half = arith.constant dense<0.5> : tensor<3x4xf32>
  // expected-remark @below {{accumulator (carry #0) not hoisted: accumulator updated by something other than a sum of matmuls ('arith.mulf')}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>) -> tensor<3x4xf32> {
    %s = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    %h = arith.mulf %s, %half : tensor<3x4xf32>
    scan.yield %h : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// The accumulator enters the update twice: acc' = acc + (acc + A^T B).
// CHECK-LABEL: func.func @negative_acc_added_twice
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_acc_added_twice(%as: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @below {{accumulator (carry #0) not hoisted: accumulator updated by something other than a sum of matmuls}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>) -> tensor<3x4xf32> {
    %s = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    %t = arith.addf %acc, %s : tensor<3x4xf32>
    scan.yield %t : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// A partial sum (acc + first product) is also yielded as an output.
// CHECK-LABEL: func.func @negative_partial_sum_read
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_partial_sum_read(%as: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>)
    -> (tensor<3x4xf32>, tensor<5x3x4xf32>) {
  // expected-remark @below {{accumulator (carry #0) not hoisted: partial sum of the accumulator read in body}}
  %r, %ps = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>) -> (tensor<3x4xf32>, tensor<5x3x4xf32>) {
    %s1 = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    %s2 = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%s1 : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s2, %s1 : tensor<3x4xf32>, tensor<3x4xf32>
  }
  return %r, %ps : tensor<3x4xf32>, tensor<5x3x4xf32>
}

// -----

// The updated accumulator is also stacked as a per-step output.
// CHECK-LABEL: func.func @negative_updated_acc_yielded_twice
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_updated_acc_yielded_twice(%as: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>)
    -> (tensor<3x4xf32>, tensor<5x3x4xf32>) {
  // expected-remark @below {{accumulator (carry #0) not hoisted: updated accumulator used in body or yielded more than once}}
  %r, %ps = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>) -> (tensor<3x4xf32>, tensor<5x3x4xf32>) {
    %s = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s, %s : tensor<3x4xf32>, tensor<3x4xf32>
  }
  return %r, %ps : tensor<3x4xf32>, tensor<5x3x4xf32>
}

// -----

// One operand of the product is loop-invariant (W^T e_t): stacking W would
// store it T times, so the accumulator stays.
// CHECK-LABEL: func.func @negative_invariant_operand
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_invariant_operand(%W: tensor<2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @below {{accumulator (carry #0) not hoisted: per-step matmul operand is loop-invariant}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%et = %es : tensor<5x2x4xf32>) -> tensor<3x4xf32> {
    %s = linalg.matmul indexing_maps = #tA ins(%W, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// A mixed-precision product (f16 operands into an f32 accumulator) is not a
// form the pass handles.
// CHECK-LABEL: func.func @negative_mixed_precision
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_mixed_precision(%as: tensor<5x2x3xf16>, %es: tensor<5x2x4xf16>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @below {{accumulator (carry #0) not hoisted: unsupported matmul in the update: matmul mixes element types or is not on floats}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf16>, %et = %es : tensor<5x2x4xf16>) -> tensor<3x4xf32> {
    %s = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf16>, tensor<2x4xf16>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// An accumulator in a single-step scan: below the default min-trip-count.
// CHECK-LABEL: func.func @negative_single_step
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_single_step(%as: tensor<1x2x3xf32>, %es: tensor<1x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @below {{accumulator (carry #0) not hoisted: trip count 1 is below min-trip-count 2}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<1x2x3xf32>, %et = %es : tensor<1x2x4xf32>) -> tensor<3x4xf32> {
    %s = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// An ordinary carry computed by a matmul (dh' = e W^T, not reading dh as an
// accumulator) is neither rewritten nor reported.
// CHECK-LABEL: func.func @negative_not_an_accumulator
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tB = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_not_an_accumulator(%W: tensor<4x4xf32>, %es: tensor<5x2x4xf32>, %dh0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %r = scan.scan carries(%dh = %dh0 : tensor<2x4xf32>)
      sequences(%et = %es : tensor<5x2x4xf32>) -> tensor<2x4xf32> {
    %e = arith.mulf %dh, %et : tensor<2x4xf32>
    %s = linalg.matmul indexing_maps = #tB ins(%e, %W : tensor<2x4xf32>, tensor<4x4xf32>)
                       outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %s : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// -----

// A product subtracted from the accumulator is not a sum (it is reported,
// since it looks like one).
// CHECK-LABEL: func.func @negative_subtracted_product
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     arith.subf
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_subtracted_product(%as: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %zero = arith.constant dense<0.0> : tensor<3x4xf32>
  // expected-remark @below {{accumulator (carry #0) not hoisted: accumulator updated by something other than a sum of matmuls ('arith.subf')}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>) -> tensor<3x4xf32> {
    %p = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%zero : tensor<3x4xf32>) -> tensor<3x4xf32>
    %s = arith.subf %acc, %p : tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}
