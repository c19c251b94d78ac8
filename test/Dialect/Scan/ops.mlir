// RUN: scan-opt %s | scan-opt | FileCheck %s
// RUN: scan-opt %s --mlir-print-op-generic | scan-opt | FileCheck %s

// The example of the scan.scan description: an Elman RNN keeping its states.
// CHECK-LABEL: func.func @elman_rnn
//  CHECK-SAME:   (%[[X:.*]]: tensor<5x2x4xf32>, %[[H0:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<4x4xf32>)
//       CHECK:   %[[R:.*]]:2 = scan.scan carries(%[[H:.*]] = %[[H0]] : tensor<2x4xf32>) sequences(%[[XT:.*]] = %[[X]] : tensor<5x2x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
//       CHECK:     %[[HW:.*]] = linalg.matmul ins(%[[H]], %[[W]] :
//       CHECK:     %[[PRE:.*]] = arith.addf %[[XT]], %[[HW]]
//       CHECK:     %[[HN:.*]] = math.tanh %[[PRE]]
//       CHECK:     scan.yield %[[HN]], %[[HN]] : tensor<2x4xf32>, tensor<2x4xf32>
//       CHECK:   return %[[R]]#0, %[[R]]#1
func.func @elman_rnn(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>,
                     %W: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
                       sequences(%xt = %x : tensor<5x2x4xf32>)
                       -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn, %hn : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %hs : tensor<2x4xf32>, tensor<5x2x4xf32>
}

// A reverse scan with two carries and two sequences, one of rank 1 (its
// slices are rank 0), and a discardable attribute.
// CHECK-LABEL: func.func @reverse_two_carries
//       CHECK:   scan.scan reverse carries(%{{.*}} = %{{.*}} : tensor<3xf64>, %{{.*}} = %{{.*}} : tensor<f64>) sequences(%{{.*}} = %{{.*}} : tensor<7x3xf64>, %[[S:.*]] = %{{.*}} : tensor<7xf64>) -> (tensor<3xf64>, tensor<f64>) {
//       CHECK:     arith.addf %{{.*}}, %[[S]] : tensor<f64>
//       CHECK:   } attributes {note = "kept"}
func.func @reverse_two_carries(%a0: tensor<3xf64>, %b0: tensor<f64>,
                               %xs: tensor<7x3xf64>, %ss: tensor<7xf64>)
    -> (tensor<3xf64>, tensor<f64>) {
  %a, %b = scan.scan reverse
      carries(%a = %a0 : tensor<3xf64>, %b = %b0 : tensor<f64>)
      sequences(%x = %xs : tensor<7x3xf64>, %s = %ss : tensor<7xf64>)
      -> (tensor<3xf64>, tensor<f64>) {
    %an = arith.mulf %a, %x : tensor<3xf64>
    %bn = arith.addf %b, %s : tensor<f64>
    scan.yield %an, %bn : tensor<3xf64>, tensor<f64>
  } attributes {note = "kept"}
  return %a, %b : tensor<3xf64>, tensor<f64>
}

// No sequences: the trip count comes from `length`; the per-step output of
// rank 0 stacks into a rank-1 result.
// CHECK-LABEL: func.func @length_only
//       CHECK:   scan.scan length(4) carries(%{{.*}} = %{{.*}} : tensor<f32>) -> (tensor<f32>, tensor<4xf32>) {
func.func @length_only(%c0: tensor<f32>) -> (tensor<f32>, tensor<4xf32>) {
  %c, %cs = scan.scan length(4) carries(%c = %c0 : tensor<f32>)
                      -> (tensor<f32>, tensor<4xf32>) {
    %n = arith.addf %c, %c : tensor<f32>
    scan.yield %n, %c : tensor<f32>, tensor<f32>
  }
  return %c, %cs : tensor<f32>, tensor<4xf32>
}

// No carries and no results: a scan that only reads its sequence.
// CHECK-LABEL: func.func @no_carries
//       CHECK:   scan.scan sequences(%{{.*}} = %{{.*}} : tensor<2x3xf32>) {
//       CHECK:     scan.yield
//  CHECK-NEXT:   }
func.func @no_carries(%xs: tensor<2x3xf32>) {
  scan.scan sequences(%x = %xs : tensor<2x3xf32>) {
    scan.yield
  }
  return
}

