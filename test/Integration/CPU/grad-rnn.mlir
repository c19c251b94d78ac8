// Gradients of the simple RNN cell of examples/rnn.mlir at a tiny shape
// (B = 2, T = 3, D = 4, f64): checked against central finite differences and
// against a closed-form backward pass (Inputs/gen_grad_refs.py).
//
// RUN: scan-run %s --entry=rnn_grad --check-grad --random-scale=1,0.5,0.5
// RUN: scan-run %s --entry=rnn_grad_all --check-grad --random-scale=1,0.5,0.5
// RUN: scan-run %s --entry=rnn_grad_all \
// RUN:   --input=%S/Inputs/rnn.x.npy --input=%S/Inputs/rnn.h0.npy --input=%S/Inputs/rnn.W.npy \
// RUN:   --expect=%S/Inputs/rnn.dx.npy --expect=%S/Inputs/rnn.dh0.npy --expect=%S/Inputs/rnn.dW.npy \
// RUN:   --rtol=1e-10 --atol=1e-12

func.func @rnn_cost(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                    %W: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<2x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf64>)
                  sequences(%xt = %x : tensor<3x2x4xf64>)
                  -> tensor<2x4xf64> {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %pre = arith.addf %xt, %hW : tensor<2x4xf64>
    %hn = math.tanh %pre : tensor<2x4xf64>
    scan.yield %hn : tensor<2x4xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<2x4xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

// The gradient of the cost w.r.t. the recurrent weight W.
func.func @rnn_grad(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                    %W: tensor<4x4xf64>) -> tensor<4x4xf64> {
  %dW = scan.grad @rnn_cost(%x, %h0, %W) wrt [2]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>)
      -> tensor<4x4xf64>
  return %dW : tensor<4x4xf64>
}

// The gradients w.r.t. every argument.
func.func @rnn_grad_all(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                        %W: tensor<4x4xf64>)
    -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) {
  %dx, %dh0, %dW = scan.grad @rnn_cost(%x, %h0, %W) wrt [0, 1, 2]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>)
      -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>)
  return %dx, %dh0, %dW : tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>
}
