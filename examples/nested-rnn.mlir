// A nested-time RNN: the outer scan runs over C chunks, its body runs an
// inner tanh RNN over the L steps of its chunk (input projection x_t U and
// recurrence h W), starting from the state the previous chunk left, and
// the outer step mixes the chunk's final state with V. The cost is the sum
// of the outer states' squares at every chunk. B = 2, D = 3, C = 3, L = 4,
// f64.
func.func @nested_rnn_cost(%x: tensor<3x4x2x3xf64>, %h0: tensor<2x3xf64>,
                           %U: tensor<3x3xf64>, %W: tensor<3x3xf64>,
                           %V: tensor<3x3xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<2x3xf64>
  %z = linalg.fill ins(%zero : f64) outs(%empty : tensor<2x3xf64>) -> tensor<2x3xf64>
  %hC, %hs = scan.scan carries(%h = %h0 : tensor<2x3xf64>)
                       sequences(%chunk = %x : tensor<3x4x2x3xf64>)
                       -> (tensor<2x3xf64>, tensor<3x2x3xf64>) {
    %hL = scan.scan carries(%g = %h : tensor<2x3xf64>)
                    sequences(%xt = %chunk : tensor<4x2x3xf64>)
                    -> tensor<2x3xf64> {
      %xU = linalg.matmul ins(%xt, %U : tensor<2x3xf64>, tensor<3x3xf64>)
                          outs(%z : tensor<2x3xf64>) -> tensor<2x3xf64>
      %gW = linalg.matmul ins(%g, %W : tensor<2x3xf64>, tensor<3x3xf64>)
                          outs(%xU : tensor<2x3xf64>) -> tensor<2x3xf64>
      %gn = math.tanh %gW : tensor<2x3xf64>
      scan.yield %gn : tensor<2x3xf64>
    }
    %mix = linalg.matmul ins(%hL, %V : tensor<2x3xf64>, tensor<3x3xf64>)
                         outs(%h : tensor<2x3xf64>) -> tensor<2x3xf64>
    %hn = math.tanh %mix : tensor<2x3xf64>
    scan.yield %hn, %hn : tensor<2x3xf64>, tensor<2x3xf64>
  }
  %sq = arith.mulf %hs, %hs : tensor<3x2x3xf64>
  %e = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%sq : tensor<3x2x3xf64>) outs(%i : tensor<f64>) dimensions = [0, 1, 2]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

// Gradients w.r.t. every argument.
func.func @nested_rnn_grad(%x: tensor<3x4x2x3xf64>, %h0: tensor<2x3xf64>,
                           %U: tensor<3x3xf64>, %W: tensor<3x3xf64>,
                           %V: tensor<3x3xf64>)
    -> (tensor<3x4x2x3xf64>, tensor<2x3xf64>, tensor<3x3xf64>,
        tensor<3x3xf64>, tensor<3x3xf64>) {
  %g:5 = scan.grad @nested_rnn_cost(%x, %h0, %U, %W, %V) wrt [0, 1, 2, 3, 4]
      : (tensor<3x4x2x3xf64>, tensor<2x3xf64>, tensor<3x3xf64>,
         tensor<3x3xf64>, tensor<3x3xf64>)
      -> (tensor<3x4x2x3xf64>, tensor<2x3xf64>, tensor<3x3xf64>,
          tensor<3x3xf64>, tensor<3x3xf64>)
  return %g#0, %g#1, %g#2, %g#3, %g#4 : tensor<3x4x2x3xf64>, tensor<2x3xf64>,
      tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>
}
