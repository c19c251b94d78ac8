// Gated RNN (GRU-style, Cho et al. 2014) at the study's headline shape:
// batch B = 80, T = 50 steps, hidden size D = 1000, float32. The input
// projections x_t, ri_t, zi_t are given as sequences.
//
//   r = sigmoid(ri_t + h U)       z = sigmoid(zi_t + h V)
//   new_h = tanh(x_t + (r * h) W) h_t = z * new_h + (1 - z) * h
//   cost = sum(h_T)

// The cost of one forward pass.
func.func @gru_cost(%x: tensor<6x4x32xf64>, %ri: tensor<6x4x32xf64>,
                    %zi: tensor<6x4x32xf64>, %h0: tensor<4x32xf64>,
                    %U: tensor<32x32xf64>, %V: tensor<32x32xf64>,
                    %W: tensor<32x32xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<4x32xf64>
  %empty = tensor.empty() : tensor<4x32xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<4x32xf64>) -> tensor<4x32xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<4x32xf64>)
                  sequences(%xt = %x : tensor<6x4x32xf64>,
                            %rit = %ri : tensor<6x4x32xf64>,
                            %zit = %zi : tensor<6x4x32xf64>)
                  -> tensor<4x32xf64> {
    // r = sigmoid(ri_t + h U), with sigmoid(a) = 1 / (1 + exp(-a))
    %hU = linalg.matmul ins(%h, %U : tensor<4x32xf64>, tensor<32x32xf64>)
                        outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %ra = arith.addf %rit, %hU : tensor<4x32xf64>
    %rn = arith.negf %ra : tensor<4x32xf64>
    %re = math.exp %rn : tensor<4x32xf64>
    %rd = arith.addf %one, %re : tensor<4x32xf64>
    %r = arith.divf %one, %rd : tensor<4x32xf64>
    // z = sigmoid(zi_t + h V)
    %hV = linalg.matmul ins(%h, %V : tensor<4x32xf64>, tensor<32x32xf64>)
                        outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %za = arith.addf %zit, %hV : tensor<4x32xf64>
    %zn = arith.negf %za : tensor<4x32xf64>
    %ze = math.exp %zn : tensor<4x32xf64>
    %zd = arith.addf %one, %ze : tensor<4x32xf64>
    %z = arith.divf %one, %zd : tensor<4x32xf64>
    // new_h = tanh(x_t + (r * h) W)
    %rh = arith.mulf %r, %h : tensor<4x32xf64>
    %rhW = linalg.matmul ins(%rh, %W : tensor<4x32xf64>, tensor<32x32xf64>)
                         outs(%acc0 : tensor<4x32xf64>) -> tensor<4x32xf64>
    %na = arith.addf %xt, %rhW : tensor<4x32xf64>
    %newh = math.tanh %na : tensor<4x32xf64>
    // h_t = z * new_h + (1 - z) * h
    %zh = arith.mulf %z, %newh : tensor<4x32xf64>
    %omz = arith.subf %one, %z : tensor<4x32xf64>
    %keep = arith.mulf %omz, %h : tensor<4x32xf64>
    %hn = arith.addf %zh, %keep : tensor<4x32xf64>
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

// The gradients of the cost w.r.t. the weights U, V and W.
func.func @gru_grad(%x: tensor<6x4x32xf64>, %ri: tensor<6x4x32xf64>,
                    %zi: tensor<6x4x32xf64>, %h0: tensor<4x32xf64>,
                    %U: tensor<32x32xf64>, %V: tensor<32x32xf64>,
                    %W: tensor<32x32xf64>)
    -> (tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>) {
  %dU, %dV, %dW = scan.grad @gru_cost(%x, %ri, %zi, %h0, %U, %V, %W) wrt [4, 5, 6]
      : (tensor<6x4x32xf64>, tensor<6x4x32xf64>, tensor<6x4x32xf64>,
         tensor<4x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>,
         tensor<32x32xf64>)
      -> (tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>)
  return %dU, %dV, %dW : tensor<32x32xf64>, tensor<32x32xf64>, tensor<32x32xf64>
}
