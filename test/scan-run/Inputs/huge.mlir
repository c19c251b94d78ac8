// Shapes far beyond any machine's memory: scan-run must refuse them before
// allocating anything.
func.func @big(%x: tensor<100000000x100000xf32>) -> tensor<100000000x100000xf32> {
  return %x : tensor<100000000x100000xf32>
}

// 10^22 elements: the byte size does not even fit in 64 bits.
func.func @overflow(%x: tensor<100000000000x100000000000xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %v = tensor.extract %x[%c0, %c0] : tensor<100000000000x100000000000xf32>
  return %v : f32
}

// Small arguments, but a 40 TB intermediate that compiled code would try to
// allocate.
func.func @inner(%x: tensor<4xf32>) -> tensor<f32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<100000000x100000xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<100000000x100000xf32>) -> tensor<100000000x100000xf32>
  %s0 = tensor.empty() : tensor<f32>
  %si = linalg.fill ins(%z : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%f : tensor<100000000x100000xf32>) outs(%si : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %a: f32) {
      %r = arith.addf %in, %a : f32
      linalg.yield %r : f32
    }
  return %s : tensor<f32>
}

// The same intermediate in a function the entry calls.
func.func @calls_inner(%x: tensor<4xf32>) -> tensor<f32> {
  %r = func.call @inner(%x) : (tensor<4xf32>) -> tensor<f32>
  return %r : tensor<f32>
}

// Unaffected by the huge functions next to it.
func.func @small(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
