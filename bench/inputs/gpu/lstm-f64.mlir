// LSTM at the study's headline shape: batch B = 80, T = 50 steps, input and
// hidden size D = 1000, float32. Unlike rnn.mlir and gru.mlir, the input
// projection x_t Wx_g of every gate is written inside the cell, as users
// usually write it; scan-hoist-input-projections moves it out of the loop.
//
//   i = sigmoid(x_t Wi + h Ui)   f = sigmoid(x_t Wf + h Uf)
//   o = sigmoid(x_t Wo + h Uo)   g = tanh(x_t Wg + h Ug)
//   c_t = f * c + i * g          h_t = o * tanh(c_t)
//   cost = sum(h_T)

// The cost of one forward pass.
func.func @lstm_cost(%x: tensor<6x4x32xf64>, %h0: tensor<4x32xf64>,
                     %c0: tensor<4x32xf64>,
                     %Wi: tensor<32x32xf64>, %Wf: tensor<32x32xf64>,
                     %Wo: tensor<32x32xf64>, %Wg: tensor<32x32xf64>,
                     %Ui: tensor<32x32xf64>, %Uf: tensor<32x32xf64>,
                     %Uo: tensor<32x32xf64>, %Ug: tensor<32x32xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<4x32xf64>
  %empty = tensor.empty() : tensor<4x32xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<4x32xf64>) -> tensor<4x32xf64>
  %hT, %cT = scan.scan carries(%h = %h0 : tensor<4x32xf64>, %c = %c0 : tensor<4x32xf64>)
                       sequences(%xt = %x : tensor<6x4x32xf64>)
                       -> (tensor<4x32xf64>, tensor<4x32xf64>) {
    // input gate
    %xWi = linalg.matmul ins(%xt, %Wi : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %hUi = linalg.matmul ins(%h, %Ui : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %ia = arith.addf %xWi, %hUi : tensor<4x32xf64>
    %in = arith.negf %ia : tensor<4x32xf64>
    %ie = math.exp %in : tensor<4x32xf64>
    %id = arith.addf %one, %ie : tensor<4x32xf64>
    %i = arith.divf %one, %id : tensor<4x32xf64>
    // forget gate
    %xWf = linalg.matmul ins(%xt, %Wf : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %hUf = linalg.matmul ins(%h, %Uf : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %fa = arith.addf %xWf, %hUf : tensor<4x32xf64>
    %fn = arith.negf %fa : tensor<4x32xf64>
    %fe = math.exp %fn : tensor<4x32xf64>
    %fd = arith.addf %one, %fe : tensor<4x32xf64>
    %f = arith.divf %one, %fd : tensor<4x32xf64>
    // output gate
    %xWo = linalg.matmul ins(%xt, %Wo : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %hUo = linalg.matmul ins(%h, %Uo : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %oa = arith.addf %xWo, %hUo : tensor<4x32xf64>
    %on = arith.negf %oa : tensor<4x32xf64>
    %oe = math.exp %on : tensor<4x32xf64>
    %od = arith.addf %one, %oe : tensor<4x32xf64>
    %o = arith.divf %one, %od : tensor<4x32xf64>
    // candidate
    %xWg = linalg.matmul ins(%xt, %Wg : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %hUg = linalg.matmul ins(%h, %Ug : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %ga = arith.addf %xWg, %hUg : tensor<4x32xf64>
    %g = math.tanh %ga : tensor<4x32xf64>
    // state update
    %fc = arith.mulf %f, %c : tensor<4x32xf64>
    %ig = arith.mulf %i, %g : tensor<4x32xf64>
    %cn = arith.addf %fc, %ig : tensor<4x32xf64>
    %tc = math.tanh %cn : tensor<4x32xf64>
    %hn = arith.mulf %o, %tc : tensor<4x32xf64>
    scan.yield %hn, %cn : tensor<4x32xf64>, tensor<4x32xf64>
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

// The gradients of the cost w.r.t. the four input weights Wi, Wf, Wo, Wg and
// the four recurrent weights Ui, Uf, Uo, Ug, in argument order.
func.func @lstm_grad(%x: tensor<6x4x32xf64>, %h0: tensor<4x32xf64>,
                     %c0: tensor<4x32xf64>,
                     %Wi: tensor<32x32xf64>, %Wf: tensor<32x32xf64>,
                     %Wo: tensor<32x32xf64>, %Wg: tensor<32x32xf64>,
                     %Ui: tensor<32x32xf64>, %Uf: tensor<32x32xf64>,
                     %Uo: tensor<32x32xf64>, %Ug: tensor<32x32xf64>)
    -> (tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
        tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
        tensor<32x32xf64>, tensor<32x32xf64>) {
  %dWi, %dWf, %dWo, %dWg, %dUi, %dUf, %dUo, %dUg =
      scan.grad @lstm_cost(%x, %h0, %c0, %Wi, %Wf, %Wo, %Wg, %Ui, %Uf, %Uo, %Ug)
      wrt [3, 4, 5, 6, 7, 8, 9, 10]
      : (tensor<6x4x32xf64>, tensor<4x32xf64>, tensor<4x32xf64>,
         tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
         tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
         tensor<32x32xf64>, tensor<32x32xf64>)
      -> (tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
          tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
          tensor<32x32xf64>, tensor<32x32xf64>)
  return %dWi, %dWf, %dWo, %dWg, %dUi, %dUf, %dUo, %dUg
      : tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
        tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
        tensor<32x32xf64>, tensor<32x32xf64>
}
