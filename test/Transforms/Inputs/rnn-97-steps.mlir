// The RNN of examples/rnn.mlir at B = 32, T = 97 (prime), D = 128, in f64:
// big enough for budgets in MiB to matter, small enough to compile fast.

func.func @rnn_cost(%x: tensor<97x32x128xf64>, %h0: tensor<32x128xf64>,
                    %W: tensor<128x128xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<32x128xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<32x128xf64>) -> tensor<32x128xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<32x128xf64>)
                  sequences(%xt = %x : tensor<97x32x128xf64>) -> tensor<32x128xf64> {
    %hW = linalg.matmul ins(%h, %W : tensor<32x128xf64>, tensor<128x128xf64>)
                        outs(%acc0 : tensor<32x128xf64>) -> tensor<32x128xf64>
    %pre = arith.addf %xt, %hW : tensor<32x128xf64>
    %hn = math.tanh %pre : tensor<32x128xf64>
    scan.yield %hn : tensor<32x128xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<32x128xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

func.func @rnn_grad(%x: tensor<97x32x128xf64>, %h0: tensor<32x128xf64>,
                    %W: tensor<128x128xf64>) -> tensor<128x128xf64> {
  %dW = scan.grad @rnn_cost(%x, %h0, %W) wrt [2]
      : (tensor<97x32x128xf64>, tensor<32x128xf64>, tensor<128x128xf64>)
      -> tensor<128x128xf64>
  return %dW : tensor<128x128xf64>
}
