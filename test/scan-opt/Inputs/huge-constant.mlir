// A 40 TB splat constant: compact as an attribute, far beyond memory once
// materialised.
func.func @c(%x: tensor<4xf32>) -> tensor<f32> {
  %k = arith.constant dense<1.0> : tensor<100000000x100000xf32>
  %z = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<f32>
  %si = linalg.fill ins(%z : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%k : tensor<100000000x100000xf32>) outs(%si : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %a: f32) {
      %r = arith.addf %in, %a : f32
      linalg.yield %r : f32
    }
  return %s : tensor<f32>
}
