// RUN: scan-opt %s --split-input-file --canonicalize | FileCheck %s

// A stacked output nobody reads is dropped; the scan keeps its carry.
// CHECK-LABEL: func.func @drops_unused_output
//       CHECK:   %[[R:.*]] = scan.scan carries(%{{.*}} = %{{.*}} : tensor<4xf32>) sequences(%{{.*}} = %{{.*}} : tensor<3x4xf32>) -> tensor<4xf32> {
//       CHECK:     scan.yield %{{.*}} : tensor<4xf32>
//       CHECK:   return %[[R]]
func.func @drops_unused_output(%h0: tensor<4xf32>, %xs: tensor<3x4xf32>) -> tensor<4xf32> {
  %h, %hs = scan.scan carries(%h = %h0 : tensor<4xf32>) sequences(%x = %xs : tensor<3x4xf32>)
      -> (tensor<4xf32>, tensor<3x4xf32>) {
    %n = arith.addf %h, %x : tensor<4xf32>
    scan.yield %n, %n : tensor<4xf32>, tensor<4xf32>
  }
  return %h : tensor<4xf32>
}

// -----

// A carry whose result and block argument are both unused is dropped, and so
// is the work that only fed it.
// CHECK-LABEL: func.func @drops_dead_carry
//       CHECK:   %[[R:.*]] = scan.scan carries(%{{.*}} = %{{.*}} : tensor<4xf32>) sequences(%{{.*}} = %{{.*}} : tensor<3x4xf32>) -> tensor<4xf32> {
//   CHECK-NOT:     arith.mulf
//       CHECK:     scan.yield %{{.*}} : tensor<4xf32>
//       CHECK:   return %[[R]]
func.func @drops_dead_carry(%h0: tensor<4xf32>, %d0: tensor<4xf32>, %xs: tensor<3x4xf32>) -> tensor<4xf32> {
  %h, %d = scan.scan carries(%h = %h0 : tensor<4xf32>, %d = %d0 : tensor<4xf32>)
      sequences(%x = %xs : tensor<3x4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %n = arith.addf %h, %x : tensor<4xf32>
    %m = arith.mulf %x, %x : tensor<4xf32>
    scan.yield %n, %m : tensor<4xf32>, tensor<4xf32>
  }
  return %h : tensor<4xf32>
}

// -----

// A carry the body passes through unchanged is its initial value: uses of the
// block argument and of the result read the init instead.
// CHECK-LABEL: func.func @forwards_invariant_carry
//  CHECK-SAME:   (%[[H0:[^:]*]]: tensor<4xf32>, %[[K0:[^:]*]]: tensor<4xf32>
//       CHECK:   %[[R:.*]] = scan.scan carries(%[[H:.*]] = %[[H0]] : tensor<4xf32>) sequences(%{{.*}} = %{{.*}} : tensor<3x4xf32>) -> tensor<4xf32> {
//       CHECK:     arith.mulf %[[H]], %[[K0]]
//       CHECK:   return %[[R]], %[[K0]]
func.func @forwards_invariant_carry(%h0: tensor<4xf32>, %k0: tensor<4xf32>, %xs: tensor<3x4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  %h, %k = scan.scan carries(%h = %h0 : tensor<4xf32>, %k = %k0 : tensor<4xf32>)
      sequences(%x = %xs : tensor<3x4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %m = arith.mulf %h, %k : tensor<4xf32>
    %n = arith.addf %m, %x : tensor<4xf32>
    scan.yield %n, %k : tensor<4xf32>, tensor<4xf32>
  }
  return %h, %k : tensor<4xf32>, tensor<4xf32>
}

// -----

// A sequence whose slices are never read is dropped; with no sequence and no
// output left, the trip count becomes an explicit `length`.
// CHECK-LABEL: func.func @drops_unused_sequence
//       CHECK:   scan.scan length(3) carries(%{{.*}} = %{{.*}} : tensor<4xf32>) -> tensor<4xf32> {
func.func @drops_unused_sequence(%h0: tensor<4xf32>, %xs: tensor<3x4xf32>) -> tensor<4xf32> {
  %h = scan.scan carries(%h = %h0 : tensor<4xf32>) sequences(%x = %xs : tensor<3x4xf32>)
      -> tensor<4xf32> {
    %n = arith.mulf %h, %h : tensor<4xf32>
    scan.yield %n : tensor<4xf32>
  }
  return %h : tensor<4xf32>
}

