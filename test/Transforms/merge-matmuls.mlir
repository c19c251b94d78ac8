// RUN: scan-opt %s --split-input-file --scan-merge-matmuls 2>/dev/null | FileCheck %s

// Two products of x in a plain function become one over [U V], then slices.
// CHECK-LABEL: func.func @shared_lhs
//  CHECK-SAME:   (%[[X:.*]]: tensor<4x8xf32>, %[[U:.*]]: tensor<8x16xf32>, %[[V:.*]]: tensor<8x32xf32>)
//       CHECK:   %[[UV:.*]] = tensor.concat dim(1) %[[U]], %[[V]] : (tensor<8x16xf32>, tensor<8x32xf32>) -> tensor<8x48xf32>
//       CHECK:   %[[Z:.*]] = linalg.fill {{.*}} -> tensor<4x48xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul ins(%[[X]], %[[UV]] : {{.*}}) outs(%[[Z]] : tensor<4x48xf32>)
//   CHECK-DAG:   %[[A:.*]] = tensor.extract_slice %[[M]][0, 0] [4, 16] [1, 1]
//   CHECK-DAG:   %[[B:.*]] = tensor.extract_slice %[[M]][0, 16] [4, 32] [1, 1]
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return %[[A]], %[[B]]
func.func @shared_lhs(%x: tensor<4x8xf32>, %U: tensor<8x16xf32>, %V: tensor<8x32xf32>)
    -> (tensor<4x16xf32>, tensor<4x32xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x16xf32>
  %z0 = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e1 = tensor.empty() : tensor<4x32xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<4x32xf32>) -> tensor<4x32xf32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%z0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %b = linalg.matmul ins(%x, %V : tensor<4x8xf32>, tensor<8x32xf32>)
                     outs(%z1 : tensor<4x32xf32>) -> tensor<4x32xf32>
  return %a, %b : tensor<4x16xf32>, tensor<4x32xf32>
}

// -----

