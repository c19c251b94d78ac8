// Dot merging, forward form: two products sharing their left operand, x_t.U
// and x_t.V, at every one of T steps (T = 50, batch 80, hidden size 1000).
// bench/study.sh times it as written (`none`) against
// `builtin.module(func.func(scan-merge-matmuls))`, which computes
// x_t.[U V] (80x1000 . 1000x2000) per step and slices the result; it
// rewrites the tensor types for other T and batch sizes.
func.func @merge_lhs(%x: tensor<50x80x1000xf32>, %U: tensor<1000x1000xf32>,
                     %V: tensor<1000x1000xf32>)
    -> (tensor<80x1000xf32>, tensor<80x1000xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<80x1000xf32>
  %z = linalg.fill ins(%zero : f32) outs(%empty : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %a, %b = scan.scan carries(%ca = %z : tensor<80x1000xf32>, %cb = %z : tensor<80x1000xf32>)
                     sequences(%xt = %x : tensor<50x80x1000xf32>)
                     -> (tensor<80x1000xf32>, tensor<80x1000xf32>) {
    %p = linalg.matmul ins(%xt, %U : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                       outs(%z : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %q = linalg.matmul ins(%xt, %V : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                       outs(%z : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    scan.yield %p, %q : tensor<80x1000xf32>, tensor<80x1000xf32>
  }
  return %a, %b : tensor<80x1000xf32>, tensor<80x1000xf32>
}