// -----

// A scan whose results are all unused disappears.
// CHECK-LABEL: func.func @erases_dead_scan
//   CHECK-NOT:   scan.scan
//       CHECK:   return
func.func @erases_dead_scan(%h0: tensor<4xf32>, %xs: tensor<3x4xf32>) {
  %h, %hs = scan.scan carries(%h = %h0 : tensor<4xf32>) sequences(%x = %xs : tensor<3x4xf32>)
      -> (tensor<4xf32>, tensor<3x4xf32>) {
    %n = arith.addf %h, %x : tensor<4xf32>
    scan.yield %n, %n : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

// A single-step scan is its body: the slice is the sequence without its unit
// dimension and the stacked output gets one.
// CHECK-LABEL: func.func @inlines_single_step
//  CHECK-SAME:   (%[[H0:[^:]*]]: tensor<4xf32>, %[[XS:[^:]*]]: tensor<1x4xf32>)
//   CHECK-NOT:   scan.scan
//       CHECK:   %[[X:.*]] = tensor.collapse_shape %[[XS]] {{\[\[}}0, 1]] : tensor<1x4xf32> into tensor<4xf32>
//       CHECK:   %[[N:.*]] = arith.addf %[[H0]], %[[X]]
//       CHECK:   %[[S:.*]] = tensor.expand_shape %[[N]] {{\[\[}}0, 1]] output_shape [1, 4] : tensor<4xf32> into tensor<1x4xf32>
//       CHECK:   return %[[N]], %[[S]]
func.func @inlines_single_step(%h0: tensor<4xf32>, %xs: tensor<1x4xf32>) -> (tensor<4xf32>, tensor<1x4xf32>) {
  %h, %hs = scan.scan carries(%h = %h0 : tensor<4xf32>) sequences(%x = %xs : tensor<1x4xf32>)
      -> (tensor<4xf32>, tensor<1x4xf32>) {
    %n = arith.addf %h, %x : tensor<4xf32>
    scan.yield %n, %n : tensor<4xf32>, tensor<4xf32>
  }
  return %h, %hs : tensor<4xf32>, tensor<1x4xf32>
}

// -----

// Single-step inlining also handles rank-0 slices and outputs.
// CHECK-LABEL: func.func @inlines_single_step_rank0
//   CHECK-NOT:   scan.scan
//       CHECK:   tensor.collapse_shape %{{.*}} [] : tensor<1xf64> into tensor<f64>
//       CHECK:   tensor.expand_shape %{{.*}} [] output_shape [1] : tensor<f64> into tensor<1xf64>
func.func @inlines_single_step_rank0(%c0: tensor<f64>, %xs: tensor<1xf64>) -> (tensor<f64>, tensor<1xf64>) {
  %c, %cs = scan.scan carries(%c = %c0 : tensor<f64>) sequences(%x = %xs : tensor<1xf64>)
      -> (tensor<f64>, tensor<1xf64>) {
    %n = arith.mulf %c, %x : tensor<f64>
    scan.yield %n, %n : tensor<f64>, tensor<f64>
  }
  return %c, %cs : tensor<f64>, tensor<1xf64>
}

// -----

// A single-step scan that yields its own block arguments (the slice as the
// next carry, the carry as the stacked output) is inlined with the values
// those arguments stand for.
// CHECK-LABEL: func.func @inlines_single_step_yielding_block_args
//  CHECK-SAME:   (%[[H0:[^:]*]]: tensor<4xf32>, %[[XS:[^:]*]]: tensor<1x4xf32>)
//   CHECK-NOT:   scan.scan
//   CHECK-DAG:   %[[X:.*]] = tensor.collapse_shape %[[XS]] {{\[\[}}0, 1]] : tensor<1x4xf32> into tensor<4xf32>
//   CHECK-DAG:   %[[S:.*]] = tensor.expand_shape %[[H0]] {{\[\[}}0, 1]] output_shape [1, 4] : tensor<4xf32> into tensor<1x4xf32>
//       CHECK:   return %[[X]], %[[S]]
func.func @inlines_single_step_yielding_block_args(%h0: tensor<4xf32>, %xs: tensor<1x4xf32>) -> (tensor<4xf32>, tensor<1x4xf32>) {
  %h, %hs = scan.scan carries(%h = %h0 : tensor<4xf32>) sequences(%x = %xs : tensor<1x4xf32>)
      -> (tensor<4xf32>, tensor<1x4xf32>) {
    scan.yield %x, %h : tensor<4xf32>, tensor<4xf32>
  }
  return %h, %hs : tensor<4xf32>, tensor<1x4xf32>
}

// -----

// Everything is live and the trip count is 3: nothing changes.
// CHECK-LABEL: func.func @negative_all_live
//       CHECK:   %{{.*}}:2 = scan.scan carries(%{{.*}} = %{{.*}} : tensor<4xf32>) sequences(%{{.*}} = %{{.*}} : tensor<3x4xf32>) -> (tensor<4xf32>, tensor<3x4xf32>) {
//       CHECK:     scan.yield %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>
func.func @negative_all_live(%h0: tensor<4xf32>, %xs: tensor<3x4xf32>) -> (tensor<4xf32>, tensor<3x4xf32>) {
  %h, %hs = scan.scan carries(%h = %h0 : tensor<4xf32>) sequences(%x = %xs : tensor<3x4xf32>)
      -> (tensor<4xf32>, tensor<3x4xf32>) {
    %n = arith.addf %h, %x : tensor<4xf32>
    scan.yield %n, %n : tensor<4xf32>, tensor<4xf32>
  }
  return %h, %hs : tensor<4xf32>, tensor<3x4xf32>
}

// -----

// A carry read in the body must stay even if its final value is unused.
// CHECK-LABEL: func.func @negative_carry_read_in_body
//       CHECK:   scan.scan carries(%{{.*}} = %{{.*}} : tensor<4xf32>, %{{.*}} = %{{.*}} : tensor<4xf32>)
func.func @negative_carry_read_in_body(%a0: tensor<4xf32>, %b0: tensor<4xf32>, %xs: tensor<3x4xf32>) -> tensor<4xf32> {
  %a, %b = scan.scan carries(%a = %a0 : tensor<4xf32>, %b = %b0 : tensor<4xf32>)
      sequences(%x = %xs : tensor<3x4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %an = arith.addf %a, %b : tensor<4xf32>
    %bn = arith.mulf %b, %x : tensor<4xf32>
    scan.yield %an, %bn : tensor<4xf32>, tensor<4xf32>
  }
  return %a : tensor<4xf32>
}

// -----

// An output that stores each step's slice of a sequence unchanged is that
// sequence (in either direction): its uses take the sequence, and the
// output goes. A carry stored as an output is not a sequence and stays.
// CHECK-LABEL: func.func @forwards_restacked_sequence
//  CHECK-SAME:   %[[H0:[a-z0-9]+]]: tensor<4xf32>, %[[XS:[a-z0-9]+]]: tensor<3x4xf32>
//       CHECK:   %[[R:.*]]:2 = scan.scan reverse carries(%[[H:.*]] = %[[H0]] : tensor<4xf32>) sequences(%{{.*}} = %[[XS]] : tensor<3x4xf32>) -> (tensor<4xf32>, tensor<3x4xf32>) {
//       CHECK:     scan.yield %{{.*}}, %[[H]] : tensor<4xf32>, tensor<4xf32>
//       CHECK:   return %[[R]]#0, %[[XS]], %[[R]]#1
func.func @forwards_restacked_sequence(%h0: tensor<4xf32>, %xs: tensor<3x4xf32>)
    -> (tensor<4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %h, %xs2, %hs = scan.scan reverse carries(%h = %h0 : tensor<4xf32>)
      sequences(%x = %xs : tensor<3x4xf32>)
      -> (tensor<4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
    %n = arith.addf %h, %x : tensor<4xf32>
    scan.yield %n, %x, %h : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  }
  return %h, %xs2, %hs : tensor<4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}
