// The scf.for that convert-scan-to-scf produces must bufferize in place:
// per-step outputs written into slices of one stacked buffer, carries
// computed into their own buffer, nothing allocated inside the loop. These
// are the steps of scan-lower-to-cpu up to bufferization.
//
// RUN: scan-opt %s --convert-scan-to-scf --convert-elementwise-to-linalg \
// RUN:   --scan-fuse-elementwise --canonicalize --cse \
// RUN:   --scan-prepare-bufferization --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map allow-return-allocs-from-loops" \
// RUN:   --canonicalize --cse --canonicalize --buffer-loop-hoisting \
// RUN: | FileCheck %s
//
// With scan-forward-temporary-copies after bufferization, as in
// scan-lower-to-cpu:
// RUN: scan-opt %s --convert-scan-to-scf --convert-elementwise-to-linalg \
// RUN:   --scan-fuse-elementwise --canonicalize --cse \
// RUN:   --scan-prepare-bufferization --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map allow-return-allocs-from-loops" \
// RUN:   --canonicalize --cse --canonicalize \
// RUN:   --scan-forward-temporary-copies --buffer-loop-hoisting \
// RUN: | FileCheck %s --check-prefix=FORWARDED
//
// Without scan-prepare-bufferization, the carry is reallocated and copied
// at every step and the accumulator is copied from the hoisted zero fill.
// RUN: scan-opt %s --convert-scan-to-scf --convert-elementwise-to-linalg \
// RUN:   --scan-fuse-elementwise --canonicalize --cse \
// RUN:   --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map allow-return-allocs-from-loops" \
// RUN:   --canonicalize --cse --canonicalize --buffer-loop-hoisting \
// RUN: | FileCheck %s --check-prefix=UNPREPARED

// h_t is both the carry and a stacked output. The fused tanh writes into the
// carry buffer, which the step then copies into slice T-1-i of the stacked
// buffer: one copy of one step's data, no allocation, no copy of the whole
// stacked buffer. The matmul accumulator is zeroed next to the matmul in a
// buffer allocated once, before the loop.
// CHECK-LABEL: func.func @carry_and_output
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: memref<5x2x4xf32>, %[[H0:[a-z0-9]+]]: memref<2x4xf32>, %[[W:[a-z0-9]+]]: memref<4x4xf32>
//   CHECK-DAG:   %[[STACK:.*]] = memref.alloc() {{.*}} : memref<5x2x4xf32>
//   CHECK-DAG:   %[[H:.*]] = memref.alloc() {{.*}} : memref<2x4xf32>
//   CHECK-DAG:   memref.copy %[[H0]], %[[H]]
//   CHECK-DAG:   %[[ACC:.*]] = memref.alloc() {{.*}} : memref<2x4xf32>
//       CHECK:   scf.for %[[I:[a-z0-9_]+]] =
//   CHECK-NOT:     memref.alloc
//       CHECK:     %[[T:.*]] = arith.subi %{{.*}}, %[[I]]
//       CHECK:     %[[XT:.*]] = memref.subview %[[X]][%[[T]], 0, 0] [1, 2, 4] [1, 1, 1]
//       CHECK:     linalg.fill ins(%{{.*}} : f32) outs(%[[ACC]] : memref<2x4xf32>)
//       CHECK:     linalg.matmul ins(%[[H]], %[[W]] : {{.*}}) outs(%[[ACC]] : memref<2x4xf32>)
//       CHECK:     linalg.generic {{.*}} ins(%[[XT]], %[[ACC]] : {{.*}}) outs(%[[H]] : memref<2x4xf32>)
//       CHECK:       math.tanh
//   CHECK-NOT:     memref.alloc
//       CHECK:     %[[SLOT:.*]] = memref.subview %[[STACK]][%[[T]], 0, 0] [1, 2, 4] [1, 1, 1]
//       CHECK:     memref.copy %[[H]], %[[SLOT]]
//   CHECK-NOT:     memref.alloc
//   CHECK-NOT:     memref.copy
//       CHECK:   }
//       CHECK:   return %[[H]], %[[STACK]]

// UNPREPARED-LABEL: func.func @carry_and_output
//       UNPREPARED:   scf.for
//       UNPREPARED:     memref.copy
//       UNPREPARED:     linalg.matmul
//       UNPREPARED:     memref.alloc
//       UNPREPARED:     memref.copy
//       UNPREPARED:     scf.yield
func.func @carry_and_output(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>,
                            %W: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %hs = scan.scan reverse carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%acc0 : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hW : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn, %hn : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %hs : tensor<2x4xf32>, tensor<5x2x4xf32>
}

