
func.func @cost(%x: tensor<4xf32>, %n: tensor<4xi32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// No gradient with respect to an integer argument.
func.func @grad_wrt_integer(%x: tensor<3xf32>, %n: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @below entiate with respect to argument #1 of non-float type 'tensor<4xi32>'}}
  %g = scan.grad @cost(%x, %n) wrt [1] : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi32>
  r turn %g : tensor<4xi32>
}

