// RUN: scan-opt %s --split-input-file --verify-diagnostics \
// RUN:   --scan-merge-matmuls="max-merged-elements=4000000" -o /dev/null

// The headline gate shapes: a merge states the GEMM shapes as M x K x N.
func.func @remark_shared_lhs(%h: tensor<80x1000xf32>, %U: tensor<1000x1000xf32>,
                             %V: tensor<1000x1000xf32>) -> (tensor<80x1000xf32>, tensor<80x1000xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<80x1000xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  // expected-remark @below {{merged 2 matmuls sharing lhs: 2 x (80x1000x1000) -> 1 x (80x1000x2000)}}
  %a = linalg.matmul ins(%h, %U : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                     outs(%z : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %b = linalg.matmul ins(%h, %V : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                     outs(%z : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  return %a, %b : tensor<80x1000xf32>, tensor<80x1000xf32>
}

// -----

// The backward-loop sum e_r.U^T + e_z.V^T at the headline shapes.
#mA = affine_map<(m, n, k) -> (m, k)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @remark_sum(%er: tensor<80x1000xf32>, %ez: tensor<80x1000xf32>,
                      %U: tensor<1000x1000xf32>, %V: tensor<1000x1000xf32>) -> tensor<80x1000xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<80x1000xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  // expected-remark @below {{merged 2 matmuls summed over k: 2 x (80x1000x1000) -> 1 x (80x2000x1000)}}
  %a = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%er, %U : tensor<80x1000xf32>, tensor<1000x1000xf32>) outs(%z : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %b = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%ez, %V : tensor<80x1000xf32>, tensor<1000x1000xf32>) outs(%z : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %s = arith.addf %a, %b : tensor<80x1000xf32>
  return %s : tensor<80x1000xf32>
}

// -----

// Different shapes are listed one by one.
func.func @remark_shared_rhs(%a1: tensor<4x8xf32>, %a2: tensor<6x8xf32>, %w: tensor<8x16xf32>)
    -> (tensor<4x16xf32>, tensor<6x16xf32>) {
  %z0 = arith.constant dense<0.0> : tensor<4x16xf32>
  %z1 = arith.constant dense<0.0> : tensor<6x16xf32>
  // expected-remark @below {{merged 2 matmuls sharing rhs: (4x8x16) + (6x8x16) -> 1 x (10x8x16)}}
  %p = linalg.matmul ins(%a1, %w : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%z0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %q = linalg.matmul ins(%a2, %w : tensor<6x8xf32>, tensor<8x16xf32>)
                     outs(%z1 : tensor<6x16xf32>) -> tensor<6x16xf32>
  return %p, %q : tensor<4x16xf32>, tensor<6x16xf32>
}

// -----

// [U V] would have 2048 x 4096 elements, over the threshold set above.
func.func @negative_over_threshold(%x: tensor<2x2048xf32>, %U: tensor<2048x2048xf32>,
                                   %V: tensor<2048x2048xf32>)
    -> (tensor<2x2048xf32>, tensor<2x2048xf32>) {
  %z = arith.constant dense<0.0> : tensor<2x2048xf32>
  // expected-remark @below {{not merged: 2 matmuls sharing lhs would concatenate 8388608 elements, over max-merged-elements=4000000}}
  %a = linalg.matmul ins(%x, %U : tensor<2x2048xf32>, tensor<2048x2048xf32>)
                     outs(%z : tensor<2x2048xf32>) -> tensor<2x2048xf32>
  %b = linalg.matmul ins(%x, %V : tensor<2x2048xf32>, tensor<2048x2048xf32>)
                     outs(%z : tensor<2x2048xf32>) -> tensor<2x2048xf32>
  return %a, %b : tensor<2x2048xf32>, tensor<2x2048xf32>
}

// -----

// The second product's right operand is computed from the first product.
func.func @negative_dependent(%x: tensor<8x8xf32>, %U: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %z = arith.constant dense<0.0> : tensor<8x8xf32>
  // expected-remark @below {{not merged with matmuls sharing its lhs: an operand is only computed after a use of another's result}}
  %a = linalg.matmul ins(%x, %U : tensor<8x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %t = math.tanh %a : tensor<8x8xf32>
  %b = linalg.matmul ins(%x, %t : tensor<8x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %b : tensor<8x8xf32>
}

// -----

// A product accumulating into a non-zero tensor is named as the reason.
func.func @negative_nonzero_outs(%x: tensor<4x8xf32>, %U: tensor<8x8xf32>, %V: tensor<8x8xf32>,
                                 %acc: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  // expected-remark @below {{not merged with matmuls sharing its lhs: its outs is not a zero tensor}}
  %b = linalg.matmul ins(%x, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Right operands of different element types cannot be concatenated.
func.func @negative_different_element_types(%x: tensor<4x8xf32>, %U: tensor<8x8xf32>,
                                            %V: tensor<8x8xf16>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  // expected-remark @below {{not merged with matmuls sharing its lhs: element types or cast differ}}
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  // expected-remark @below {{not merged with matmuls sharing its lhs: element types or cast differ}}
  %b = linalg.matmul ins(%x, %V : tensor<4x8xf32>, tensor<8x8xf16>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Summed products whose right operands differ in transposition.
#mA = affine_map<(m, n, k) -> (m, k)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @negative_sum_different_layouts(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>,
                                          %U: tensor<8x8xf32>, %V: tensor<8x8xf32>)
    -> tensor<4x8xf32> {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  // expected-remark @below {{not merged: 2 summed matmuls differ in element types, transposition or cast}}
  %p = linalg.matmul ins(%a, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %q = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%b, %V : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = arith.addf %p, %q : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// Nothing is shared or summed: no remark at all.
func.func @negative_no_remark(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>,
                              %U: tensor<8x8xf32>, %V: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = linalg.matmul ins(%y, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A product and the adjoint-style product of the same weight transposed
// share the weight but can never be concatenated: no remark.
#mA = affine_map<(m, n, k) -> (m, k)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @negative_transposed_peer_no_remark(%h: tensor<4x8xf32>, %e: tensor<4x8xf32>,
                                              %W: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul ins(%h, %W : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%e, %W : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}
