// RUN: scan-opt %s --split-input-file --convert-elementwise-to-linalg --scan-fuse-elementwise | FileCheck %s

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

// A producer with two uses is not duplicated into its consumers.
// CHECK-LABEL: func.func @negative_shared_producer
//       CHECK:   %[[S:.*]] = linalg.generic
//       CHECK:     arith.addf
//       CHECK:   linalg.generic {{.*}} ins(%[[S]]
//       CHECK:     math.tanh
//       CHECK:   linalg.generic {{.*}} ins(%[[S]]
//       CHECK:     math.exp
func.func @negative_shared_producer(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %s = arith.addf %x, %x : tensor<8xf32>
  %t = math.tanh %s : tensor<8xf32>
  %e = math.exp %s : tensor<8xf32>
  return %t, %e : tensor<8xf32>, tensor<8xf32>
}