// An output that other ops of the step also read (here through column
// slices: the merged product h [U V] of a gated cell) is computed in its
// stack slice too, and read there: its insertion comes after its readers.
// CHECK-LABEL: func.func @output_sliced_in_step
//       CHECK:   %[[HWS:.*]] = memref.alloc() {{.*}} : memref<5x2x8xf32>
//       CHECK:   scf.for %[[I:[a-z0-9_]+]] =
//       CHECK:     %[[S:.*]] = memref.subview %[[HWS]][%[[I]], 0, 0] [1, 2, 8] [1, 1, 1]
//       CHECK:     linalg.matmul {{.*}} outs(%[[S]] :
//   CHECK-NOT:     memref.copy
//   CHECK-NOT:     memref.alloc
//       CHECK:   }
func.func @output_sliced_in_step(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>,
                                 %W: tensor<4x8xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x8xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x8xf32>) -> tensor<2x8xf32>
  %hT, %hWs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x8xf32>) {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x8xf32>)
                        outs(%acc0 : tensor<2x8xf32>) -> tensor<2x8xf32>
    %a = tensor.extract_slice %hW[0, 0] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    %b = tensor.extract_slice %hW[0, 4] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    %pre = arith.addf %xt, %a : tensor<2x4xf32>
    %pre2 = arith.mulf %pre, %b : tensor<2x4xf32>
    %hn = math.tanh %pre2 : tensor<2x4xf32>
    scan.yield %hn, %hW : tensor<2x4xf32>, tensor<2x8xf32>
  }
  return %hT, %hWs : tensor<2x4xf32>, tensor<5x2x8xf32>
}

// Outputs that are not carries are computed straight into their slice of the
// stacked buffer, by one fused op (their insertions, at the end of the step,
// do not separate them): no copy and no allocation inside the loop.
// CHECK-LABEL: func.func @outputs_only
//   CHECK-DAG:   %[[YS:.*]] = memref.alloc() {{.*}} : memref<5x2x4xf32>
//   CHECK-DAG:   %[[ZS:.*]] = memref.alloc() {{.*}} : memref<5x2x4xf32>
//       CHECK:   scf.for %[[I:[a-z0-9_]+]] =
//   CHECK-DAG:     %[[Y:.*]] = memref.subview %[[YS]][%[[I]], 0, 0] [1, 2, 4] [1, 1, 1]
//   CHECK-DAG:     %[[Z:.*]] = memref.subview %[[ZS]][%[[I]], 0, 0] [1, 2, 4] [1, 1, 1]
//       CHECK:     linalg.generic {{.*}} outs(%[[Y]], %[[Z]] :
//   CHECK-NOT:     memref.copy
//   CHECK-NOT:     memref.alloc
//       CHECK:   }
//       CHECK:   return %{{.*}}, %[[YS]], %[[ZS]]
func.func @outputs_only(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
  %hT, %ys, %zs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %m = arith.mulf %xt, %h : tensor<2x4xf32>
    %y = math.tanh %m : tensor<2x4xf32>
    %z = arith.subf %xt, %h : tensor<2x4xf32>
    scan.yield %h, %y, %z : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %ys, %zs : tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
}

