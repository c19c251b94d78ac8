// RUN: scan-opt %s --split-input-file --convert-elementwise-to-linalg --scan-fuse-elementwise | FileCheck %s
// RUN: scan-opt %s --split-input-file --convert-elementwise-to-linalg --scan-fuse-elementwise=multi-result=false | FileCheck %s --check-prefix=OFF

// tanh(x + y) becomes one linalg.generic.
// CHECK-LABEL: func.func @chain
//       CHECK:   linalg.generic
//       CHECK:     arith.addf
//       CHECK:     math.tanh
//   CHECK-NOT:   linalg.generic
func.func @chain(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = arith.addf %x, %y : tensor<4x8xf32>
  %t = math.tanh %s : tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}

// -----

// A matmul over collapsed stacked tensors (one GEMM over every step) stays a
// linalg.matmul: no reshape is propagated into it.
// CHECK-LABEL: func.func @negative_matmul_over_reshape
//       CHECK:   tensor.collapse_shape
//       CHECK:   tensor.collapse_shape
//       CHECK:   linalg.matmul
//   CHECK-NOT:   linalg.generic
func.func @negative_matmul_over_reshape(%a: tensor<3x2x2xf32>, %b: tensor<3x2x3xf32>,
                                        %c: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a2 = tensor.collapse_shape %a [[0, 1], [2]] : tensor<3x2x2xf32> into tensor<6x2xf32>
  %b2 = tensor.collapse_shape %b [[0, 1], [2]] : tensor<3x2x3xf32> into tensor<6x3xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                      affine_map<(m, n, k) -> (k, n)>,
                                      affine_map<(m, n, k) -> (m, n)>]
       ins(%a2, %b2 : tensor<6x2xf32>, tensor<6x3xf32>)
       outs(%c : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// A producer with two uses is not duplicated into its consumers: it and its
// users become one op with two results, computing the sum once.
// CHECK-LABEL: func.func @shared_producer
//       CHECK:   %[[R:.*]]:2 = linalg.generic
//  CHECK-SAME:     ins(%{{.*}} : tensor<8xf32>)
//       CHECK:     arith.addf
//   CHECK-NOT:     arith.addf
//       CHECK:     math.tanh
//       CHECK:     math.exp
//       CHECK:     linalg.yield
//   CHECK-NOT:   linalg.generic
//       CHECK:   return %[[R]]#0, %[[R]]#1
// Without multi-result merging, three ops, the sum computed once.
// OFF-LABEL: func.func @shared_producer
//       OFF:   %[[S:.*]] = linalg.generic
//       OFF:     arith.addf
//       OFF:   linalg.generic {{.*}} ins(%[[S]]
//       OFF:     math.tanh
//       OFF:   linalg.generic {{.*}} ins(%[[S]]
//       OFF:     math.exp
func.func @shared_producer(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %s = arith.addf %x, %x : tensor<8xf32>
  %t = math.tanh %s : tensor<8xf32>
  %e = math.exp %s : tensor<8xf32>
  return %t, %e : tensor<8xf32>, tensor<8xf32>
}

// -----

// A value used by the merged op and by an op after it is yielded too; a
// value used only inside is not.
// CHECK-LABEL: func.func @kept_results
//       CHECK:   %[[R:.*]]:2 = linalg.generic
//  CHECK-SAME:     outs(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x8xf32>)
//       CHECK:     %[[SIG:.*]] = arith.divf
//       CHECK:     %[[ONE_MINUS:.*]] = arith.subf %{{.*}}, %[[SIG]]
//       CHECK:     %[[D:.*]] = arith.mulf %[[SIG]], %[[ONE_MINUS]]
//       CHECK:     linalg.yield %[[SIG]], %[[D]]
//       CHECK:   linalg.matmul ins(%[[R]]#0,
//       CHECK:   return %[[R]]#1,
func.func @kept_results(%a: tensor<4x8xf32>, %w: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %one = arith.constant dense<1.0> : tensor<4x8xf32>
  %n = arith.negf %a : tensor<4x8xf32>
  %e = math.exp %n : tensor<4x8xf32>
  %d1 = arith.addf %e, %one : tensor<4x8xf32>
  %sig = arith.divf %one, %d1 : tensor<4x8xf32>
  %om = arith.subf %one, %sig : tensor<4x8xf32>
  %ds = arith.mulf %sig, %om : tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = linalg.matmul ins(%sig, %w : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%init : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %ds, %m : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// An op between two elementwise ops that reads the first ends the group:
// merging would move the first after its user.
// CHECK-LABEL: func.func @negative_user_between
//       CHECK:   %[[E:.*]] = linalg.generic
//       CHECK:     math.exp
//       CHECK:   %[[M:.*]] = linalg.matmul ins(%[[E]],
//       CHECK:   linalg.generic {{.*}} ins(%[[E]], %[[M]] :
//       CHECK:     math.tanh
func.func @negative_user_between(%a: tensor<4x8xf32>, %w: tensor<8x8xf32>)
    -> tensor<4x8xf32> {
  %e = math.exp %a : tensor<4x8xf32>
  %t = math.tanh %e : tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = linalg.matmul ins(%e, %w : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%init : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = arith.addf %t, %m : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// Ops over different iteration spaces stay apart.
// CHECK-LABEL: func.func @negative_other_shape
//       CHECK:   linalg.generic
//       CHECK:     math.exp
//       CHECK:   linalg.generic
//       CHECK:     math.tanh
func.func @negative_other_shape(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>)
    -> (tensor<4x8xf32>, tensor<8x4xf32>) {
  %e = math.exp %a : tensor<4x8xf32>
  %t = math.tanh %b : tensor<8x4xf32>
  return %e, %t : tensor<4x8xf32>, tensor<8x4xf32>
}

// -----

// A group value read through a transposing map is not at the same point of
// the iteration space: the reader stays apart.
#id = affine_map<(i, j) -> (i, j)>
#tr = affine_map<(i, j) -> (j, i)>
// CHECK-LABEL: func.func @negative_transposed_read
//       CHECK:   %[[E:.*]] = linalg.generic
//       CHECK:     math.exp
//       CHECK:   linalg.generic {{.*}} ins(%[[E]], %[[E]] :
//       CHECK:     math.tanh
//       CHECK:     arith.negf
func.func @negative_transposed_read(%a: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %e = math.exp %a : tensor<4x4xf32>
  %t = math.tanh %e : tensor<4x4xf32>
  %empty = tensor.empty() : tensor<4x4xf32>
  %tr = linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<4x4xf32>) outs(%empty : tensor<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x4xf32>
  %r = arith.addf %t, %tr : tensor<4x4xf32>
  return %r, %e : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// An op that reads its initial value (an accumulation) does not join.
#id1 = affine_map<(i) -> (i)>
// CHECK-LABEL: func.func @negative_reads_init
//       CHECK:   linalg.generic
//       CHECK:     math.exp
//       CHECK:   linalg.generic {{.*}} outs(%{{.*}} : tensor<8xf32>)
//       CHECK:     arith.addf %{{.*}}, %{{.*}} : f32
func.func @negative_reads_init(%a: tensor<8xf32>, %acc: tensor<8xf32>)
    -> (tensor<8xf32>, tensor<8xf32>) {
  %e = math.exp %a : tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%acc : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %x = arith.addf %in, %out : f32
    linalg.yield %x : f32
  } -> tensor<8xf32>
  return %e, %s : tensor<8xf32>, tensor<8xf32>
}

// -----

// A loop invariant is neither fused into an op in the loop (it would be
// computed on every iteration) nor merged with one.
// CHECK-LABEL: func.func @negative_other_block
//       CHECK:   linalg.generic
//       CHECK:     math.exp
//       CHECK:   scf.for
//       CHECK:     linalg.generic
//   CHECK-NOT:       math.exp
//       CHECK:       math.tanh
func.func @negative_other_block(%a: tensor<8xf32>, %n: index) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = math.exp %a : tensor<8xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %a) -> tensor<8xf32> {
    %t = math.tanh %e : tensor<8xf32>
    %y = arith.addf %t, %x : tensor<8xf32>
    scf.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
