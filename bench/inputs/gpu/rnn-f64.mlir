// Simple (Elman) RNN at the study's headline shape: batch B = 80, T = 50 steps,
// hidden size D = 1000, float32.
//
//   pre_h = x_t + h_{t-1} W ;  h_t = tanh(pre_h) ;  cost = sum(h_T)

// The cost of one forward pass.
func.func @rnn_cost(%x: tensor<6x4x32xf64>, %h0: tensor<4x32xf64>,
                    %W: tensor<32x32xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<4x32xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<4x32xf64>) -> tensor<4x32xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<4x32xf64>)
                  sequences(%xt = %x : tensor<6x4x32xf64>)
                  -> tensor<4x32xf64> {
    %hW = linalg.matmul ins(%h, %W : tensor<4x32xf64>, tensor<32x32xf64>)
                        outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %pre = arith.addf %xt, %hW : tensor<4x32xf64>
    %hn = math.tanh %pre : tensor<4x32xf64>
    scan.yield %hn : tensor<4x32xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<4x32xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

// The gradient of the cost w.r.t. the recurrent weight W.
func.func @rnn_grad(%x: tensor<6x4x32xf64>, %h0: tensor<4x32xf64>,
                    %W: tensor<32x32xf64>) -> tensor<32x32xf64> {
  %dW = scan.grad @rnn_cost(%x, %h0, %W) wrt [2]
      : (tensor<6x4x32xf64>, tensor<4x32xf64>, tensor<32x32xf64>)
      -> tensor<32x32xf64>
  return %dW : tensor<32x32xf64>
}
