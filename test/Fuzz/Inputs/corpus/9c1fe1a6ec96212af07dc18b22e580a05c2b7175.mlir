
// Hoisted GRU weight gradients after the loop: H^T E_r and H^T E_z share the
// transposed left operand and become H^T [E_r E_z].
// CHECK-LABEL: func.func @weight_grads_after_loop
//       CHECK:   %[[R:.*]]:2 = scan.scan
//       CHECK:   scan.yield
// lice %[[M]][0, 8] [8, 8] [1, 1]
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return %[[DU]], %[[DV]]
#mAt = affine_map<(m, n, k) -> (k, m)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @weight_grads_after_loop(%hs: tensor<3x4x8xf32>, %g: tensor<3x4x8xf32>)
    -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %c0 = arith.constant 0.0 : f32
  %ss = tensor.empty() : tensor<4x8xf32>
  %er, %ez = scan.scan reverse sequences(%gt = %g : tensor<3x4x8xf32>)
      -> (tensor<3x4x8xf32>, tensor<3x4x8xf32>) {
    %a = math.tanh %gt : tensor<4x8xf32>
    %b = math.exp %gt : tensor<4x8xf32>
    scan.yield %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
  }
  %H = tensor.collapse_shape %hs [[0, 1], [4]] : tensor<3x4x8xf32> into tensor<12x8xf32>
  %Er = tensor.collapse_shape %er [[0, 1], [2]] : tensor<3x4x8xf32> into tensor<12x8xf32>
  %Ez = tensor.collapse_shape %ez [[0, 1], [2]] : tensor<3x4x8xf32> into tensor<12x8xf32>
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dU = linalg.matmul indexing_maps = [#mAt, #mB, #mC]
      ins(%H, %Er : tensor<12x8xf32>, tensor<12x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dV = linalg.matmul indexing_maps = [#mAt, #mB, #mC]
      ins(%H, %Ez : tensor<12x8xf32>, tensor<12x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %dU, %dV : tensor<8x8xf32>, tensor<8x8xf32>
}

