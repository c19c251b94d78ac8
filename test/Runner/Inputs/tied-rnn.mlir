// A small RNN with an input weight U and a recurrent weight W, for the
// runner library's tests; tying U = W passes one array for both.
//
//   h_t = tanh(x_t U + h_{t-1} W) ;  cost = sum(h_T * h_T)

func.func @cost(%x: tensor<4x3x5xf64>, %h0: tensor<3x5xf64>,
                %U: tensor<5x5xf64>, %W: tensor<5x5xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<3x5xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<3x5xf64>) -> tensor<3x5xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<3x5xf64>)
                  sequences(%xt = %x : tensor<4x3x5xf64>)
                  -> tensor<3x5xf64> {
    %xU = linalg.matmul ins(%xt, %U : tensor<3x5xf64>, tensor<5x5xf64>)
                        outs(%acc0 : tensor<3x5xf64>) -> tensor<3x5xf64>
    %hW = linalg.matmul ins(%h, %W : tensor<3x5xf64>, tensor<5x5xf64>)
                        outs(%acc0 : tensor<3x5xf64>) -> tensor<3x5xf64>
    %pre = arith.addf %xU, %hW : tensor<3x5xf64>
    %hn = math.tanh %pre : tensor<3x5xf64>
    scan.yield %hn : tensor<3x5xf64>
  }
  %sq = arith.mulf %hT, %hT : tensor<3x5xf64>
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%sq : tensor<3x5xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %a: f64) {
      %s = arith.addf %in, %a : f64
      linalg.yield %s : f64
    }
  %c = tensor.extract %sum[] : tensor<f64>
  return %c : f64
}

// The gradients of the cost w.r.t. U and W.
func.func @grad(%x: tensor<4x3x5xf64>, %h0: tensor<3x5xf64>,
                %U: tensor<5x5xf64>, %W: tensor<5x5xf64>)
    -> (tensor<5x5xf64>, tensor<5x5xf64>) {
  %dU, %dW = scan.grad @cost(%x, %h0, %U, %W) wrt [2, 3]
      : (tensor<4x3x5xf64>, tensor<3x5xf64>, tensor<5x5xf64>, tensor<5x5xf64>)
      -> (tensor<5x5xf64>, tensor<5x5xf64>)
  return %dU, %dW : tensor<5x5xf64>, tensor<5x5xf64>
}

// f32 and integer results, for the comparison with scan-run.
func.func @mixed(%x: tensor<7x9xf32>, %w: tensor<9x6xf32>, %s: f64,
                 %v: tensor<3xi32>) -> (tensor<7x6xf32>, f64, tensor<3xi32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<7x6xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<7x6xf32>) -> tensor<7x6xf32>
  %m = linalg.matmul ins(%x, %w : tensor<7x9xf32>, tensor<9x6xf32>)
                     outs(%acc : tensor<7x6xf32>) -> tensor<7x6xf32>
  %t = math.tanh %m : tensor<7x6xf32>
  %two = arith.constant 2.0 : f64
  %d = arith.mulf %s, %two : f64
  %vv = arith.addi %v, %v : tensor<3xi32>
  return %t, %d, %vv : tensor<7x6xf32>, f64, tensor<3xi32>
}
