// An RNN and its gradient at B = 100000, T = 100000, D = 100000: every
// stacked tensor is 4 * 10^15 bytes.
func.func @cost(%x: tensor<100000x100000x100000xf32>, %h0: tensor<100000x100000xf32>,
                %W: tensor<100000x100000xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<100000x100000xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<100000x100000xf32>) -> tensor<100000x100000xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<100000x100000xf32>)
                       sequences(%xt = %x : tensor<100000x100000x100000xf32>)
                       -> (tensor<100000x100000xf32>, tensor<100000x100000x100000xf32>) {
    %m = linalg.matmul ins(%h, %W : tensor<100000x100000xf32>, tensor<100000x100000xf32>)
                       outs(%acc0 : tensor<100000x100000xf32>) -> tensor<100000x100000xf32>
    %a = arith.addf %m, %xt : tensor<100000x100000xf32>
    %n = math.tanh %a : tensor<100000x100000xf32>
    scan.yield %n, %n : tensor<100000x100000xf32>, tensor<100000x100000xf32>
  }
  %s0 = tensor.empty() : tensor<f32>
  %si = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%hT : tensor<100000x100000xf32>) outs(%si : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %r = arith.addf %in, %acc : f32
      linalg.yield %r : f32
    }
  %c = tensor.extract %s[] : tensor<f32>
  return %c : f32
}

func.func @grad(%x: tensor<100000x100000x100000xf32>, %h0: tensor<100000x100000xf32>,
                %W: tensor<100000x100000xf32>)
    -> (tensor<100000x100000x100000xf32>, tensor<100000x100000xf32>, tensor<100000x100000xf32>) {
  %g:3 = scan.grad @cost(%x, %h0, %W) wrt [0, 1, 2]
      : (tensor<100000x100000x100000xf32>, tensor<100000x100000xf32>, tensor<100000x100000xf32>)
      -> (tensor<100000x100000x100000xf32>, tensor<100000x100000xf32>, tensor<100000x100000xf32>)
  return %g#0, %g#1, %g#2 : tensor<100000x100000x100000xf32>, tensor<100000x100000xf32>, tensor<100000x100000xf32>
}
