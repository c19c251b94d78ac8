// Results that are NaN (0/0) or infinite (1/0) for any input.
func.func @nan(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %d = arith.subf %x, %x : tensor<4x3xf32>
  %y = arith.divf %d, %d : tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

func.func @inf(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %d = arith.subf %x, %x : tensor<4x3xf32>
  %one = arith.constant dense<1.0> : tensor<4x3xf32>
  %y = arith.divf %one, %d : tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// The identity, to pass inputs through.
func.func @id(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %y = arith.addf %x, %x : tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// Zero-sized dimensions.
func.func @empty(%x: tensor<0x4xf32>) -> (tensor<0x4xf32>, tensor<f32>) {
  %y = arith.addf %x, %x : tensor<0x4xf32>
  %z = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<f32>
  %si = linalg.fill ins(%z : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%x : tensor<0x4xf32>) outs(%si : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %a: f32) {
      %r = arith.addf %in, %a : f32
      linalg.yield %r : f32
    }
  return %y, %s : tensor<0x4xf32>, tensor<f32>
}
