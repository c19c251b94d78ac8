// RUN: scan-opt %s --split-input-file --scan-hoist-accumulated-matmuls="min-trip-count=6 allow-transposes=false" --verify-diagnostics | FileCheck %s

// Five steps are fewer than min-trip-count=6: nothing changes.
// CHECK-LABEL: func.func @negative_below_min_trip_count
//       CHECK:   scan.scan carries
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_below_min_trip_count(%as: tensor<5x2x3xf32>, %es: tensor<5x2x4xf32>, %acc0: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @below {{accumulator (carry #0) not hoisted: trip count 5 is below min-trip-count 6}}
  %r = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<5x2x3xf32>, %et = %es : tensor<5x2x4xf32>) -> tensor<3x4xf32> {
    %s = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s : tensor<3x4xf32>
  }
  return %r : tensor<3x4xf32>
}

// -----

// With allow-transposes=false, a product whose stacked operand would need a
// transpose stays in the loop; the A^T B accumulator next to it is hoisted.
// CHECK-LABEL: func.func @negative_transpose_not_allowed
//       CHECK:   scan.scan carries(%{{.*}} = %{{.*}} : tensor<3x4xf32>) sequences
//       CHECK:     linalg.matmul ins
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
//       CHECK:   linalg.matmul indexing_maps
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
func.func @negative_transpose_not_allowed(%as: tensor<6x3x2xf32>, %bs: tensor<6x2x3xf32>, %es: tensor<6x2x4xf32>,
                                          %acc0: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  // expected-remark @below {{accumulator (carry #0) not hoisted: contraction dimension is not leading in a per-step operand and allow-transposes is off}}
  // expected-remark @below {{hoisted accumulator (carry #1): 6 x (3x2x4) -> 1 x (3x12x4)}}
  %r, %q = scan.scan carries(%acc = %acc0 : tensor<3x4xf32>, %acc2 = %acc0 : tensor<3x4xf32>)
      sequences(%at = %as : tensor<6x3x2xf32>, %bt = %bs : tensor<6x2x3xf32>, %et = %es : tensor<6x2x4xf32>)
      -> (tensor<3x4xf32>, tensor<3x4xf32>) {
    %s = linalg.matmul ins(%at, %et : tensor<3x2xf32>, tensor<2x4xf32>)
                       outs(%acc : tensor<3x4xf32>) -> tensor<3x4xf32>
    %s2 = linalg.matmul indexing_maps = #tA ins(%bt, %et : tensor<2x3xf32>, tensor<2x4xf32>)
                        outs(%acc2 : tensor<3x4xf32>) -> tensor<3x4xf32>
    scan.yield %s, %s2 : tensor<3x4xf32>, tensor<3x4xf32>
  }
  return %r, %q : tensor<3x4xf32>, tensor<3x4xf32>
}
