// RUN: scan-opt %s --split-input-file --loop-invariant-code-motion | FileCheck %s

// Upstream LICM sees scan.scan through LoopLikeOpInterface: the transpose of
// the weight and the zero fill depend only on values defined above the loop,
// so they run once, before it.
// CHECK-LABEL: func.func @hoists_weight_transpose
//  CHECK-SAME:   %[[W:[^:]*]]: tensor<4x4xf32>
//       CHECK:   %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<4x4xf32>)
//       CHECK:   %[[Z:.*]] = linalg.fill
//       CHECK:   scan.scan
//   CHECK-NOT:     linalg.transpose
//   CHECK-NOT:     linalg.fill
//       CHECK:     linalg.matmul ins(%{{.*}}, %[[WT]] : {{.*}}) outs(%[[Z]] :
//       CHECK:     scan.yield
func.func @hoists_weight_transpose(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>,
                                   %W: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
                  sequences(%xt = %x : tensor<5x2x4xf32>) -> tensor<2x4xf32> {
    %e = tensor.empty() : tensor<4x4xf32>
    %wt = linalg.transpose ins(%W : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) permutation = [1, 0]
    %acc = tensor.empty() : tensor<2x4xf32>
    %z = linalg.fill ins(%zero : f32) outs(%acc : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hw = linalg.matmul ins(%h, %wt : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  return %hT : tensor<2x4xf32>
}

// -----

// Values that depend on the carry or on the step's slice must stay in the body.
// CHECK-LABEL: func.func @negative_keeps_step_dependent_ops
//       CHECK:   scan.scan
//       CHECK:     linalg.transpose
//       CHECK:     arith.addf
//       CHECK:     scan.yield
func.func @negative_keeps_step_dependent_ops(%x: tensor<5x4x4xf32>, %h0: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %hT = scan.scan carries(%h = %h0 : tensor<4x4xf32>)
                  sequences(%xt = %x : tensor<5x4x4xf32>) -> tensor<4x4xf32> {
    %e = tensor.empty() : tensor<4x4xf32>
    %ht = linalg.transpose ins(%h : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) permutation = [1, 0]
    %n = arith.addf %ht, %xt : tensor<4x4xf32>
    scan.yield %n : tensor<4x4xf32>
  }
  return %hT : tensor<4x4xf32>
}
