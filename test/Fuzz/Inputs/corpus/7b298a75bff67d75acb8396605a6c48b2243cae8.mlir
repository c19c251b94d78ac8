
// Values that depend on the carry or on the step's slice must stay in the body.
// CHECK-LABEL: func.func @negative_keeps_step_dependent_ops
//       CHECK:   scan.scan
//       CHECK:     linalg.transpose
//       CHECK:     arith.addf
//       CHECK:     scan.yield
func.func @negative_keeps_step_dependent_ops(%x: tensor<5x4x4xf32>, %h0: tensor<4x4xf32>) -> tensor<3x4xf32> {
  %hT = scan.scan carries(%h = %h0 : tensor<4x4xf32>)
                  sequences(%xt = %x : tensor<5x4x4xf32>) -> tensor<4x4xf32> {
    %e = tensor.empty() : tensor<4x4xf32>
    %ht = linalg.transpose ins(%h : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) permutation = [1, 0]
    %n = arith.addf %ht, %xt : tensor<4x4xf32>
    scan.yield %n : tensor<4x4xf32>
  }
  return %hT : tensor<4x4xf32>
}
