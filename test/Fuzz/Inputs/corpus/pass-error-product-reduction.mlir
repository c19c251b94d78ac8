
// A reduction other than a sum.
func.func @prod_cost(%x: tensor<4xf32>) -> tensor<f32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%one : f32) outs(%e : tensor<f32>) -> tensor<f32>
  // expected-error @below {{scan-differentiate: cannot differentiate 'linalg.reduce' other than a sum}}
  %r = linalg.reduce ins(%x : tensor<4xf32>) outs(%i : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %t = arith.mulf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %r : tensor<f32>
}
func.func @prod_grad(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = scan.grad @prod_cost(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

