// Gradients of the LSTM cell of examples/lstm.mlir at a tiny shape
// (B = 2, T = 3, D = 4, f64) w.r.t. its eight weights, and w.r.t. the input
// sequence and both initial states, checked against central finite
// differences.
//
// RUN: scan-run %s --entry=lstm_grad --check-grad --random-scale=1,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5
// RUN: scan-run %s --entry=lstm_grad_inputs --check-grad --random-scale=1,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5

func.func @lstm_cost(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                     %c0: tensor<2x4xf64>,
                     %Wi: tensor<4x4xf64>, %Wf: tensor<4x4xf64>,
                     %Wo: tensor<4x4xf64>, %Wg: tensor<4x4xf64>,
                     %Ui: tensor<4x4xf64>, %Uf: tensor<4x4xf64>,
                     %Uo: tensor<4x4xf64>, %Ug: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<2x4xf64>
  %empty = tensor.empty() : tensor<2x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT, %cT = scan.scan carries(%h = %h0 : tensor<2x4xf64>, %c = %c0 : tensor<2x4xf64>)
                       sequences(%xt = %x : tensor<3x2x4xf64>)
                       -> (tensor<2x4xf64>, tensor<2x4xf64>) {
    // input gate
    %xWi = linalg.matmul ins(%xt, %Wi : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %hUi = linalg.matmul ins(%h, %Ui : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %ia = arith.addf %xWi, %hUi : tensor<2x4xf64>
    %in = arith.negf %ia : tensor<2x4xf64>
    %ie = math.exp %in : tensor<2x4xf64>
    %id = arith.addf %one, %ie : tensor<2x4xf64>
    %i = arith.divf %one, %id : tensor<2x4xf64>
    // forget gate
    %xWf = linalg.matmul ins(%xt, %Wf : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %hUf = linalg.matmul ins(%h, %Uf : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %fa = arith.addf %xWf, %hUf : tensor<2x4xf64>
    %fn = arith.negf %fa : tensor<2x4xf64>
    %fe = math.exp %fn : tensor<2x4xf64>
    %fd = arith.addf %one, %fe : tensor<2x4xf64>
    %f = arith.divf %one, %fd : tensor<2x4xf64>
    // output gate
    %xWo = linalg.matmul ins(%xt, %Wo : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %hUo = linalg.matmul ins(%h, %Uo : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %oa = arith.addf %xWo, %hUo : tensor<2x4xf64>
    %on = arith.negf %oa : tensor<2x4xf64>
    %oe = math.exp %on : tensor<2x4xf64>
    %od = arith.addf %one, %oe : tensor<2x4xf64>
    %o = arith.divf %one, %od : tensor<2x4xf64>
    // candidate
    %xWg = linalg.matmul ins(%xt, %Wg : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %hUg = linalg.matmul ins(%h, %Ug : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %ga = arith.addf %xWg, %hUg : tensor<2x4xf64>
    %g = math.tanh %ga : tensor<2x4xf64>
    // state update
    %fc = arith.mulf %f, %c : tensor<2x4xf64>
    %ig = arith.mulf %i, %g : tensor<2x4xf64>
    %cn = arith.addf %fc, %ig : tensor<2x4xf64>
    %tc = math.tanh %cn : tensor<2x4xf64>
    %hn = arith.mulf %o, %tc : tensor<2x4xf64>
    scan.yield %hn, %cn : tensor<2x4xf64>, tensor<2x4xf64>
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

// The gradients of the cost w.r.t. the four input weights Wi, Wf, Wo, Wg and
// the four recurrent weights Ui, Uf, Uo, Ug, in argument order.
func.func @lstm_grad(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                     %c0: tensor<2x4xf64>,
                     %Wi: tensor<4x4xf64>, %Wf: tensor<4x4xf64>,
                     %Wo: tensor<4x4xf64>, %Wg: tensor<4x4xf64>,
                     %Ui: tensor<4x4xf64>, %Uf: tensor<4x4xf64>,
                     %Uo: tensor<4x4xf64>, %Ug: tensor<4x4xf64>)
    -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>) {
  %dWi, %dWf, %dWo, %dWg, %dUi, %dUf, %dUo, %dUg =
      scan.grad @lstm_cost(%x, %h0, %c0, %Wi, %Wf, %Wo, %Wg, %Ui, %Uf, %Uo, %Ug)
      wrt [3, 4, 5, 6, 7, 8, 9, 10]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>)
      -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
          tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
          tensor<4x4xf64>, tensor<4x4xf64>)
  return %dWi, %dWf, %dWo, %dWg, %dUi, %dUf, %dUo, %dUg
      : tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>
}

// The gradients w.r.t. the input sequence and the initial states.
func.func @lstm_grad_inputs(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                            %c0: tensor<2x4xf64>,
                            %Wi: tensor<4x4xf64>, %Wf: tensor<4x4xf64>,
                            %Wo: tensor<4x4xf64>, %Wg: tensor<4x4xf64>,
                            %Ui: tensor<4x4xf64>, %Uf: tensor<4x4xf64>,
                            %Uo: tensor<4x4xf64>, %Ug: tensor<4x4xf64>)
    -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>) {
  %dx, %dh0, %dc0 =
      scan.grad @lstm_cost(%x, %h0, %c0, %Wi, %Wf, %Wo, %Wg, %Ui, %Uf, %Uo, %Ug)
      wrt [0, 1, 2]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>)
      -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>)
  return %dx, %dh0, %dc0 : tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>
}