// Three products of x (a zero splat constant counts as a zero outs) become
// one over a single three-way concatenation.
// CHECK-LABEL: func.func @shared_lhs_three
//  CHECK-SAME:   (%[[X:.*]]: tensor<4x8xf32>, %[[U:.*]]: tensor<8x8xf32>, %[[V:.*]]: tensor<8x8xf32>, %[[W:.*]]: tensor<8x8xf32>)
//       CHECK:   %[[UVW:.*]] = tensor.concat dim(1) %[[U]], %[[V]], %[[W]] : {{.*}} -> tensor<8x24xf32>
//       CHECK:   linalg.matmul ins(%[[X]], %[[UVW]] : {{.*}}) outs({{.*}} : tensor<4x24xf32>)
//   CHECK-NOT:   linalg.matmul
//   CHECK-NOT:   tensor.concat
//       CHECK:   return
func.func @shared_lhs_three(%x: tensor<4x8xf32>, %U: tensor<8x8xf32>, %V: tensor<8x8xf32>,
                            %W: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = linalg.matmul ins(%x, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %c = linalg.matmul ins(%x, %W : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %ab = arith.mulf %a, %b : tensor<4x8xf32>
  %abc = arith.mulf %ab, %c : tensor<4x8xf32>
  return %abc : tensor<4x8xf32>
}

// -----

// GRU-style gates in a scan body: h.U and h.V merge; [U V] and the zero outs
// are created once, above the loop; the second matmul's operand %V is
// available at the first matmul, so the merged product goes there.
// CHECK-LABEL: func.func @shared_lhs_in_scan
//  CHECK-SAME:   %[[U:[a-z0-9_]+]]: tensor<8x8xf32>, %[[V:[a-z0-9_]+]]: tensor<8x8xf32>
//       CHECK:   %[[UV:.*]] = tensor.concat dim(1) %[[U]], %[[V]]
//       CHECK:   %[[Z:.*]] = linalg.fill {{.*}} -> tensor<4x16xf32>
//       CHECK:   scan.scan carries(%[[H:.*]] = %{{.*}} : tensor<4x8xf32>)
//   CHECK-NOT:     tensor.concat
//       CHECK:     %[[M:.*]] = linalg.matmul ins(%[[H]], %[[UV]] : {{.*}}) outs(%[[Z]] : tensor<4x16xf32>)
//   CHECK-DAG:     %[[R:.*]] = tensor.extract_slice %[[M]][0, 0] [4, 8] [1, 1]
//   CHECK-DAG:     %[[S:.*]] = tensor.extract_slice %[[M]][0, 8] [4, 8] [1, 1]
//       CHECK:     arith.addf %{{.*}}, %[[R]]
//   CHECK-NOT:     linalg.matmul
//       CHECK:     arith.addf %{{.*}}, %[[S]]
//       CHECK:     scan.yield
func.func @shared_lhs_in_scan(%x: tensor<5x4x8xf32>, %h0: tensor<4x8xf32>,
                              %U: tensor<8x8xf32>, %V: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<4x8xf32>)
                  sequences(%xt = %x : tensor<5x4x8xf32>) -> tensor<4x8xf32> {
    %hU = linalg.matmul ins(%h, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                        outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %r = arith.addf %xt, %hU : tensor<4x8xf32>
    %t = math.tanh %r : tensor<4x8xf32>
    %hV = linalg.matmul ins(%h, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                        outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %s = arith.addf %t, %hV : tensor<4x8xf32>
    scan.yield %s : tensor<4x8xf32>
  }
  return %hT : tensor<4x8xf32>
}

// -----

// A weight computed inside the body is not hoisted: the concatenation stays
// in the body, before the merged product.
// CHECK-LABEL: func.func @shared_lhs_variant_weight_in_scan
//       CHECK:   scan.scan
//       CHECK:     %[[W:.*]] = math.tanh
//       CHECK:     %[[C:.*]] = tensor.concat dim(1) %{{.*}}, %[[W]]
//       CHECK:     linalg.matmul ins(%{{.*}}, %[[C]] :
//   CHECK-NOT:     linalg.matmul
//       CHECK:     scan.yield
func.func @shared_lhs_variant_weight_in_scan(%x: tensor<5x8x8xf32>, %h0: tensor<4x8xf32>,
                                             %U: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<4x8xf32>)
                  sequences(%xt = %x : tensor<5x8x8xf32>) -> tensor<4x8xf32> {
    %w = math.tanh %xt : tensor<8x8xf32>
    %hU = linalg.matmul ins(%h, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                        outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %hW = linalg.matmul ins(%h, %w : tensor<4x8xf32>, tensor<8x8xf32>)
                        outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %s = arith.mulf %hU, %hW : tensor<4x8xf32>
    %n = math.tanh %s : tensor<4x8xf32>
    scan.yield %n : tensor<4x8xf32>
  }
  return %hT : tensor<4x8xf32>
}

// -----

// Shared left operand with transposed right operands (x.U^T, x.V^T): the
// weights stack along their rows.
// CHECK-LABEL: func.func @shared_lhs_transposed_rhs
//  CHECK-SAME:   (%[[X:.*]]: tensor<4x8xf32>, %[[U:.*]]: tensor<16x8xf32>, %[[V:.*]]: tensor<8x8xf32>)
//       CHECK:   %[[UV:.*]] = tensor.concat dim(0) %[[U]], %[[V]] : {{.*}} -> tensor<24x8xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] ins(%[[X]], %[[UV]] : {{.*}}) outs(%{{.*}} : tensor<4x24xf32>)
//   CHECK-DAG:   tensor.extract_slice %[[M]][0, 0] [4, 16] [1, 1]
//   CHECK-DAG:   tensor.extract_slice %[[M]][0, 16] [4, 8] [1, 1]
//   CHECK-NOT:   linalg.matmul
#mA = affine_map<(m, n, k) -> (m, k)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @shared_lhs_transposed_rhs(%x: tensor<4x8xf32>, %U: tensor<16x8xf32>, %V: tensor<8x8xf32>)
    -> (tensor<4x16xf32>, tensor<4x8xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x16xf32>
  %z0 = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %a = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%x, %U : tensor<4x8xf32>, tensor<16x8xf32>) outs(%z0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %b = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%x, %V : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z1 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x16xf32>, tensor<4x8xf32>
}

// -----

// Hoisted GRU weight gradients after the loop: H^T E_r and H^T E_z share the
// transposed left operand and become H^T [E_r E_z].
// CHECK-LABEL: func.func @weight_grads_after_loop
//       CHECK:   %[[R:.*]]:2 = scan.scan
//       CHECK:   scan.yield
//       CHECK:   %[[E:.*]] = tensor.concat dim(1) %{{.*}}, %{{.*}} : (tensor<12x8xf32>, tensor<12x8xf32>) -> tensor<12x16xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] ins(%{{.*}}, %[[E]] : tensor<12x8xf32>, tensor<12x16xf32>) outs(%{{.*}} : tensor<8x16xf32>)
//   CHECK-DAG:   %[[DU:.*]] = tensor.extract_slice %[[M]][0, 0] [8, 8] [1, 1]
//   CHECK-DAG:   %[[DV:.*]] = tensor.extract_slice %[[M]][0, 8] [8, 8] [1, 1]
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return %[[DU]], %[[DV]]
#mAt = affine_map<(m, n, k) -> (k, m)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @weight_grads_after_loop(%hs: tensor<3x4x8xf32>, %g: tensor<3x4x8xf32>)
    -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %c0 = arith.constant 0.0 : f32
  %ss = tensor.empty() : tensor<4x8xf32>
  %er, %ez = scan.scan reverse sequences(%gt = %g : tensor<3x4x8xf32>)
      -> (tensor<3x4x8xf32>, tensor<3x4x8xf32>) {
    %a = math.tanh %gt : tensor<4x8xf32>
    %b = math.exp %gt : tensor<4x8xf32>
    scan.yield %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
  }
  %H = tensor.collapse_shape %hs [[0, 1], [2]] : tensor<3x4x8xf32> into tensor<12x8xf32>
  %Er = tensor.collapse_shape %er [[0, 1], [2]] : tensor<3x4x8xf32> into tensor<12x8xf32>
  %Ez = tensor.collapse_shape %ez [[0, 1], [2]] : tensor<3x4x8xf32> into tensor<12x8xf32>
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dU = linalg.matmul indexing_maps = [#mAt, #mB, #mC]
      ins(%H, %Er : tensor<12x8xf32>, tensor<12x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dV = linalg.matmul indexing_maps = [#mAt, #mB, #mC]
      ins(%H, %Ez : tensor<12x8xf32>, tensor<12x8xf32>) outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %dU, %dV : tensor<8x8xf32>, tensor<8x8xf32>
}

// -----

// Shared right operand: A1.w and A2.w stack A1 and A2 along M.
// CHECK-LABEL: func.func @shared_rhs
//  CHECK-SAME:   (%[[A1:.*]]: tensor<4x8xf32>, %[[A2:.*]]: tensor<6x8xf32>, %[[W:.*]]: tensor<8x16xf32>)
//       CHECK:   %[[A:.*]] = tensor.concat dim(0) %[[A1]], %[[A2]] : {{.*}} -> tensor<10x8xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul ins(%[[A]], %[[W]] : {{.*}}) outs(%{{.*}} : tensor<10x16xf32>)
//   CHECK-DAG:   tensor.extract_slice %[[M]][0, 0] [4, 16] [1, 1]
//   CHECK-DAG:   tensor.extract_slice %[[M]][4, 0] [6, 16] [1, 1]
//   CHECK-NOT:   linalg.matmul
func.func @shared_rhs(%a1: tensor<4x8xf32>, %a2: tensor<6x8xf32>, %w: tensor<8x16xf32>)
    -> (tensor<4x16xf32>, tensor<6x16xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x16xf32>
  %z0 = linalg.fill ins(%c0 : f32) outs(%e0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e1 = tensor.empty() : tensor<6x16xf32>
  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<6x16xf32>) -> tensor<6x16xf32>
  %p = linalg.matmul ins(%a1, %w : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%z0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %q = linalg.matmul ins(%a2, %w : tensor<6x8xf32>, tensor<8x16xf32>)
                     outs(%z1 : tensor<6x16xf32>) -> tensor<6x16xf32>
  return %p, %q : tensor<4x16xf32>, tensor<6x16xf32>
}

// -----

// Shared right operand with transposed left operands (A1^T w, A2^T w): the
// left operands stack along their columns.
// CHECK-LABEL: func.func @shared_rhs_transposed_lhs
//       CHECK:   %[[A:.*]] = tensor.concat dim(1) %{{.*}}, %{{.*}} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x8xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul indexing_maps = {{.*}} ins(%[[A]], %{{.*}} : {{.*}}) outs(%{{.*}} : tensor<8x16xf32>)
//   CHECK-DAG:   tensor.extract_slice %[[M]][0, 0] [4, 16] [1, 1]
//   CHECK-DAG:   tensor.extract_slice %[[M]][4, 0] [4, 16] [1, 1]
//   CHECK-NOT:   linalg.matmul
#mAt = affine_map<(m, n, k) -> (k, m)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @shared_rhs_transposed_lhs(%a1: tensor<8x4xf32>, %a2: tensor<8x4xf32>, %w: tensor<8x16xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x16xf32>
  %p = linalg.matmul indexing_maps = [#mAt, #mB, #mC]
      ins(%a1, %w : tensor<8x4xf32>, tensor<8x16xf32>) outs(%z : tensor<4x16xf32>) -> tensor<4x16xf32>
  %q = linalg.matmul indexing_maps = [#mAt, #mB, #mC]
      ins(%a2, %w : tensor<8x4xf32>, tensor<8x16xf32>) outs(%z : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %p, %q : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// The backward-loop case: e_r.U^T + e_z.V^T becomes [e_r e_z].[U V]^T. The
// weights are concatenated above the loop, the per-step errors in the body.
// CHECK-LABEL: func.func @sum_transposed_in_scan
//  CHECK-SAME:   %[[U:[a-z0-9_]+]]: tensor<8x8xf32>, %[[V:[a-z0-9_]+]]: tensor<8x8xf32>
//       CHECK:   %[[UV:.*]] = tensor.concat dim(1) %[[U]], %[[V]] : {{.*}} -> tensor<8x16xf32>
//       CHECK:   scan.scan
//       CHECK:     %[[ER:.*]] = math.tanh
//       CHECK:     %[[EZ:.*]] = math.exp
//       CHECK:     %[[E:.*]] = tensor.concat dim(1) %[[ER]], %[[EZ]] : {{.*}} -> tensor<4x16xf32>
//       CHECK:     %[[D:.*]] = linalg.matmul indexing_maps = {{.*}} ins(%[[E]], %[[UV]] : tensor<4x16xf32>, tensor<8x16xf32>) outs(%{{.*}} : tensor<4x8xf32>)
//   CHECK-NOT:     linalg.matmul
//   CHECK-NOT:     arith.addf
//       CHECK:     scan.yield %[[D]]
#mA = affine_map<(m, n, k) -> (m, k)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @sum_transposed_in_scan(%g: tensor<5x4x8xf32>, %d0: tensor<4x8xf32>,
                                  %U: tensor<8x8xf32>, %V: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %dT = scan.scan reverse carries(%d = %d0 : tensor<4x8xf32>)
                  sequences(%gt = %g : tensor<5x4x8xf32>) -> tensor<4x8xf32> {
    %s = arith.mulf %d, %gt : tensor<4x8xf32>
    %er = math.tanh %s : tensor<4x8xf32>
    %ez = math.exp %s : tensor<4x8xf32>
    %a = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
        ins(%er, %U : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %b = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
        ins(%ez, %V : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %dn = arith.addf %a, %b : tensor<4x8xf32>
    scan.yield %dn : tensor<4x8xf32>
  }
  return %dT : tensor<4x8xf32>
}

// -----

// Accumulating form: the second matmul accumulates into the first, which
// starts from %acc; the merged product accumulates into %acc directly.
// CHECK-LABEL: func.func @sum_accumulating
//  CHECK-SAME:   (%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4x6xf32>, %[[U:.*]]: tensor<8x16xf32>, %[[V:.*]]: tensor<6x16xf32>, %[[ACC:.*]]: tensor<4x16xf32>)
//   CHECK-DAG:   %[[AB:.*]] = tensor.concat dim(1) %[[A]], %[[B]] : {{.*}} -> tensor<4x14xf32>
//   CHECK-DAG:   %[[UV:.*]] = tensor.concat dim(0) %[[U]], %[[V]] : {{.*}} -> tensor<14x16xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul ins(%[[AB]], %[[UV]] : {{.*}}) outs(%[[ACC]] : tensor<4x16xf32>)
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return %[[M]]
func.func @sum_accumulating(%a: tensor<4x8xf32>, %b: tensor<4x6xf32>, %U: tensor<8x16xf32>,
                            %V: tensor<6x16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %p = linalg.matmul ins(%a, %U : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %q = linalg.matmul ins(%b, %V : tensor<4x6xf32>, tensor<6x16xf32>)
                     outs(%p : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %q : tensor<4x16xf32>
}

// -----

// A sum of three products and another term: the products merge into one
// (over a three-way concatenation) and the other term is added to it.
// CHECK-LABEL: func.func @sum_three_and_other
//  CHECK-SAME:   (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>
//   CHECK-DAG:   %[[L:.*]] = tensor.concat dim(1) {{.*}} -> tensor<4x24xf32>
//   CHECK-DAG:   %[[R:.*]] = tensor.concat dim(0) {{.*}} -> tensor<24x8xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul ins(%[[L]], %[[R]] : {{.*}}) outs(%{{.*}} : tensor<4x8xf32>)
//       CHECK:   %[[S:.*]] = arith.addf %[[M]], %[[X]]
//   CHECK-NOT:   linalg.matmul
//   CHECK-NOT:   arith.addf
//       CHECK:   return %[[S]]
func.func @sum_three_and_other(%x: tensor<4x8xf32>, %a: tensor<4x8xf32>, %b: tensor<4x8xf32>,
                               %c: tensor<4x8xf32>, %U: tensor<8x8xf32>, %V: tensor<8x8xf32>,
                               %W: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %p = linalg.matmul ins(%a, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %q = linalg.matmul ins(%b, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = linalg.matmul ins(%c, %W : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %s0 = arith.addf %x, %p : tensor<4x8xf32>
  %s1 = arith.addf %s0, %q : tensor<4x8xf32>
  %s2 = arith.addf %s1, %r : tensor<4x8xf32>
  return %s2 : tensor<4x8xf32>
}

// -----

// Matmuls with different left operands share nothing: unchanged.
// CHECK-LABEL: func.func @negative_different_shared_operand
//   CHECK-NOT:   tensor.concat
//       CHECK:   linalg.matmul
//       CHECK:   linalg.matmul
//   CHECK-NOT:   tensor.concat
//       CHECK:   return
func.func @negative_different_shared_operand(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>,
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

// The second product's right operand is computed from the first product:
// they cannot be merged.
// CHECK-LABEL: func.func @negative_dependent
//   CHECK-NOT:   tensor.concat
//       CHECK:   %[[A:.*]] = linalg.matmul
//       CHECK:   %[[T:.*]] = math.tanh %[[A]]
//       CHECK:   linalg.matmul ins(%{{.*}}, %[[T]] :
//   CHECK-NOT:   tensor.concat
func.func @negative_dependent(%x: tensor<8x8xf32>, %U: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %z = arith.constant dense<0.0> : tensor<8x8xf32>
  %a = linalg.matmul ins(%x, %U : tensor<8x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %t = math.tanh %a : tensor<8x8xf32>
  %b = linalg.matmul ins(%x, %t : tensor<8x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %b : tensor<8x8xf32>
}

// -----

// One product accumulates into a non-zero tensor: merging would change it.
// CHECK-LABEL: func.func @negative_nonzero_outs
//   CHECK-NOT:   tensor.concat
//       CHECK:   linalg.matmul
//       CHECK:   linalg.matmul
//   CHECK-NOT:   tensor.concat
func.func @negative_nonzero_outs(%x: tensor<4x8xf32>, %U: tensor<8x8xf32>, %V: tensor<8x8xf32>,
                                 %acc: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = linalg.matmul ins(%x, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// [U V] would have 2 * 8192 * 8192 elements, over the default threshold of
// 2^26: unchanged.
// CHECK-LABEL: func.func @negative_over_threshold
//   CHECK-NOT:   tensor.concat
//       CHECK:   linalg.matmul
//       CHECK:   linalg.matmul
//   CHECK-NOT:   tensor.concat
func.func @negative_over_threshold(%x: tensor<2x8192xf32>, %U: tensor<8192x8192xf32>,
                                   %V: tensor<8192x8192xf32>)
    -> (tensor<2x8192xf32>, tensor<2x8192xf32>) {
  %z = arith.constant dense<0.0> : tensor<2x8192xf32>
  %a = linalg.matmul ins(%x, %U : tensor<2x8192xf32>, tensor<8192x8192xf32>)
                     outs(%z : tensor<2x8192xf32>) -> tensor<2x8192xf32>
  %b = linalg.matmul ins(%x, %V : tensor<2x8192xf32>, tensor<8192x8192xf32>)
                     outs(%z : tensor<2x8192xf32>) -> tensor<2x8192xf32>
  return %a, %b : tensor<2x8192xf32>, tensor<2x8192xf32>
}

// -----

// The right operands have different element types and cannot be concatenated.
// CHECK-LABEL: func.func @negative_different_element_types
//   CHECK-NOT:   tensor.concat
//       CHECK:   linalg.matmul
//       CHECK:   linalg.matmul
//   CHECK-NOT:   tensor.concat
func.func @negative_different_element_types(%x: tensor<4x8xf32>, %U: tensor<8x8xf32>,
                                            %V: tensor<8x8xf16>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = linalg.matmul ins(%x, %V : tensor<4x8xf32>, tensor<8x8xf16>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Summed products whose right operands differ in transposition: unchanged.
// CHECK-LABEL: func.func @negative_sum_different_layouts
//   CHECK-NOT:   tensor.concat
//       CHECK:   linalg.matmul
//       CHECK:   linalg.matmul
//       CHECK:   arith.addf
#mA = affine_map<(m, n, k) -> (m, k)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @negative_sum_different_layouts(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>,
                                          %U: tensor<8x8xf32>, %V: tensor<8x8xf32>)
    -> tensor<4x8xf32> {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %p = linalg.matmul ins(%a, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %q = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%b, %V : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = arith.addf %p, %q : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// A summed product that is also used elsewhere stays: only the sum would
// benefit, and the product would still have to be computed.
// CHECK-LABEL: func.func @negative_sum_term_used_twice
//   CHECK-NOT:   tensor.concat
//       CHECK:   linalg.matmul
//       CHECK:   linalg.matmul
//       CHECK:   arith.addf
func.func @negative_sum_term_used_twice(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>,
                                        %U: tensor<8x8xf32>, %V: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %p = linalg.matmul ins(%a, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %q = linalg.matmul ins(%b, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = arith.addf %p, %q : tensor<4x8xf32>
  return %s, %p : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Products of the same operand in different blocks (one in the loop body, one
// after it) are not merged.
// CHECK-LABEL: func.func @negative_different_blocks
//   CHECK-NOT:   tensor.concat
//       CHECK:   scan.scan
//       CHECK:     linalg.matmul
//       CHECK:     scan.yield
//       CHECK:   linalg.matmul
//   CHECK-NOT:   tensor.concat
func.func @negative_different_blocks(%x: tensor<5x4x8xf32>, %h0: tensor<4x8xf32>,
                                     %U: tensor<8x8xf32>, %V: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<4x8xf32>)
                  sequences(%xt = %x : tensor<5x4x8xf32>) -> tensor<4x8xf32> {
    %a = linalg.matmul ins(%h0, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                       outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %s = arith.addf %a, %h : tensor<4x8xf32>
    scan.yield %s : tensor<4x8xf32>
  }
  %b = linalg.matmul ins(%h0, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %hT, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Weights transposed in the body by linalg.transpose are seen through: the
// untransposed weights are concatenated above the loop, the merged product
// reads them transposed through its maps, and the transposes go away.
// The maps are printed as aliases before the function.
//   CHECK-DAG: #[[$MA:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
//   CHECK-DAG: #[[$MBT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
//   CHECK-DAG: #[[$MC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @sum_through_transposes_in_scan
//  CHECK-SAME:   %[[U:[a-z0-9_]+]]: tensor<8x8xf32>, %[[V:[a-z0-9_]+]]: tensor<8x8xf32>
//       CHECK:   %[[UV:.*]] = tensor.concat dim(1) %[[U]], %[[V]] : {{.*}} -> tensor<8x16xf32>
//       CHECK:   scan.scan
//   CHECK-NOT:     linalg.transpose
//       CHECK:     %[[E:.*]] = tensor.concat dim(1)
//       CHECK:     linalg.matmul indexing_maps = [#[[$MA]], #[[$MBT]], #[[$MC]]] ins(%[[E]], %[[UV]] : tensor<4x16xf32>, tensor<8x16xf32>)
//   CHECK-NOT:     linalg.matmul
//   CHECK-NOT:     linalg.transpose
//       CHECK:     scan.yield
func.func @sum_through_transposes_in_scan(%g: tensor<5x4x8xf32>, %d0: tensor<4x8xf32>,
                                          %U: tensor<8x8xf32>, %V: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %dT = scan.scan reverse carries(%d = %d0 : tensor<4x8xf32>)
                  sequences(%gt = %g : tensor<5x4x8xf32>) -> tensor<4x8xf32> {
    %er = arith.mulf %d, %gt : tensor<4x8xf32>
    %ez = math.exp %er : tensor<4x8xf32>
    %e88 = tensor.empty() : tensor<8x8xf32>
    %Ut = linalg.transpose ins(%U : tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>) permutation = [1, 0]
    %Vt = linalg.transpose ins(%V : tensor<8x8xf32>) outs(%e88 : tensor<8x8xf32>) permutation = [1, 0]
    %a = linalg.matmul ins(%er, %Ut : tensor<4x8xf32>, tensor<8x8xf32>)
                       outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %b = linalg.matmul ins(%ez, %Vt : tensor<4x8xf32>, tensor<8x8xf32>)
                       outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %dn = arith.addf %a, %b : tensor<4x8xf32>
    scan.yield %dn : tensor<4x8xf32>
  }
  return %dT : tensor<4x8xf32>
}

// -----

// One product transposes its weight through its maps, the other through a
// linalg.transpose: both read x.W^T, so they merge over [U; V].
// CHECK-LABEL: func.func @shared_lhs_mixed_transpose_forms
//  CHECK-SAME:   (%[[X:.*]]: tensor<4x8xf32>, %[[U:.*]]: tensor<16x8xf32>, %[[V:.*]]: tensor<8x8xf32>)
//       CHECK:   %[[UV:.*]] = tensor.concat dim(0) %[[U]], %[[V]] : {{.*}} -> tensor<24x8xf32>
//       CHECK:   linalg.matmul indexing_maps = {{.*}} ins(%[[X]], %[[UV]] :
//   CHECK-NOT:   linalg.transpose
//   CHECK-NOT:   linalg.matmul
#mA = affine_map<(m, n, k) -> (m, k)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @shared_lhs_mixed_transpose_forms(%x: tensor<4x8xf32>, %U: tensor<16x8xf32>, %V: tensor<8x8xf32>)
    -> (tensor<4x16xf32>, tensor<4x8xf32>) {
  %z0 = arith.constant dense<0.0> : tensor<4x16xf32>
  %z1 = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%x, %U : tensor<4x8xf32>, tensor<16x8xf32>) outs(%z0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<8x8xf32>
  %Vt = linalg.transpose ins(%V : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) permutation = [1, 0]
  %b = linalg.matmul ins(%x, %Vt : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z1 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x16xf32>, tensor<4x8xf32>
}

// -----

// LSTM-style gates, x.W_g + h.U_g: each sum becomes [x h].[W_g; U_g], the
// sums share one concatenation [x h], and the products of it then merge into
// a single GEMM over [[W_1; U_1] [W_2; U_2]].
// CHECK-LABEL: func.func @sums_then_shared_lhs
//  CHECK-SAME:   (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>, %[[H:[a-z0-9_]+]]: tensor<4x6xf32>
//       CHECK:   %[[XH:.*]] = tensor.concat dim(1) %[[X]], %[[H]] : {{.*}} -> tensor<4x14xf32>
//   CHECK-NOT:   tensor.concat dim(1) %[[X]]
//       CHECK:   %[[W:.*]] = tensor.concat dim(1) {{.*}} : (tensor<14x8xf32>, tensor<14x8xf32>) -> tensor<14x16xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul ins(%[[XH]], %[[W]] : tensor<4x14xf32>, tensor<14x16xf32>)
//   CHECK-NOT:   linalg.matmul
//   CHECK-DAG:   %[[G1:.*]] = tensor.extract_slice %[[M]][0, 0] [4, 8] [1, 1]
//   CHECK-DAG:   %[[G2:.*]] = tensor.extract_slice %[[M]][0, 8] [4, 8] [1, 1]
//       CHECK:   return %[[G1]], %[[G2]]
func.func @sums_then_shared_lhs(%x: tensor<4x8xf32>, %h: tensor<4x6xf32>,
                                %W1: tensor<8x8xf32>, %U1: tensor<6x8xf32>,
                                %W2: tensor<8x8xf32>, %U2: tensor<6x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a1 = linalg.matmul ins(%x, %W1 : tensor<4x8xf32>, tensor<8x8xf32>)
                      outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b1 = linalg.matmul ins(%h, %U1 : tensor<4x6xf32>, tensor<6x8xf32>)
                      outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %g1 = arith.addf %a1, %b1 : tensor<4x8xf32>
  %a2 = linalg.matmul ins(%x, %W2 : tensor<4x8xf32>, tensor<8x8xf32>)
                      outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b2 = linalg.matmul ins(%h, %U2 : tensor<4x6xf32>, tensor<6x8xf32>)
                      outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %g2 = arith.addf %a2, %b2 : tensor<4x8xf32>
  return %g1, %g2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A product computed twice is concatenated once; both copies read the same
// slice.
// CHECK-LABEL: func.func @shared_lhs_duplicate_product
//  CHECK-SAME:   (%[[X:.*]]: tensor<4x8xf32>, %[[U:.*]]: tensor<8x8xf32>, %[[V:.*]]: tensor<8x8xf32>)
//       CHECK:   %[[UV:.*]] = tensor.concat dim(1) %[[U]], %[[V]] : {{.*}} -> tensor<8x16xf32>
//       CHECK:   %[[M:.*]] = linalg.matmul ins(%[[X]], %[[UV]] :
//   CHECK-DAG:   %[[A:.*]] = tensor.extract_slice %[[M]][0, 0] [4, 8] [1, 1]
//   CHECK-DAG:   %[[B:.*]] = tensor.extract_slice %[[M]][0, 8] [4, 8] [1, 1]
//   CHECK-DAG:   %[[C:.*]] = tensor.extract_slice %[[M]][0, 0] [4, 8] [1, 1]
//       CHECK:   return %[[A]], %[[B]], %[[C]]
func.func @shared_lhs_duplicate_product(%x: tensor<4x8xf32>, %U: tensor<8x8xf32>, %V: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = linalg.matmul ins(%x, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %c = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Two identical products are left to CSE: there is nothing to concatenate.
// CHECK-LABEL: func.func @negative_identical_products_only
//   CHECK-NOT:   tensor.concat
//       CHECK:   linalg.matmul
//       CHECK:   linalg.matmul
//   CHECK-NOT:   tensor.concat
func.func @negative_identical_products_only(%x: tensor<4x8xf32>, %U: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %z = arith.constant dense<0.0> : tensor<4x8xf32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = linalg.matmul ins(%x, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A forward loop reads h.U and h.V, a backward loop sums e_r.U^T + e_z.V^T:
// both merges concatenate U and V along the same dimension, so they share one
// concatenation, created where U and V are defined (the sum, merged first,
// fixes the order).
// CHECK-LABEL: func.func @forward_and_backward_share_weights
//  CHECK-SAME:   %[[U:[a-z0-9_]+]]: tensor<8x8xf32>, %[[V:[a-z0-9_]+]]: tensor<8x8xf32>
//       CHECK:   %[[W:.*]] = tensor.concat dim(1) %[[V]], %[[U]] : {{.*}} -> tensor<8x16xf32>
//   CHECK-NOT:   tensor.concat {{.*}}%[[U]]
//       CHECK:   scan.scan
//       CHECK:     %[[F:.*]] = linalg.matmul ins(%{{.*}}, %[[W]] :
//   CHECK-DAG:     tensor.extract_slice %[[F]][0, 8] [4, 8] [1, 1]
//   CHECK-DAG:     tensor.extract_slice %[[F]][0, 0] [4, 8] [1, 1]
//       CHECK:   scan.scan reverse
//       CHECK:     linalg.matmul indexing_maps = {{.*}} ins(%{{.*}}, %[[W]] :
//   CHECK-NOT:   tensor.concat {{.*}}%[[U]]
//       CHECK:   return
#mA = affine_map<(m, n, k) -> (m, k)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>
func.func @forward_and_backward_share_weights(%x: tensor<5x4x8xf32>, %h0: tensor<4x8xf32>,
                                              %U: tensor<8x8xf32>, %V: tensor<8x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<4x8xf32>)
                  sequences(%xt = %x : tensor<5x4x8xf32>) -> tensor<4x8xf32> {
    %hU = linalg.matmul ins(%h, %U : tensor<4x8xf32>, tensor<8x8xf32>)
                        outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %hV = linalg.matmul ins(%h, %V : tensor<4x8xf32>, tensor<8x8xf32>)
                        outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %m = arith.mulf %hU, %hV : tensor<4x8xf32>
    %s = arith.addf %xt, %m : tensor<4x8xf32>
    scan.yield %s : tensor<4x8xf32>
  }
  %dT = scan.scan reverse carries(%d = %hT : tensor<4x8xf32>)
                  sequences(%gt = %x : tensor<5x4x8xf32>) -> tensor<4x8xf32> {
    %ez = arith.mulf %d, %gt : tensor<4x8xf32>
    %er = math.tanh %ez : tensor<4x8xf32>
    %b = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
        ins(%ez, %V : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %a = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
        ins(%er, %U : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    %dn = arith.addf %a, %b : tensor<4x8xf32>
    scan.yield %dn : tensor<4x8xf32>
  }
  return %hT, %dT : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// The one reading of a zero init that every matmul rewrite shares: integer
// zeros (a splat constant or a fill of 0) count as float zeros do, so the
// integer products of x merge like float ones.
// CHECK-LABEL: func.func @integer_zero_inits
//       CHECK:   tensor.concat dim(1)
//       CHECK:   linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x8xi32>, tensor<8x48xi32>)
//   CHECK-NOT:   linalg.matmul
//       CHECK:   return
func.func @integer_zero_inits(%x: tensor<4x8xi32>, %U: tensor<8x16xi32>, %V: tensor<8x32xi32>)
    -> (tensor<4x16xi32>, tensor<4x32xi32>) {
  %z0 = arith.constant dense<0> : tensor<4x16xi32>
  %c0 = arith.constant 0 : i32
  %e1 = tensor.empty() : tensor<4x32xi32>
  %z1 = linalg.fill ins(%c0 : i32) outs(%e1 : tensor<4x32xi32>) -> tensor<4x32xi32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xi32>, tensor<8x16xi32>)
                     outs(%z0 : tensor<4x16xi32>) -> tensor<4x16xi32>
  %b = linalg.matmul ins(%x, %V : tensor<4x8xi32>, tensor<8x32xi32>)
                     outs(%z1 : tensor<4x32xi32>) -> tensor<4x32xi32>
  return %a, %b : tensor<4x16xi32>, tensor<4x32xi32>
}

// -----

// A fill of one is no zero init: the products of x stay apart.
// CHECK-LABEL: func.func @negative_integer_one_init
//       CHECK:   linalg.matmul
//       CHECK:   linalg.matmul
//   CHECK-NOT:   tensor.concat
func.func @negative_integer_one_init(%x: tensor<4x8xi32>, %U: tensor<8x16xi32>, %V: tensor<8x32xi32>)
    -> (tensor<4x16xi32>, tensor<4x32xi32>) {
  %z0 = arith.constant dense<0> : tensor<4x16xi32>
  %c1 = arith.constant 1 : i32
  %e1 = tensor.empty() : tensor<4x32xi32>
  %z1 = linalg.fill ins(%c1 : i32) outs(%e1 : tensor<4x32xi32>) -> tensor<4x32xi32>
  %a = linalg.matmul ins(%x, %U : tensor<4x8xi32>, tensor<8x16xi32>)
                     outs(%z0 : tensor<4x16xi32>) -> tensor<4x16xi32>
  %b = linalg.matmul ins(%x, %V : tensor<4x8xi32>, tensor<8x32xi32>)
                     outs(%z1 : tensor<4x32xi32>) -> tensor<4x32xi32>
  return %a, %b : tensor<4x16xi32>, tensor<4x32xi32>
}
