// A cost whose gradient has one large and one tiny element, and a
// "gradient" that is off by 5e-4 on the tiny one: element-wise it is 50%
// wrong, normwise (next to the large element) 5e-7.
func.func @cost(%x: tensor<2xf64>) -> f64 {
  %c = arith.constant dense<[1000.0, 0.001]> : tensor<2xf64>
  %zero = arith.constant 0.0 : f64
  %p = arith.mulf %x, %c : tensor<2xf64>
  %s0 = tensor.empty() : tensor<f64>
  %si = linalg.fill ins(%zero : f64) outs(%s0 : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%p : tensor<2xf64>) outs(%si : tensor<f64>) dimensions = [0]
    (%in: f64, %a: f64) {
      %r = arith.addf %in, %a : f64
      linalg.yield %r : f64
    }
  %v = tensor.extract %s[] : tensor<f64>
  return %v : f64
}

func.func @almost_grad(%x: tensor<2xf64>) -> tensor<2xf64> {
  %g = arith.constant dense<[1000.0, 0.0015]> : tensor<2xf64>
  return %g : tensor<2xf64>
}