// scan.grad: the gradient of @cost with respect to its arguments 1 and 2.
// CHECK-LABEL: func.func @grad_request
//       CHECK:   %{{.*}}:2 = scan.grad @cost(%{{.*}}, %{{.*}}, %{{.*}}) wrt [1, 2] : (tensor<5x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<4x4xf32>)
func.func @cost(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}
func.func @grad_request(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<4x4xf32>) {
  %dh0, %dW = scan.grad @cost(%x, %h0, %W) wrt [1, 2]
      : (tensor<5x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>)
      -> (tensor<2x4xf32>, tensor<4x4xf32>)
  return %dh0, %dW : tensor<2x4xf32>, tensor<4x4xf32>
}

// scan.grad of a function returning a rank-0 tensor, w.r.t. a scalar.
// CHECK-LABEL: func.func @grad_rank0_cost
//       CHECK:   scan.grad @cost0(%{{.*}}) wrt [0] : (f64) -> f64
func.func @cost0(%a: f64) -> tensor<f64> {
  %t = tensor.from_elements %a : tensor<f64>
  return %t : tensor<f64>
}
func.func @grad_rank0_cost(%a: f64) -> f64 {
  %g = scan.grad @cost0(%a) wrt [0] : (f64) -> f64
  return %g : f64
}

// The second example of scan.scan's description: `reverse` before
// `length(N)`, a loop without sequences that stacks its carry.
// CHECK-LABEL: func.func @reverse_with_length
//       CHECK:   scan.scan reverse length(5) carries(%{{.*}} = %{{.*}} : tensor<4xf32>) -> (tensor<4xf32>, tensor<5x4xf32>)
func.func @reverse_with_length(%g0: tensor<4xf32>, %decay: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<5x4xf32>) {
  %g, %gs = scan.scan reverse length(5) carries(%acc = %g0 : tensor<4xf32>)
                      -> (tensor<4xf32>, tensor<5x4xf32>) {
    %next = arith.mulf %acc, %decay : tensor<4xf32>
    scan.yield %next, %acc : tensor<4xf32>, tensor<4xf32>
  }
  return %g, %gs : tensor<4xf32>, tensor<5x4xf32>
}

// scan.stop_gradient on a tensor and on a scalar.
// CHECK-LABEL: func.func @stop_gradient
//       CHECK:   %[[T:.+]] = scan.stop_gradient %{{.+}} : tensor<4x8xf32>
//       CHECK:   %[[S:.+]] = scan.stop_gradient %{{.+}} : f32
//       CHECK:   return %[[T]], %[[S]]
func.func @stop_gradient(%x: tensor<4x8xf32>, %s: f32) -> (tensor<4x8xf32>, f32) {
  %t = scan.stop_gradient %x : tensor<4x8xf32>
  %u = scan.stop_gradient %s : f32
  return %t, %u : tensor<4x8xf32>, f32
}

// scan.vjp: the results of the callee, then one gradient per 'wrt' index.
// CHECK-LABEL: func.func @vjp_states
//       CHECK:   %{{.+}}:3 = scan.vjp @two_results(%{{.+}}, %{{.+}}) cotangents(%{{.+}}, %{{.+}}) wrt [1] : (tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, f32) -> (tensor<4xf32>, f32, tensor<4x4xf32>)
func.func @two_results(%x: tensor<4xf32>, %W: tensor<4x4xf32>) -> (tensor<4xf32>, f32) {
  %c = arith.constant 1.0 : f32
  return %x, %c : tensor<4xf32>, f32
}
func.func @vjp_states(%x: tensor<4xf32>, %W: tensor<4x4xf32>, %dy: tensor<4xf32>, %ds: f32) -> tensor<4x4xf32> {
  %y, %s, %dW = scan.vjp @two_results(%x, %W) cotangents(%dy, %ds) wrt [1]
      : (tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, f32) -> (tensor<4xf32>, f32, tensor<4x4xf32>)
  return %dW : tensor<4x4xf32>
}
