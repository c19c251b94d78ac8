// RUN: scan-opt %s --verify-diagnostics --scan-differentiate \
// RUN:   --scan-checkpoint-gradients=budget-mib=2

// The RNN gradient at B = 32, T = 97, D = 128 in f64 needs at least 3 MiB
// with the best schedule found (16 segments of 6 steps after 1 step, predicted 2.6 MiB):
// a budget of 2 MiB gets one error naming that minimum.
func.func @rnn_cost(%x: tensor<97x32x128xf64>, %h0: tensor<32x128xf64>,
                    %W: tensor<128x128xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<32x128xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<32x128xf64>) -> tensor<32x128xf64>
  // expected-error @below {{memory budget of 2 MiB is below the smallest checkpointed gradient found: 3 MiB}}
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
