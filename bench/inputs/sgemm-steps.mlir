// The matmuls of the forward simple RNN alone: 50 calls of sgemm
// (80x1000 . 1000x1000) through the same lowering and runtime, with no
// elementwise work. bench/forward-vs-sgemm.sh times it next to @rnn_cost.
func.func @sgemm_steps(%x: tensor<50x80x1000xf32>, %h0: tensor<80x1000xf32>,
                       %W: tensor<1000x1000xf32>) -> tensor<80x1000xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<80x1000xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %last = scan.scan carries(%c = %h0 : tensor<80x1000xf32>)
                    sequences(%xt = %x : tensor<50x80x1000xf32>) -> tensor<80x1000xf32> {
    %p = linalg.matmul ins(%xt, %W : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                       outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    scan.yield %p : tensor<80x1000xf32>
  }
  return %last : tensor<80x1000xf32>
}
