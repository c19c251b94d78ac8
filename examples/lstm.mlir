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
func.func @lstm_cost(%x: tensor<50x80x1000xf32>, %h0: tensor<80x1000xf32>,
                     %c0: tensor<80x1000xf32>,
                     %Wi: tensor<1000x1000xf32>, %Wf: tensor<1000x1000xf32>,
                     %Wo: tensor<1000x1000xf32>, %Wg: tensor<1000x1000xf32>,
                     %Ui: tensor<1000x1000xf32>, %Uf: tensor<1000x1000xf32>,
                     %Uo: tensor<1000x1000xf32>, %Ug: tensor<1000x1000xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<80x1000xf32>
  %empty = tensor.empty() : tensor<80x1000xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %hT, %cT = scan.scan carries(%h = %h0 : tensor<80x1000xf32>, %c = %c0 : tensor<80x1000xf32>)
                       sequences(%xt = %x : tensor<50x80x1000xf32>)
                       -> (tensor<80x1000xf32>, tensor<80x1000xf32>) {
    // input gate
    %xWi = linalg.matmul ins(%xt, %Wi : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %hUi = linalg.matmul ins(%h, %Ui : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %ia = arith.addf %xWi, %hUi : tensor<80x1000xf32>
    %in = arith.negf %ia : tensor<80x1000xf32>
    %ie = math.exp %in : tensor<80x1000xf32>
    %id = arith.addf %one, %ie : tensor<80x1000xf32>
    %i = arith.divf %one, %id : tensor<80x1000xf32>
    // forget gate
    %xWf = linalg.matmul ins(%xt, %Wf : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %hUf = linalg.matmul ins(%h, %Uf : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %fa = arith.addf %xWf, %hUf : tensor<80x1000xf32>
    %fn = arith.negf %fa : tensor<80x1000xf32>
    %fe = math.exp %fn : tensor<80x1000xf32>
    %fd = arith.addf %one, %fe : tensor<80x1000xf32>
    %f = arith.divf %one, %fd : tensor<80x1000xf32>
    // output gate
    %xWo = linalg.matmul ins(%xt, %Wo : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %hUo = linalg.matmul ins(%h, %Uo : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %oa = arith.addf %xWo, %hUo : tensor<80x1000xf32>
    %on = arith.negf %oa : tensor<80x1000xf32>
    %oe = math.exp %on : tensor<80x1000xf32>
    %od = arith.addf %one, %oe : tensor<80x1000xf32>
    %o = arith.divf %one, %od : tensor<80x1000xf32>
    // candidate
    %xWg = linalg.matmul ins(%xt, %Wg : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %hUg = linalg.matmul ins(%h, %Ug : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %ga = arith.addf %xWg, %hUg : tensor<80x1000xf32>
    %g = math.tanh %ga : tensor<80x1000xf32>
    // state update
    %fc = arith.mulf %f, %c : tensor<80x1000xf32>
    %ig = arith.mulf %i, %g : tensor<80x1000xf32>
    %cn = arith.addf %fc, %ig : tensor<80x1000xf32>
    %tc = math.tanh %cn : tensor<80x1000xf32>
    %hn = arith.mulf %o, %tc : tensor<80x1000xf32>
    scan.yield %hn, %cn : tensor<80x1000xf32>, tensor<80x1000xf32>
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

// The gradients of the cost w.r.t. the four input weights Wi, Wf, Wo, Wg and
// the four recurrent weights Ui, Uf, Uo, Ug, in argument order.
func.func @lstm_grad(%x: tensor<50x80x1000xf32>, %h0: tensor<80x1000xf32>,
                     %c0: tensor<80x1000xf32>,
                     %Wi: tensor<1000x1000xf32>, %Wf: tensor<1000x1000xf32>,
                     %Wo: tensor<1000x1000xf32>, %Wg: tensor<1000x1000xf32>,
                     %Ui: tensor<1000x1000xf32>, %Uf: tensor<1000x1000xf32>,
                     %Uo: tensor<1000x1000xf32>, %Ug: tensor<1000x1000xf32>)
    -> (tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
        tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
        tensor<1000x1000xf32>, tensor<1000x1000xf32>) {
  %dWi, %dWf, %dWo, %dWg, %dUi, %dUf, %dUo, %dUg =
      scan.grad @lstm_cost(%x, %h0, %c0, %Wi, %Wf, %Wo, %Wg, %Ui, %Uf, %Uo, %Ug)
      wrt [3, 4, 5, 6, 7, 8, 9, 10]
      : (tensor<50x80x1000xf32>, tensor<80x1000xf32>, tensor<80x1000xf32>,
         tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
         tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
         tensor<1000x1000xf32>, tensor<1000x1000xf32>)
      -> (tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
          tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
          tensor<1000x1000xf32>, tensor<1000x1000xf32>)
  return %dWi, %dWf, %dWo, %dWg, %dUi, %dUf, %dUo, %dUg
      : tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
        tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
        tensor<1000x1000xf32>, tensor<1000x1000xf32>
}
