
// A scan nested in a scan body.
func.func @nested_cost(%x: tensor<3x2xf32>, %h0: tensor<2xf32>) -> tensor<f32> {
  %hT = scan.scan carries(%h = %h0 : tensor<2xf32>) sequences(%xt = %x : tensor<3x2xf32>) -> tensor<2xf32> {
    // expected-error @below {{scan-differentiate: cannot differentiate 'scan.scan' nested in another scan.scan}}
    %in = scan.scan length(2) carries(%g = %h : tensor<2xf32>) -> tensor<2xf32> {
      %a = arith.addf %g, %xt : tensor<2xf32>
      scan.yield %a : tensor<2xf32>
    }
    scan.yield %in : tensor<2xf32>
  }
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.reduce ins(%hT : tensor<2xf32>) outs(%i : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %r : tensor<f32>
}
func.func @nested_grad(%x: tensor<3x2xf32>, %h0: tensor<2xf32>) -> tensor<2xf32> {
  %g = scan.grad @nested_cost(%x, %h0) wrt [1] : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %g : tensor<2xf32>
}

