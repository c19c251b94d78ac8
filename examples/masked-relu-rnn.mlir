// A ReLU RNN over padded sequences, with a softmax cross-entropy loss on its
// last hidden state: B = 3 sequences, T = 4 steps, hidden size D = 5, K = 6
// classes, f64.
//
//   m_t = valid_t > 0                       (the padding mask, per element)
//   h_new = max(x_t + h W, 0)               h_t = m_t ? h_new : h
//   logits = h_T V                          p = log_softmax(logits)
//   cost = -sum(y * p) / B                  (y: target distributions)
//
// log_softmax subtracts the row maximum (a max reduction) before the
// exponentials, as numerically stable implementations do.
func.func @masked_relu_cost(%x: tensor<4x3x5xf64>, %valid: tensor<4x3x5xf64>,
                            %h0: tensor<3x5xf64>, %W: tensor<5x5xf64>,
                            %V: tensor<5x6xf64>, %y: tensor<3x6xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %zeros = arith.constant dense<0.0> : tensor<3x5xf64>
  %empty = tensor.empty() : tensor<3x5xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<3x5xf64>) -> tensor<3x5xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<3x5xf64>)
                  sequences(%xt = %x : tensor<4x3x5xf64>,
                            %vt = %valid : tensor<4x3x5xf64>)
                  -> tensor<3x5xf64> {
    %hW = linalg.matmul ins(%h, %W : tensor<3x5xf64>, tensor<5x5xf64>)
                        outs(%acc0 : tensor<3x5xf64>) -> tensor<3x5xf64>
    %pre = arith.addf %xt, %hW : tensor<3x5xf64>
    %relu = arith.maximumf %pre, %zeros : tensor<3x5xf64>
    %m = arith.cmpf ogt, %vt, %zeros : tensor<3x5xf64>
    %hn = arith.select %m, %relu, %h : tensor<3x5xi1>, tensor<3x5xf64>
    scan.yield %hn : tensor<3x5xf64>
  }
  // logits = h_T V
  %e36 = tensor.empty() : tensor<3x6xf64>
  %l0 = linalg.fill ins(%zero : f64) outs(%e36 : tensor<3x6xf64>) -> tensor<3x6xf64>
  %logits = linalg.matmul ins(%hT, %V : tensor<3x5xf64>, tensor<5x6xf64>)
                          outs(%l0 : tensor<3x6xf64>) -> tensor<3x6xf64>
  // log_softmax over the classes
  %e3 = tensor.empty() : tensor<3xf64>
  %minit = linalg.fill ins(%ninf : f64) outs(%e3 : tensor<3xf64>) -> tensor<3xf64>
  %max = linalg.reduce ins(%logits : tensor<3x6xf64>) outs(%minit : tensor<3xf64>) dimensions = [1]
    (%in: f64, %acc: f64) {
      %a = arith.maximumf %in, %acc : f64
      linalg.yield %a : f64
    }
  %maxb = linalg.broadcast ins(%max : tensor<3xf64>) outs(%e36 : tensor<3x6xf64>) dimensions = [1]
  %shift = arith.subf %logits, %maxb : tensor<3x6xf64>
  %ex = math.exp %shift : tensor<3x6xf64>
  %sinit = linalg.fill ins(%zero : f64) outs(%e3 : tensor<3xf64>) -> tensor<3xf64>
  %se = linalg.reduce ins(%ex : tensor<3x6xf64>) outs(%sinit : tensor<3xf64>) dimensions = [1]
    (%in: f64, %acc: f64) {
      %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64
    }
  %lse = math.log %se : tensor<3xf64>
  %lseb = linalg.broadcast ins(%lse : tensor<3xf64>) outs(%e36 : tensor<3x6xf64>) dimensions = [1]
  %logp = arith.subf %shift, %lseb : tensor<3x6xf64>
  // cost = -sum(y * logp) / B
  %ylogp = arith.mulf %y, %logp : tensor<3x6xf64>
  %e0 = tensor.empty() : tensor<f64>
  %c0 = linalg.fill ins(%zero : f64) outs(%e0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%ylogp : tensor<3x6xf64>) outs(%c0 : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64
    }
  %total = tensor.extract %sum[] : tensor<f64>
  %minusThird = arith.constant -0.3333333333333333 : f64
  %cost = arith.mulf %total, %minusThird : f64
  return %cost : f64
}

// Gradients w.r.t. the inputs, the initial state and both weights (not the
// mask's source, through which no gradient flows).
func.func @masked_relu_grad(%x: tensor<4x3x5xf64>, %valid: tensor<4x3x5xf64>,
                            %h0: tensor<3x5xf64>, %W: tensor<5x5xf64>,
                            %V: tensor<5x6xf64>, %y: tensor<3x6xf64>)
    -> (tensor<4x3x5xf64>, tensor<3x5xf64>, tensor<5x5xf64>, tensor<5x6xf64>) {
  %g:4 = scan.grad @masked_relu_cost(%x, %valid, %h0, %W, %V, %y) wrt [0, 2, 3, 4]
      : (tensor<4x3x5xf64>, tensor<4x3x5xf64>, tensor<3x5xf64>, tensor<5x5xf64>,
         tensor<5x6xf64>, tensor<3x6xf64>)
      -> (tensor<4x3x5xf64>, tensor<3x5xf64>, tensor<5x5xf64>, tensor<5x6xf64>)
  return %g#0, %g#1, %g#2, %g#3
      : tensor<4x3x5xf64>, tensor<3x5xf64>, tensor<5x5xf64>, tensor<5x6xf64>
}
