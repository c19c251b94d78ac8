// The RNN of huge-scan.mlir at B = T = 10^10, D = 10: a stacked tensor has
// 10^21 elements, more than an int64_t counts; hoisting the input projection
// or the weight gradient would need a matmul with a 10^20 dimension.
func.func @cost(%x: tensor<10000000000x10000000000x10xf32>, %h0: tensor<10000000000x10xf32>,
                %W: tensor<10x10xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<10000000000x10xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<10000000000x10xf32>) -> tensor<10000000000x10xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<10000000000x10xf32>)
                       sequences(%xt = %x : tensor<10000000000x10000000000x10xf32>)
                       -> (tensor<10000000000x10xf32>, tensor<10000000000x10000000000x10xf32>) {
    %m = linalg.matmul ins(%h, %W : tensor<10000000000x10xf32>, tensor<10x10xf32>)
                       outs(%acc0 : tensor<10000000000x10xf32>) -> tensor<10000000000x10xf32>
    %p = linalg.matmul ins(%xt, %W : tensor<10000000000x10xf32>, tensor<10x10xf32>)
                       outs(%acc0 : tensor<10000000000x10xf32>) -> tensor<10000000000x10xf32>
    %a = arith.addf %m, %p : tensor<10000000000x10xf32>
    %n = math.tanh %a : tensor<10000000000x10xf32>
    scan.yield %n, %n : tensor<10000000000x10xf32>, tensor<10000000000x10xf32>
  }
  %s0 = tensor.empty() : tensor<f32>
  %si = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%hT : tensor<10000000000x10xf32>) outs(%si : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %r = arith.addf %in, %acc : f32
      linalg.yield %r : f32
    }
  %c = tensor.extract %s[] : tensor<f32>
  return %c : f32
}

func.func @grad(%x: tensor<10000000000x10000000000x10xf32>, %h0: tensor<10000000000x10xf32>,
                %W: tensor<10x10xf32>)
    -> (tensor<10000000000x10000000000x10xf32>, tensor<10000000000x10xf32>, tensor<10x10xf32>) {
  %g:3 = scan.grad @cost(%x, %h0, %W) wrt [0, 1, 2]
      : (tensor<10000000000x10000000000x10xf32>, tensor<10000000000x10xf32>, tensor<10x10xf32>)
      -> (tensor<10000000000x10000000000x10xf32>, tensor<10000000000x10xf32>, tensor<10x10xf32>)
  return %g#0, %g#1, %g#2 : tensor<10000000000x10000000000x10xf32>, tensor<10000000000x10xf32>, tensor<10x10xf32>
}
