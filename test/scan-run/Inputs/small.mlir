// A small scan-free function for the scan-run tests: tanh(x W) and its sum.
func.func @f(%x: tensor<4x3xf32>, %w: tensor<3x5xf32>) -> (tensor<4x5xf32>, f32) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x5xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  %m = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x5xf32>)
                     outs(%acc : tensor<4x5xf32>) -> tensor<4x5xf32>
  %t = math.tanh %m : tensor<4x5xf32>
  %s0 = tensor.empty() : tensor<f32>
  %si = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%t : tensor<4x5xf32>) outs(%si : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %a: f32) {
      %r = arith.addf %in, %a : f32
      linalg.yield %r : f32
    }
  %c = tensor.extract %s[] : tensor<f32>
  return %t, %c : tensor<4x5xf32>, f32
}

// Scalars and integers: (2 s, v + v).
func.func @scalars(%s: f64, %v: tensor<3xi32>) -> (f64, tensor<3xi32>) {
  %two = arith.constant 2.0 : f64
  %d = arith.mulf %s, %two : f64
  %w = arith.addi %v, %v : tensor<3xi32>
  return %d, %w : f64, tensor<3xi32>
}

// The first two random numbers of an argument: pins the generator.
func.func @first(%x: tensor<2xf64>) -> (f64, f64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = tensor.extract %x[%c0] : tensor<2xf64>
  %b = tensor.extract %x[%c1] : tensor<2xf64>
  return %a, %b : f64, f64
}

// An unsupported signature.
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
