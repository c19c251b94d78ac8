// Dot merging, backward form: a sum of two products over different inner
// operands, e_t.U^T + f_t.V^T, at every one of T steps (T = 50, batch 80,
// hidden size 1000), as the gated RNN's backward loop computes the hidden
// state's adjoint from its two gates. bench/study.sh times it as written
// (`none`) against `builtin.module(func.func(scan-merge-matmuls))`, which
// computes [e_t f_t].[U V]^T (80x2000 . 2000x1000) per step; it rewrites
// the tensor types for other T and batch sizes.
func.func @merge_sum(%e: tensor<50x80x1000xf32>, %f: tensor<50x80x1000xf32>,
                     %U: tensor<1000x1000xf32>, %V: tensor<1000x1000xf32>)
    -> tensor<80x1000xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<80x1000xf32>
  %z = linalg.fill ins(%zero : f32) outs(%empty : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %last = scan.scan carries(%c = %z : tensor<80x1000xf32>)
                    sequences(%et = %e : tensor<50x80x1000xf32>,
                              %ft = %f : tensor<50x80x1000xf32>)
                    -> tensor<80x1000xf32> {
    %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                        affine_map<(m, n, k) -> (n, k)>,
                                        affine_map<(m, n, k) -> (m, n)>]
                       ins(%et, %U : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                       outs(%z : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                        affine_map<(m, n, k) -> (n, k)>,
                                        affine_map<(m, n, k) -> (m, n)>]
                       ins(%ft, %V : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                       outs(%z : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %s = arith.addf %p, %q : tensor<80x1000xf32>
    scan.yield %s : tensor<80x1000xf32>
  }
  return %last : tensor<80x1000xf32>
}