// The forward loop of a gradient stores both h_t and h_(t-1): the carry
// lives in one stack of T + 1 = 6 slices, h0 copied into slice 0 before the
// loop. The fused op reads slice t and writes slice t + 1, which one-shot
// bufferization cannot tell apart: the step reads a copy of slice t, in a
// buffer allocated once (one slice copy per step, as before the stack).
// scan-forward-temporary-copies then lets the op read slice t itself, and
// no copy is left in the loop (FORWARDED).
// CHECK-LABEL: func.func @stores_old_and_new_carry
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: memref<5x2x4xf32>, %[[H0:[a-z0-9]+]]: memref<2x4xf32>
//       CHECK:   %[[STACK:.*]] = memref.alloc() {{.*}} : memref<6x2x4xf32>
//       CHECK:   %[[FIRST:.*]] = memref.subview %[[STACK]][0, 0, 0] [1, 2, 4]
//       CHECK:   memref.copy %[[H0]], %[[FIRST]]
//       CHECK:   %[[H:.*]] = memref.alloc() {{.*}} : memref<2x4xf32>
//       CHECK:   scf.for %[[I:[a-z0-9_]+]] =
//   CHECK-NOT:     memref.alloc
//       CHECK:     %[[NEXT:.*]] = arith.addi %[[I]]
//       CHECK:     %[[OLD:.*]] = memref.subview %[[STACK]][%[[I]], 0, 0]
//       CHECK:     memref.copy %[[OLD]], %[[H]]
//       CHECK:     %[[NEW:.*]] = memref.subview %[[STACK]][%[[NEXT]], 0, 0]
//       CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %[[H]] : {{.*}}) outs(%[[NEW]] : {{.*}})
//   CHECK-NOT:     memref.alloc
//   CHECK-NOT:     memref.copy
//       CHECK:   }
// FORWARDED-LABEL: func.func @stores_old_and_new_carry
//       FORWARDED:   scf.for %[[I:[a-z0-9_]+]] =
//   FORWARDED-NOT:     memref.copy
//       FORWARDED:     %[[OLD:.*]] = memref.subview %{{.*}}[%[[I]], 0, 0]
//   FORWARDED-NOT:     memref.copy
//       FORWARDED:     linalg.generic {{.*}} ins(%{{.*}}, %[[OLD]] : {{.*}})
//   FORWARDED-NOT:     memref.copy
//       FORWARDED:   }
func.func @stores_old_and_new_carry(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
  %hT, %hs, %hp = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %pre = arith.addf %xt, %h : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn, %hn, %h : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %hs, %hp : tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
}

// The backward loop of a gradient: dh is carried and recomputed as a matmul
// from zero (dpre W^T), dW accumulates dW += h^T dpre in its carry. Both are
// computed in their own buffer: nothing is allocated or copied per step.
// CHECK-LABEL: func.func @backward
//  CHECK-SAME:   %[[HS:[a-z0-9]+]]: memref<5x2x4xf32>, %[[W:[a-z0-9]+]]: memref<4x4xf32>, %[[DH0:[a-z0-9]+]]: memref<2x4xf32>, %[[DW0:[a-z0-9]+]]: memref<4x4xf32>
//   CHECK-DAG:   memref.copy %[[DH0]], %[[DH:[a-z0-9_]+]] :
//   CHECK-DAG:   memref.copy %[[DW0]], %[[DW:[a-z0-9_]+]] :
//       CHECK:   scf.for
//   CHECK-NOT:     memref.alloc
//   CHECK-NOT:     memref.copy
//       CHECK:     linalg.generic {{.*}} ins(%[[DH]], %{{.*}}) outs(%[[DPRE:[a-z0-9_]+]] : memref<2x4xf32>)
//       CHECK:     linalg.matmul {{.*}} ins(%{{.*}}, %[[DPRE]] : {{.*}}) outs(%[[DW]] : memref<4x4xf32>)
//       CHECK:     linalg.fill ins(%{{.*}} : f32) outs(%[[DH]] : memref<2x4xf32>)
//       CHECK:     linalg.matmul {{.*}} ins(%[[DPRE]], %[[W]] : {{.*}}) outs(%[[DH]] : memref<2x4xf32>)
//   CHECK-NOT:     memref.alloc
//   CHECK-NOT:     memref.copy
//       CHECK:   }
//       CHECK:   return %[[DH]], %[[DW]]
func.func @backward(%hs: tensor<5x2x4xf32>, %W: tensor<4x4xf32>,
                    %dh0: tensor<2x4xf32>, %dW0: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %dh, %dW = scan.scan reverse carries(%g = %dh0 : tensor<2x4xf32>, %gw = %dW0 : tensor<4x4xf32>)
      sequences(%ht = %hs : tensor<5x2x4xf32>) -> (tensor<2x4xf32>, tensor<4x4xf32>) {
    %sq = arith.mulf %ht, %ht : tensor<2x4xf32>
    %dpre = arith.mulf %g, %sq : tensor<2x4xf32>
    %gwn = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                          affine_map<(m, n, k) -> (k, n)>,
                                          affine_map<(m, n, k) -> (m, n)>]
        ins(%ht, %dpre : tensor<2x4xf32>, tensor<2x4xf32>)
        outs(%gw : tensor<4x4xf32>) -> tensor<4x4xf32>
    %gn = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                         affine_map<(m, n, k) -> (n, k)>,
                                         affine_map<(m, n, k) -> (m, n)>]
        ins(%dpre, %W : tensor<2x4xf32>, tensor<4x4xf32>)
        outs(%acc0 : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %gn, %gwn : tensor<2x4xf32>, tensor<4x4xf32>
  }
  return %dh, %dW : tensor<2x4xf32>, tensor<4x4xf32>
}
