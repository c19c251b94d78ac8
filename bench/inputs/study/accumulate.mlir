// Accumulated outer products: dW = sum over T steps of A_t^T . B_t, with
// A_t, B_t of batch x hidden size (T = 50, batch 80, hidden size 1000), as
// a backward loop builds a weight gradient. bench/study.sh times it as
// written (`none`: T products 1000x80x1000 into one accumulator) against
// `builtin.module(func.func(scan-hoist-accumulated-matmuls))` (one product
// 1000x4000x1000 after the loop); it rewrites the tensor types for other T
// and batch sizes.
func.func @accumulate(%a: tensor<50x80x1000xf32>, %b: tensor<50x80x1000xf32>)
    -> tensor<1000x1000xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1000x1000xf32>
  %z = linalg.fill ins(%zero : f32) outs(%empty : tensor<1000x1000xf32>) -> tensor<1000x1000xf32>
  %dW = scan.scan carries(%acc = %z : tensor<1000x1000xf32>)
                  sequences(%at = %a : tensor<50x80x1000xf32>,
                            %bt = %b : tensor<50x80x1000xf32>)
                  -> tensor<1000x1000xf32> {
    %n = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                        affine_map<(m, n, k) -> (k, n)>,
                                        affine_map<(m, n, k) -> (m, n)>]
                       ins(%at, %bt : tensor<80x1000xf32>, tensor<80x1000xf32>)
                       outs(%acc : tensor<1000x1000xf32>) -> tensor<1000x1000xf32>
    scan.yield %n : tensor<1000x1000xf32>
  }
  return %dW : tensor<1000x1000xf32>
}
