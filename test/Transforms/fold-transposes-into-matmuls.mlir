// RUN: scan-opt %s --split-input-file --scan-fold-transposes-into-matmuls --mlir-print-local-scope 2>/dev/null | FileCheck %s
// RUN: scan-opt %s --split-input-file --scan-fold-transposes-into-matmuls --verify-diagnostics -o /dev/null

// h U^T written with a transpose of the loop-invariant U: the matmul reads U
// through a transposed right map, and the transpose goes.
// CHECK-LABEL: func.func @transposed_weight
//  CHECK-SAME:   %[[U:[a-z0-9_]+]]: tensor<4x4xf32>
//       CHECK:   scan.scan
//   CHECK-NOT:     linalg.transpose
//       CHECK:     linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%{{.*}}, %[[U]] : tensor<2x4xf32>, tensor<4x4xf32>)
func.func @transposed_weight(%h0: tensor<2x4xf32>, %U: tensor<4x4xf32>, %z: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = scan.scan length(3) carries(%h = %h0 : tensor<2x4xf32>) -> tensor<2x4xf32> {
    %e = tensor.empty() : tensor<4x4xf32>
    %ut = linalg.transpose ins(%U : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) permutation = [1, 0]
    // expected-remark @below {{read a transposed loop-invariant operand through indexing_maps}}
    %hu = linalg.matmul ins(%h, %ut : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %hu : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// -----

// A transposed left operand (a weight read as W^T x) flips the left map,
// and a transpose of an already transposed-map operand reads it plain.
// CHECK-LABEL: func.func @transposed_lhs_of_transposed_map
//  CHECK-SAME:   %[[W:[a-z0-9_]+]]: tensor<3x2xf32>, %[[V:[a-z0-9_]+]]: tensor<3x4xf32>
//       CHECK:   linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%[[W]], %[[V]] : tensor<3x2xf32>, tensor<3x4xf32>)
func.func @transposed_lhs_of_transposed_map(%W: tensor<3x2xf32>, %V: tensor<3x4xf32>, %z: tensor<2x4xf32>) -> tensor<5x2x4xf32> {
  %ew = tensor.empty() : tensor<2x3xf32>
  %wt = linalg.transpose ins(%W : tensor<3x2xf32>) outs(%ew : tensor<2x3xf32>) permutation = [1, 0]
  %ev = tensor.empty() : tensor<4x3xf32>
  %vt = linalg.transpose ins(%V : tensor<3x4xf32>) outs(%ev : tensor<4x3xf32>) permutation = [1, 0]
  %r = scan.scan length(5) -> tensor<5x2x4xf32> {
    // expected-remark @below {{read a transposed loop-invariant operand through indexing_maps}}
    %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%wt, %vt : tensor<2x3xf32>, tensor<4x3xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %p : tensor<2x4xf32>
  }
  return %r : tensor<5x2x4xf32>
}

// -----

// The transpose of a per-step product with a zero init is one matmul:
// (h^T g)^T = g^T h, into a zero of the transposed shape.
// CHECK-LABEL: func.func @transpose_of_product
//       CHECK:   scan.scan
//       CHECK:     %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x3xf32>)
//       CHECK:     linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<2x3xf32>) outs(%[[Z]] : tensor<4x3xf32>)
//   CHECK-NOT:     linalg.transpose
//       CHECK:     scan.yield
func.func @transpose_of_product(%hs: tensor<5x2x3xf32>, %gs: tensor<5x2x4xf32>, %dU0: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %r = scan.scan carries(%dU = %dU0 : tensor<4x3xf32>) sequences(%h = %hs : tensor<5x2x3xf32>, %g = %gs : tensor<5x2x4xf32>) -> tensor<4x3xf32> {
    %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%h, %g : tensor<2x3xf32>, tensor<2x4xf32>) outs(%z : tensor<3x4xf32>) -> tensor<3x4xf32>
    %et = tensor.empty() : tensor<4x3xf32>
    // expected-remark @below {{folded a transpose of a matmul into the matmul}}
    %pt = linalg.transpose ins(%p : tensor<3x4xf32>) outs(%et : tensor<4x3xf32>) permutation = [1, 0]
    %next = arith.addf %dU, %pt : tensor<4x3xf32>
    scan.yield %next : tensor<4x3xf32>
  }
  return %r : tensor<4x3xf32>
}

// -----

// A transpose of a per-step value (the carry) is not loop-invariant: one
// transpose per step either way, left alone.
// CHECK-LABEL: func.func @negative_per_step_transpose
//       CHECK:     linalg.transpose
//       CHECK:     linalg.matmul ins(
func.func @negative_per_step_transpose(%h0: tensor<4x4xf32>, %W: tensor<4x4xf32>, %z: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = scan.scan length(3) carries(%h = %h0 : tensor<4x4xf32>) -> tensor<4x4xf32> {
    %e = tensor.empty() : tensor<4x4xf32>
    %ht = linalg.transpose ins(%h : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) permutation = [1, 0]
    %p = linalg.matmul ins(%W, %ht : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
    scan.yield %p : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}

// -----

// The transpose of a product that accumulates into a non-zero init, or that
// is also read untransposed, stays, with a remark that says why.
// CHECK-LABEL: func.func @negative_transpose_of_product
//   CHECK-COUNT-2:   linalg.transpose
func.func @negative_transpose_of_product(%hs: tensor<5x2x3xf32>, %gs: tensor<5x2x4xf32>, %c: tensor<3x4xf32>)
    -> (tensor<5x4x3xf32>, tensor<5x4x3xf32>, tensor<5x3x4xf32>) {
  %z = arith.constant dense<0.0> : tensor<3x4xf32>
  %r:3 = scan.scan sequences(%h = %hs : tensor<5x2x3xf32>, %g = %gs : tensor<5x2x4xf32>) -> (tensor<5x4x3xf32>, tensor<5x4x3xf32>, tensor<5x3x4xf32>) {
    %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%h, %g : tensor<2x3xf32>, tensor<2x4xf32>) outs(%c : tensor<3x4xf32>) -> tensor<3x4xf32>
    %e = tensor.empty() : tensor<4x3xf32>
    // expected-remark @below {{transpose of a matmul not folded: the matmul's init is not zero}}
    %pt = linalg.transpose ins(%p : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) permutation = [1, 0]
    %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%h, %g : tensor<2x3xf32>, tensor<2x4xf32>) outs(%z : tensor<3x4xf32>) -> tensor<3x4xf32>
    // expected-remark @below {{transpose of a matmul not folded: the matmul's product is also read untransposed}}
    %qt = linalg.transpose ins(%q : tensor<3x4xf32>) outs(%e : tensor<4x3xf32>) permutation = [1, 0]
    scan.yield %pt, %qt, %q : tensor<4x3xf32>, tensor<4x3xf32>, tensor<3x4xf32>
  }
  return %r#0, %r#1, %r#2 : tensor<5x4x3xf32>, tensor<5x4x3xf32>, tensor<5x3x4xf32>
}

// -----

// Outside scan bodies nothing changes: a transpose of a weight there is
// computed once anyway.
// CHECK-LABEL: func.func @negative_outside_scans
//       CHECK:   linalg.transpose
//       CHECK:   linalg.matmul ins(
func.func @negative_outside_scans(%x: tensor<2x4xf32>, %U: tensor<4x4xf32>, %z: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %e = tensor.empty() : tensor<4x4xf32>
  %ut = linalg.transpose ins(%U : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) permutation = [1, 0]
  %p = linalg.matmul ins(%x, %ut : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %p : tensor<2x4xf32>
}
