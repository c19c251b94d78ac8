// Matmuls with a zero-sized contraction dimension that scan-merge-matmuls
// can merge (sharing an lhs; summed).
func.func @f(%x: tensor<4x0xf32>, %a: tensor<0x3xf32>, %b: tensor<0x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %1 = linalg.matmul ins(%x, %a : tensor<4x0xf32>, tensor<0x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  %2 = linalg.matmul ins(%x, %b : tensor<4x0xf32>, tensor<0x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %1, %2 : tensor<4x3xf32>, tensor<4x3xf32>
}
func.func @g(%x: tensor<4x0xf32>, %y: tensor<4x0xf32>, %a: tensor<0x3xf32>, %b: tensor<0x3xf32>) -> tensor<4x3xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %1 = linalg.matmul ins(%x, %a : tensor<4x0xf32>, tensor<0x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  %2 = linalg.matmul ins(%y, %b : tensor<4x0xf32>, tensor<0x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  %s = arith.addf %1, %2 : tensor<4x3xf32>
  return %s : tensor<4x3xf32>
}
