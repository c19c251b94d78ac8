// The scf.for that convert-scan-to-scf produces must bufferize in place:
// per-step outputs written into slices of one stacked buffer, carries
// computed into their own buffer, nothing allocated inside the loop. These
// are the steps of scan-lower-to-cpu up memref<2x4xf32>
//   CHECK-DAG:   %[[H:.*]] = memref.alloc() {{.*}} : memref<2x4xf32>
//   CHECK-DAG:   memref.copy %[[H0]], %[[H]]
//       CHECK:   scf.for %[[I:[a-z0-9_]+]] =
//   CHECK-NOT:     memref.alloc
//       CHECK:     %[[OLD:.*]] = memref.subview %{{.*}}[%[[I]], 0, 0]
// ]], %[[NEW]]
//   CHECK-NOT:     memref.alloc
//       CHECK:   }
func.func @stores_old_and_new_carry(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
  %hT, %hs, %hp = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %pre = arith.addf %xt, %h : tensor<2x4xf32>
    }
  return %hT, %hs, %hp : tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
}

// The backward loop of a gradient: dh is carried and recomputed as a matmul
// from zero (->dpre W^T), dW accumulates dW += h^T dpre in its carry. Both are
// computed in their own buffer: nothing is allocated or copied per step.
// CHECK-LABEL: func.func @backward
//  CHECK-SAME:   %[[HS:[a-z0-9]+]]: memref<5x2x4xf32>, %[[W:[a-z0-9]+]]: memref<4x4xf32>, %[[DH0:[a-z0-9]+]]: memref<2x4xf32>, %[[DW0:[a-z0-9]+]]: memref<4x4xf//       CHECK:   }
func.func @stores_old_and_new_carry(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
  %hT, %hs, %hp = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %pre = arith.addf %xt, %h : tensor<2x4xf32>
    }
  return %hT, %hs, %hp : tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
}

// The backward loop of a gradient: dh is carried and recomputed as a matmul
// from zero[[DW:[a-z0-9_]+]] :
//       CHECK:   scf.for
//   CHECK-NOT:     memref.alloc
//   CHECK-NOT:     memref.cd (tensor<4opy
//xf       CHECK32>, t:     lina