// examples/rnn.mlir at B = 32, T = 8, D = 256 (f32): products large enough for
// the runtime's GEMM kernel and its threads, for the concurrency test.
//   pre_h = x_t + h_{t-1} W ;  h_t = tanh(pre_h) ;  cost = sum(h_T)

// The cost of one forward pass.
func.func @rnn_cost(%x: tensor<8x32x256xf32>, %h0: tensor<32x256xf32>,
                    %W: tensor<256x256xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<32x256xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<32x256xf32>) -> tensor<32x256xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<32x256xf32>)
                  sequences(%xt = %x : tensor<8x32x256xf32>)
                  -> tensor<32x256xf32> {
    %hW = linalg.matmul ins(%h, %W : tensor<32x256xf32>, tensor<256x256xf32>)
                        outs(%acc0 : tensor<32x256xf32>) -> tensor<32x256xf32>
    %pre = arith.addf %xt, %hW : tensor<32x256xf32>
    %hn = math.tanh %pre : tensor<32x256xf32>
    scan.yield %hn : tensor<32x256xf32>
  }
  %sum0 = tensor.empty() : tensor<f32>
  %sumInit = linalg.fill ins(%zero : f32) outs(%sum0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<32x256xf32>) outs(%sumInit : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %cost = tensor.extract %sum[] : tensor<f32>
  return %cost : f32
}

// The gradient of the cost w.r.t. the recurrent weight W.
func.func @rnn_grad(%x: tensor<8x32x256xf32>, %h0: tensor<32x256xf32>,
                    %W: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %dW = scan.grad @rnn_cost(%x, %h0, %W) wrt [2]
      : (tensor<8x32x256xf32>, tensor<32x256xf32>, tensor<256x256xf32>)
      -> tensor<256x256xf32>
  return %dW : tensor<256x256xf32>
}
