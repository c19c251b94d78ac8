// The forward GRU of examples/gru.mlir at the headline shape, with its
// scan.scan written as the scf.for over tensors that convert-scan-to-scf
// produces, for the CUDA lowering tests.
//   r = sigmoid(ri_t + h U)       z = sigmoid(zi_t + h V)
//   new_h = tanh(x_t + (r * h) W) h_t = z * new_h + (1 - z) * h
//   cost = sum(h_T)

// The cost of one forward pass.
func.func @gru_cost(%x: tensor<50x80x1000xf32>, %ri: tensor<50x80x1000xf32>,
                    %zi: tensor<50x80x1000xf32>, %h0: tensor<80x1000xf32>,
                    %U: tensor<1000x1000xf32>, %V: tensor<1000x1000xf32>,
                    %W: tensor<1000x1000xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<80x1000xf32>
  %empty = tensor.empty() : tensor<80x1000xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c50 = arith.constant 50 : index
  %hT = scf.for %t = %c0 to %c50 step %c1 iter_args(%h = %h0) -> tensor<80x1000xf32> {
    %xt = tensor.extract_slice %x[%t, 0, 0] [1, 80, 1000] [1, 1, 1] : tensor<50x80x1000xf32> to tensor<80x1000xf32>
    %rit = tensor.extract_slice %ri[%t, 0, 0] [1, 80, 1000] [1, 1, 1] : tensor<50x80x1000xf32> to tensor<80x1000xf32>
    %zit = tensor.extract_slice %zi[%t, 0, 0] [1, 80, 1000] [1, 1, 1] : tensor<50x80x1000xf32> to tensor<80x1000xf32>
    // r = sigmoid(ri_t + h U), with sigmoid(a) = 1 / (1 + exp(-a))
    %hU = linalg.matmul ins(%h, %U : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                        outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %ra = arith.addf %rit, %hU : tensor<80x1000xf32>
    %rn = arith.negf %ra : tensor<80x1000xf32>
    %re = math.exp %rn : tensor<80x1000xf32>
    %rd = arith.addf %one, %re : tensor<80x1000xf32>
    %r = arith.divf %one, %rd : tensor<80x1000xf32>
    // z = sigmoid(zi_t + h V)
    %hV = linalg.matmul ins(%h, %V : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                        outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %za = arith.addf %zit, %hV : tensor<80x1000xf32>
    %zn = arith.negf %za : tensor<80x1000xf32>
    %ze = math.exp %zn : tensor<80x1000xf32>
    %zd = arith.addf %one, %ze : tensor<80x1000xf32>
    %z = arith.divf %one, %zd : tensor<80x1000xf32>
    // new_h = tanh(x_t + (r * h) W)
    %rh = arith.mulf %r, %h : tensor<80x1000xf32>
    %rhW = linalg.matmul ins(%rh, %W : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %na = arith.addf %xt, %rhW : tensor<80x1000xf32>
    %newh = math.tanh %na : tensor<80x1000xf32>
    // h_t = z * new_h + (1 - z) * h
    %zh = arith.mulf %z, %newh : tensor<80x1000xf32>
    %omz = arith.subf %one, %z : tensor<80x1000xf32>
    %keep = arith.mulf %omz, %h : tensor<80x1000xf32>
    %hn = arith.addf %zh, %keep : tensor<80x1000xf32>
    scf.yield %hn : tensor<80x1000xf32>
  }
  %sum0 = tensor.empty() : tensor<f32>
  %sumInit = linalg.fill ins(%zero : f32) outs(%sum0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<80x1000xf32>) outs(%sumInit : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %cost = tensor.extract %sum[] : tensor<f32>
  return %cost : f32
}
