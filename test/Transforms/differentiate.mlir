// RUN: scan-opt %s --split-input-file --scan-differentiate | FileCheck %s

// Simple RNN, gradient w.r.t. the captured weight W: the forward scan also
// stacks the carry h (at the start of each step); the backward scan runs in
// reverse, reads the stacked carries and x, carries dh and dW, and updates dW
// as h_t^T dpre_t accumulated into the dW carry through outs.
// CHECK-DAG:   #[[$LT:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG:   #[[$RN:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG:   #[[$RT:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG:   #[[$LN:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[$O:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func private @rnn_grad_2(
//  CHECK-SAME:     %[[X:[^:]+]]: tensor<3x2x4xf32>, %[[H0:[^:]+]]: tensor<2x4xf32>, %[[W:[^:]+]]: tensor<4x4xf32>) -> tensor<4x4xf32>
//       CHECK:   %[[FWD:.+]]:2 = scan.scan carries(%[[H:.+]] = %[[H0]] : tensor<2x4xf32>) sequences(%{{.+}} = %[[X]] : tensor<3x2x4xf32>) -> (tensor<2x4xf32>, tensor<3x2x4xf32>)
//       CHECK:     linalg.matmul ins(%[[H]], %[[W]]
//       CHECK:     scan.yield %{{.+}}, %[[H]] : tensor<2x4xf32>, tensor<2x4xf32>
//       CHECK:   %[[DH0:.+]] = linalg.broadcast
//       CHECK:   %[[DW0:.+]] = linalg.fill {{.*}} -> tensor<4x4xf32>
//       CHECK:   %[[BWD:.+]]:2 = scan.scan reverse carries(%[[DH:.+]] = %[[DH0]] : tensor<2x4xf32>, %[[DW:.+]] = %[[DW0]] : tensor<4x4xf32>) sequences(%[[HT:.+]] = %[[FWD]]#1 : tensor<3x2x4xf32>, %[[XT:.+]] = %[[X]] : tensor<3x2x4xf32>) -> (tensor<2x4xf32>, tensor<4x4xf32>)
//       CHECK:     linalg.matmul ins(%[[HT]], %[[W]]
//       CHECK:     %[[PRE:.+]] = arith.addf %[[XT]]
//       CHECK:     %[[Y:.+]] = math.tanh %[[PRE]]
//       CHECK:     %[[YY:.+]] = arith.mulf %[[Y]], %[[Y]]
//       CHECK:     %[[SLOPE:.+]] = arith.subf %{{.+}}, %[[YY]]
//       CHECK:     %[[DPRE:.+]] = arith.mulf %[[DH]], %[[SLOPE]]
//       CHECK:     %[[DHN:.+]] = linalg.matmul indexing_maps = [#[[$LN]], #[[$RT]], #[[$O]]] ins(%[[DPRE]], %[[W]] : {{.*}}) outs(%{{.+}} : tensor<2x4xf32>)
//       CHECK:     %[[DWN:.+]] = linalg.matmul indexing_maps = [#[[$LT]], #[[$RN]], #[[$O]]] ins(%[[HT]], %[[DPRE]] : {{.*}}) outs(%[[DW]] : tensor<4x4xf32>)
//       CHECK:     scan.yield %[[DHN]], %[[DWN]] : tensor<2x4xf32>, tensor<4x4xf32>
//       CHECK:   return %[[BWD]]#1 : tensor<4x4xf32>
// CHECK-LABEL: func.func @rnn_grad(
//   CHECK-NOT:   scan.grad
//       CHECK:   %[[G:.+]] = call @rnn_grad_2(
//       CHECK:   return %[[G]]
func.func @rnn(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
                  sequences(%xt = %x : tensor<3x2x4xf32>) -> tensor<2x4xf32> {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%acc0 : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hW : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  %s0 = tensor.empty() : tensor<f32>
  %sInit = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<2x4xf32>) outs(%sInit : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %cost = tensor.extract %sum[] : tensor<f32>
  return %cost : f32
}
func.func @rnn_grad(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %dW = scan.grad @rnn(%x, %h0, %W) wrt [2] : (tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %dW : tensor<4x4xf32>
}

// -----

// Both operands transposed through indexing_maps and a non-zero outs: the
// operand adjoints are matmuls with transposed maps into zeros, and the outs
// operand receives the result adjoint unchanged.
// CHECK-DAG:   #[[$KM:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG:   #[[$NK:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG:   #[[$MN:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func private @mm_grad_0_1_2(
//  CHECK-SAME:     %[[A:[^:]+]]: tensor<3x2xf32>, %[[B:[^:]+]]: tensor<4x3xf32>, %[[C:[^:]+]]: tensor<2x4xf32>)
//       CHECK:   linalg.matmul indexing_maps = [#[[$KM]], #[[$NK]], #[[$MN]]] ins(%[[A]], %[[B]] : {{.*}}) outs(%[[C]] : tensor<2x4xf32>)
//       CHECK:   %[[SL:.+]] = arith.subf
//       CHECK:   %[[G:.+]] = arith.mulf %{{.+}}, %[[SL]] : tensor<2x4xf32>
//       CHECK:   %[[ZA:.+]] = linalg.fill {{.*}} -> tensor<3x2xf32>
//       CHECK:   %[[DA:.+]] = linalg.matmul indexing_maps = [#[[$KM]], #[[$NK]], #[[$MN]]] ins(%[[B]], %[[G]] : {{.*}}) outs(%[[ZA]] : tensor<3x2xf32>)
//       CHECK:   %[[ZB:.+]] = linalg.fill {{.*}} -> tensor<4x3xf32>
//       CHECK:   %[[DB:.+]] = linalg.matmul indexing_maps = [#[[$KM]], #[[$NK]], #[[$MN]]] ins(%[[G]], %[[A]] : {{.*}}) outs(%[[ZB]] : tensor<4x3xf32>)
//       CHECK:   return %[[DA]], %[[DB]], %[[G]]
func.func @mm(%A: tensor<3x2xf32>, %B: tensor<4x3xf32>, %C: tensor<2x4xf32>) -> f32 {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%A, %B : tensor<3x2xf32>, tensor<4x3xf32>) outs(%C : tensor<2x4xf32>) -> tensor<2x4xf32>
  %t = math.tanh %r : tensor<2x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%t : tensor<2x4xf32>) outs(%i : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %c = tensor.extract %s[] : tensor<f32>
  return %c : f32
}
func.func @mm_grad(%A: tensor<3x2xf32>, %B: tensor<4x3xf32>, %C: tensor<2x4xf32>) -> (tensor<3x2xf32>, tensor<4x3xf32>, tensor<2x4xf32>) {
  %0:3 = scan.grad @mm(%A, %B, %C) wrt [0, 1, 2] : (tensor<3x2xf32>, tensor<4x3xf32>, tensor<2x4xf32>) -> (tensor<3x2xf32>, tensor<4x3xf32>, tensor<2x4xf32>)
  return %0#0, %0#1, %0#2 : tensor<3x2xf32>, tensor<4x3xf32>, tensor<2x4xf32>
}

// -----

// Elementwise rules on scalars.
// CHECK-LABEL: func.func private @addf_grad_0_1(
//       CHECK:   %[[ONE:.+]] = arith.constant 1.0
//       CHECK:   return %[[ONE]], %[[ONE]] : f64, f64
// CHECK-LABEL: func.func private @subf_grad_0_1(
//       CHECK:   %[[ONE:.+]] = arith.constant 1.0
//       CHECK:   %[[NEG:.+]] = arith.negf %[[ONE]]
//       CHECK:   return %[[ONE]], %[[NEG]] : f64, f64
// CHECK-LABEL: func.func private @mulf_grad_0_1(
//  CHECK-SAME:     %[[A:[^:]+]]: tensor<2x3xf32>, %[[B:[^:]+]]: tensor<2x3xf32>)
//       CHECK:   %[[G:.+]] = linalg.broadcast
//       CHECK:   %[[DA:.+]] = arith.mulf %[[G]], %[[B]]
//       CHECK:   %[[DB:.+]] = arith.mulf %[[G]], %[[A]]
//       CHECK:   return %[[DA]], %[[DB]]
// CHECK-LABEL: func.func private @divf_grad_0_1(
//  CHECK-SAME:     %[[A:[^:]+]]: f64, %[[B:[^:]+]]: f64)
//       CHECK:   %[[R:.+]] = arith.divf %[[A]], %[[B]]
//       CHECK:   %[[ONE:.+]] = arith.constant 1.0
//       CHECK:   %[[GB:.+]] = arith.divf %[[ONE]], %[[B]]
//       CHECK:   %[[S:.+]] = arith.mulf %[[GB]], %[[R]]
//       CHECK:   %[[DB:.+]] = arith.negf %[[S]]
//       CHECK:   return %[[GB]], %[[DB]] : f64, f64
// CHECK-LABEL: func.func private @negf_grad_0(
//       CHECK:   %[[ONE:.+]] = arith.constant 1.0
//       CHECK:   %[[NEG:.+]] = arith.negf %[[ONE]]
//       CHECK:   return %[[NEG]] : f64
// CHECK-LABEL: func.func private @tanh_grad_0(
//  CHECK-SAME:     %[[A:[^:]+]]: f64)
//       CHECK:   %[[Y:.+]] = math.tanh %[[A]]
//   CHECK-DAG:   %[[ONE:.+]] = arith.constant 1.0
//       CHECK:   %[[YY:.+]] = arith.mulf %[[Y]], %[[Y]]
//       CHECK:   %[[S:.+]] = arith.subf %{{.+}}, %[[YY]]
//       CHECK:   %[[D:.+]] = arith.mulf %[[ONE]], %[[S]]
//       CHECK:   return %[[D]] : f64
// CHECK-LABEL: func.func private @exp_grad_0(
//  CHECK-SAME:     %[[A:[^:]+]]: f64)
//       CHECK:   %[[Y:.+]] = math.exp %[[A]]
//       CHECK:   %[[ONE:.+]] = arith.constant 1.0
//       CHECK:   %[[D:.+]] = arith.mulf %[[ONE]], %[[Y]]
//       CHECK:   return %[[D]] : f64
// CHECK-LABEL: func.func private @log_grad_0(
//  CHECK-SAME:     %[[A:[^:]+]]: f64)
//       CHECK:   %[[ONE:.+]] = arith.constant 1.0
//       CHECK:   %[[D:.+]] = arith.divf %[[ONE]], %[[A]]
//       CHECK:   return %[[D]] : f64
func.func @addf(%a: f64, %b: f64) -> f64 {
  %r = arith.addf %a, %b : f64
  return %r : f64
}
func.func @addf_grad(%a: f64, %b: f64) -> (f64, f64) {
  %da, %db = scan.grad @addf(%a, %b) wrt [0, 1] : (f64, f64) -> (f64, f64)
  return %da, %db : f64, f64
}
func.func @subf(%a: f64, %b: f64) -> f64 {
  %r = arith.subf %a, %b : f64
  return %r : f64
}
func.func @subf_grad(%a: f64, %b: f64) -> (f64, f64) {
  %da, %db = scan.grad @subf(%a, %b) wrt [0, 1] : (f64, f64) -> (f64, f64)
  return %da, %db : f64, f64
}
func.func @mulf(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> f32 {
  %r = arith.mulf %a, %b : tensor<2x3xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%z : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%r : tensor<2x3xf32>) outs(%i : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  %c = tensor.extract %s[] : tensor<f32>
  return %c : f32
}
func.func @mulf_grad(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %da, %db = scan.grad @mulf(%a, %b) wrt [0, 1] : (tensor<2x3xf32>, tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
  return %da, %db : tensor<2x3xf32>, tensor<2x3xf32>
}
func.func @divf(%a: f64, %b: f64) -> f64 {
  %r = arith.divf %a, %b : f64
  return %r : f64
}
func.func @divf_grad(%a: f64, %b: f64) -> (f64, f64) {
  %da, %db = scan.grad @divf(%a, %b) wrt [0, 1] : (f64, f64) -> (f64, f64)
  return %da, %db : f64, f64
}
func.func @negf(%a: f64) -> f64 {
  %r = arith.negf %a : f64
  return %r : f64
}
func.func @negf_grad(%a: f64) -> f64 {
  %da = scan.grad @negf(%a) wrt [0] : (f64) -> f64
  return %da : f64
}
func.func @tanh(%a: f64) -> f64 {
  %r = math.tanh %a : f64
  return %r : f64
}
func.func @tanh_grad(%a: f64) -> f64 {
  %da = scan.grad @tanh(%a) wrt [0] : (f64) -> f64
  return %da : f64
}
func.func @exp(%a: f64) -> f64 {
  %r = math.exp %a : f64
  return %r : f64
}
func.func @exp_grad(%a: f64) -> f64 {
  %da = scan.grad @exp(%a) wrt [0] : (f64) -> f64
  return %da : f64
}
func.func @log(%a: f64) -> f64 {
  %r = math.log %a : f64
  return %r : f64
}
func.func @log_grad(%a: f64) -> f64 {
  %da = scan.grad @log(%a) wrt [0] : (f64) -> f64
  return %da : f64
}

// -----

// Slicing and concatenation: a slice's adjoint is an insertion into zeros
// (strides and rank reduction kept), an insert_slice splits its adjoint
// between source and destination, a concat's adjoint is sliced back.
// CHECK-LABEL: func.func private @slices_grad_0_1(
//       CHECK:   %[[G:.+]] = linalg.broadcast ins(%{{.+}} : tensor<f32>) outs(%{{.+}} : tensor<8x6xf32>)
//       CHECK:   %[[DC:.+]] = tensor.extract_slice %[[G]][2, 0] [6, 6] [1, 1] : tensor<8x6xf32> to tensor<6x6xf32>
//       CHECK:   %[[Z:.+]] = linalg.fill {{.*}} -> tensor<6x6xf32>
//       CHECK:   %[[DY:.+]] = tensor.insert_slice %[[Z]] into %[[G]][2, 0] [6, 6] [1, 1]
//       CHECK:   %[[DA:.+]] = tensor.extract_slice %[[DC]][0, 0] [2, 6] [1, 1] : tensor<6x6xf32> to tensor<2x6xf32>
//       CHECK:   %[[DX1:.+]] = tensor.extract_slice %[[DC]][2, 0] [4, 6] [1, 1] : tensor<6x6xf32> to tensor<4x6xf32>
//       CHECK:   %[[ROW:.+]] = tensor.insert_slice %{{.+}} into %{{.+}}[3, 0] [1, 6] [1, 1] : tensor<6xf32> into tensor<4x6xf32>
//       CHECK:   %[[S1:.+]] = arith.addf %[[DX1]], %[[ROW]]
//       CHECK:   %[[STR:.+]] = tensor.insert_slice %[[DA]] into %{{.+}}[1, 0] [2, 6] [2, 1]
//       CHECK:   %[[DX:.+]] = arith.addf %[[S1]], %[[STR]]
//       CHECK:   return %[[DX]], %[[DY]]

// Layout ops: transpose goes back through the inverse permutation, broadcast
// becomes a sum, a filled scalar gets the sum of its adjoint, and an element
// extracted at indices becomes a tensor.insert into zeros.
// CHECK-LABEL: func.func private @layout_grad_0_1_2(
//  CHECK-SAME:     %[[X:[^:]+]]: tensor<2x3xf32>, %[[V:[^:]+]]: tensor<3xf32>, %[[S:[^:]+]]: f32)
//       CHECK:   %[[T:.+]] = linalg.transpose ins(%[[X]]
//       CHECK:   %[[B:.+]] = linalg.broadcast ins(%[[V]]
//       CHECK:   %[[F:.+]] = linalg.fill ins(%[[S]] : f32)
//       CHECK:   %[[G:.+]] = tensor.insert %{{.+}} into %{{.+}}[%{{.+}}, %{{.+}}] : tensor<3x2xf32>
//       CHECK:   %[[DP:.+]] = arith.mulf %[[G]], %[[F]]
//       CHECK:   %[[DF:.+]] = arith.mulf %[[G]], %{{.+}}
//       CHECK:   %[[DT:.+]] = arith.mulf %[[DP]], %[[B]]
//       CHECK:   %[[DB:.+]] = arith.mulf %[[DP]], %[[T]]
//       CHECK:   %[[SUM:.+]] = linalg.reduce ins(%[[DF]] : tensor<3x2xf32>) outs(%{{.+}} : tensor<f32>) dimensions = [0, 1]
//       CHECK:   %[[DS:.+]] = tensor.extract %[[SUM]][]
//       CHECK:   %[[DV:.+]] = linalg.reduce ins(%[[DB]] : tensor<3x2xf32>) outs(%{{.+}} : tensor<3xf32>) dimensions = [1]
//       CHECK:   %[[DX:.+]] = linalg.transpose ins(%[[DT]] : tensor<3x2xf32>) outs(%{{.+}} : tensor<2x3xf32>) permutation = [1, 0]
//       CHECK:   return %[[DX]], %[[DV]], %[[DS]]
func.func @slices(%x: tensor<4x6xf32>, %y: tensor<8x6xf32>) -> tensor<f32> {
  %a = tensor.extract_slice %x[1, 0] [2, 6] [2, 1] : tensor<4x6xf32> to tensor<2x6xf32>
  %r = tensor.extract_slice %x[3, 0] [1, 6] [1, 1] : tensor<4x6xf32> to tensor<6xf32>
  %c = tensor.concat dim(0) %a, %x : (tensor<2x6xf32>, tensor<4x6xf32>) -> tensor<6x6xf32>
  %i = tensor.insert_slice %c into %y[2, 0] [6, 6] [1, 1] : tensor<6x6xf32> into tensor<8x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%i : tensor<8x6xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  %s2 = linalg.reduce ins(%r : tensor<6xf32>) outs(%s : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %t = arith.addf %acc, %in : f32
      linalg.yield %t : f32
    }
  return %s2 : tensor<f32>
}
func.func @slices_grad(%x: tensor<4x6xf32>, %y: tensor<8x6xf32>) -> (tensor<4x6xf32>, tensor<8x6xf32>) {
  %0:2 = scan.grad @slices(%x, %y) wrt [0, 1] : (tensor<4x6xf32>, tensor<8x6xf32>) -> (tensor<4x6xf32>, tensor<8x6xf32>)
  return %0#0, %0#1 : tensor<4x6xf32>, tensor<8x6xf32>
}
func.func @layout(%x: tensor<2x3xf32>, %v: tensor<3xf32>, %s: f32) -> f32 {
  %te = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%x : tensor<2x3xf32>) outs(%te : tensor<3x2xf32>) permutation = [1, 0]
  %be = tensor.empty() : tensor<3x2xf32>
  %b = linalg.broadcast ins(%v : tensor<3xf32>) outs(%be : tensor<3x2xf32>) dimensions = [1]
  %fe = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%s : f32) outs(%fe : tensor<3x2xf32>) -> tensor<3x2xf32>
  %p = arith.mulf %t, %b : tensor<3x2xf32>
  %q = arith.mulf %p, %f : tensor<3x2xf32>
  %c1 = arith.constant 1 : index
  %e = tensor.extract %q[%c1, %c1] : tensor<3x2xf32>
  return %e : f32
}
func.func @layout_grad(%x: tensor<2x3xf32>, %v: tensor<3xf32>, %s: f32) -> (tensor<2x3xf32>, tensor<3xf32>, f32) {
  %0:3 = scan.grad @layout(%x, %v, %s) wrt [0, 1, 2] : (tensor<2x3xf32>, tensor<3xf32>, f32) -> (tensor<2x3xf32>, tensor<3xf32>, f32)
  return %0#0, %0#1, %0#2 : tensor<2x3xf32>, tensor<3xf32>, f32
}

// -----

// A reverse scan with two carries, two sequences and a per-step output. Only
// h is read by the body, so only h is stacked; the backward scan runs
// forwards, reads the output adjoints as a sequence, carries dh, dk and dW,
// and emits dx per step (y is not differentiated, so no dy). k is
// overwritten by x_t, so dk flows into dx and the next dk is zero.
// CHECK-LABEL: func.func private @reverse_two_carries_grad_0_2_3_4(
//  CHECK-SAME:     %[[X:[^:]+]]: tensor<3x2x4xf32>, %[[Y:[^:]+]]: tensor<3x2x4xf32>, %[[H0:[^:]+]]: tensor<2x4xf32>, %[[K0:[^:]+]]: tensor<2x4xf32>, %[[W:[^:]+]]: tensor<4x4xf32>)
//       CHECK:   %[[FWD:.+]]:4 = scan.scan reverse carries(%[[H:.+]] = %[[H0]] : tensor<2x4xf32>, %{{.+}} = %[[K0]] : tensor<2x4xf32>) sequences(%[[XT:.+]] = %[[X]] : tensor<3x2x4xf32>, %{{.+}} = %[[Y]] : tensor<3x2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<3x2x4xf32>)
//       CHECK:     scan.yield %{{.+}}, %[[XT]], %{{.+}}, %[[H]] :
//       CHECK:   %[[DOS:.+]] = linalg.broadcast ins(%{{.+}} : tensor<f32>) outs(%{{.+}} : tensor<3x2x4xf32>)
//       CHECK:   %[[BWD:.+]]:4 = scan.scan carries(%[[DH:.+]] = %{{.+}} : tensor<2x4xf32>, %[[DK:.+]] = %{{.+}} : tensor<2x4xf32>, %[[DW:.+]] = %{{.+}} : tensor<4x4xf32>) sequences(%[[HS:.+]] = %[[FWD]]#3 : tensor<3x2x4xf32>, %{{.+}} = %[[X]] : tensor<3x2x4xf32>, %{{.+}} = %[[Y]] : tensor<3x2x4xf32>, %{{.+}} = %[[DOS]] : tensor<3x2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>, tensor<3x2x4xf32>)
//       CHECK:     %[[DX:.+]] = arith.addf %[[DK]], %{{.+}}
//       CHECK:     %[[DWN:.+]] = linalg.matmul {{.*}} ins(%[[HS]], %{{.+}} : {{.*}}) outs(%[[DW]] : tensor<4x4xf32>)
//       CHECK:     %[[ZK:.+]] = linalg.fill {{.*}} -> tensor<2x4xf32>
//       CHECK:     scan.yield %{{.+}}, %[[ZK]], %[[DWN]], %[[DX]] :
//       CHECK:   return %[[BWD]]#3, %[[BWD]]#0, %[[BWD]]#1, %[[BWD]]#2
func.func @reverse_two_carries(%x: tensor<3x2x4xf32>, %y: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %k0: tensor<2x4xf32>, %W: tensor<4x4xf32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %kT, %os = scan.scan reverse carries(%h = %h0 : tensor<2x4xf32>, %k = %k0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<3x2x4xf32>, %yt = %y : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x2x4xf32>) {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
    %a = arith.addf %xt, %hW : tensor<2x4xf32>
    %hn = math.tanh %a : tensor<2x4xf32>
    %o = arith.mulf %hn, %yt : tensor<2x4xf32>
    scan.yield %hn, %xt, %o : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  %se = tensor.empty() : tensor<f32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<f32>) -> tensor<f32>
  %s1 = linalg.reduce ins(%os : tensor<3x2x4xf32>) outs(%s0 : tensor<f32>) dimensions = [0, 1, 2]
    (%in: f32, %acc: f32) {
      %q = arith.addf %in, %acc : f32
      linalg.yield %q : f32
    }
  %s2 = linalg.reduce ins(%kT : tensor<2x4xf32>) outs(%s1 : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %q = arith.addf %in, %acc : f32
      linalg.yield %q : f32
    }
  return %s2 : tensor<f32>
}
func.func @reverse_two_carries_grad(%x: tensor<3x2x4xf32>, %y: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %k0: tensor<2x4xf32>, %W: tensor<4x4xf32>) -> (tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>) {
  %0:4 = scan.grad @reverse_two_carries(%x, %y, %h0, %k0, %W) wrt [0, 2, 3, 4] : (tensor<3x2x4xf32>, tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>) -> (tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>)
  return %0#0, %0#1, %0#2, %0#3 : tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>
}

// -----

// Two stacked RNN layers: the second layer's backward scan emits the adjoint
// of its input sequence per step, and the first layer's backward scan reads it
// as the adjoint of its stacked output.
// CHECK-LABEL: func.func private @stacked_grad_3_4(
//       CHECK:   %[[L1:.+]]:3 = scan.scan carries
//       CHECK:   %[[L2:.+]]:2 = scan.scan carries({{.*}}) sequences(%{{.+}} = %[[L1]]#1 :
//       CHECK:   %[[B2:.+]]:3 = scan.scan reverse carries({{.*}}) sequences(%{{.+}} = %[[L2]]#1 : tensor<3x2x4xf32>, %{{.+}} = %[[L1]]#1 : tensor<3x2x4xf32>) -> (tensor<2x4xf32>, tensor<4x4xf32>, tensor<3x2x4xf32>)
//       CHECK:   %[[B1:.+]]:2 = scan.scan reverse carries({{.*}}) sequences(%{{.+}} = %[[L1]]#2 : tensor<3x2x4xf32>, %{{.+}} : tensor<3x2x4xf32>, %{{.+}} = %[[B2]]#2 : tensor<3x2x4xf32>)
//       CHECK:   return %[[B1]]#1, %[[B2]]#1
func.func @stacked(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %g0: tensor<2x4xf32>, %W1: tensor<4x4xf32>, %W2: tensor<4x4xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
    %hW = linalg.matmul ins(%h, %W1 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%xt : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hn = math.tanh %hW : tensor<2x4xf32>
    scan.yield %hn, %hn : tensor<2x4xf32>, tensor<2x4xf32>
  }
  %gT = scan.scan carries(%g = %g0 : tensor<2x4xf32>) sequences(%ht = %hs : tensor<3x2x4xf32>) -> tensor<2x4xf32> {
    %gW = linalg.matmul ins(%g, %W2 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%ht : tensor<2x4xf32>) -> tensor<2x4xf32>
    %gn = math.tanh %gW : tensor<2x4xf32>
    scan.yield %gn : tensor<2x4xf32>
  }
  %se = tensor.empty() : tensor<f32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<f32>) -> tensor<f32>
  %s1 = linalg.reduce ins(%gT : tensor<2x4xf32>) outs(%s0 : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %q = arith.addf %in, %acc : f32
      linalg.yield %q : f32
    }
  %r = tensor.extract %s1[] : tensor<f32>
  return %r : f32
}
func.func @stacked_grad(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %g0: tensor<2x4xf32>, %W1: tensor<4x4xf32>, %W2: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %0:2 = scan.grad @stacked(%x, %h0, %g0, %W1, %W2) wrt [3, 4] : (tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>)
  return %0#0, %0#1 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A scan body without matmul: the gradient of the captured k is accumulated
// in its carry with arith.addf.
// CHECK-LABEL: func.func private @no_matmul_grad_0_2(
//       CHECK:   %[[B:.+]]:3 = scan.scan reverse carries(%[[DC:.+]] = %{{.+}} : tensor<2x4xf32>, %[[DK:.+]] = %{{.+}} : tensor<2x4xf32>)
//       CHECK:     %[[T:.+]] = math.tanh
//       CHECK:     %[[C:.+]] = arith.mulf %[[DC]], %[[T]]
//       CHECK:     %[[DKN:.+]] = arith.addf %[[DK]], %[[C]]
//       CHECK:     scan.yield %[[DC]], %[[DKN]], %{{.+}} :
//       CHECK:   return %[[B]]#2, %[[B]]#1
func.func @no_matmul(%x: tensor<3x2x4xf32>, %c0: tensor<2x4xf32>, %k: tensor<2x4xf32>) -> f32 {
  %cT = scan.scan carries(%c = %c0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>) -> tensor<2x4xf32> {
    %t = math.tanh %xt : tensor<2x4xf32>
    %tk = arith.mulf %t, %k : tensor<2x4xf32>
    %cn = arith.addf %c, %tk : tensor<2x4xf32>
    scan.yield %cn : tensor<2x4xf32>
  }
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<f32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<f32>) -> tensor<f32>
  %s1 = linalg.reduce ins(%cT : tensor<2x4xf32>) outs(%s0 : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %q = arith.addf %in, %acc : f32
      linalg.yield %q : f32
    }
  %r = tensor.extract %s1[] : tensor<f32>
  return %r : f32
}
func.func @no_matmul_grad(%x: tensor<3x2x4xf32>, %c0: tensor<2x4xf32>, %k: tensor<2x4xf32>) -> (tensor<3x2x4xf32>, tensor<2x4xf32>) {
  %0:2 = scan.grad @no_matmul(%x, %c0, %k) wrt [0, 2] : (tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) -> (tensor<3x2x4xf32>, tensor<2x4xf32>)
  return %0#0, %0#1 : tensor<3x2x4xf32>, tensor<2x4xf32>
}

// -----

// An op without a rule that does not depend on the differentiated argument
// is left alone; two scan.grad with the same callee and wrt share one
// function; a cost that does not depend on the argument has zero gradient.
// CHECK-LABEL: func.func private @negative_atan_off_path_grad_0(
//       CHECK:   %[[S:.+]] = math.atan
//       CHECK:   %[[D:.+]] = arith.mulf %{{.+}}, %[[S]]
//       CHECK:   return %[[D]] : f64
// CHECK-LABEL: func.func private @constant_grad_0(
//       CHECK:   %[[Z:.+]] = arith.constant 0.0
//       CHECK:   return %[[Z]] : f64
// CHECK-LABEL: func.func @callers(
//       CHECK:   call @negative_atan_off_path_grad_0(
//       CHECK:   call @negative_atan_off_path_grad_0(
//       CHECK:   call @constant_grad_0(
//   CHECK-NOT:   scan.grad
func.func @negative_atan_off_path(%a: f64, %b: f64) -> f64 {
  %s = math.atan %b : f64
  %r = arith.mulf %a, %s : f64
  return %r : f64
}
func.func @constant(%a: f64) -> f64 {
  %c = arith.constant 2.0 : f64
  return %c : f64
}
func.func @callers(%a: f64, %b: f64) -> (f64, f64, f64) {
  %g0 = scan.grad @negative_atan_off_path(%a, %b) wrt [0] : (f64, f64) -> f64
  %g1 = scan.grad @negative_atan_off_path(%b, %a) wrt [0] : (f64, f64) -> f64
  %g2 = scan.grad @constant(%a) wrt [0] : (f64) -> f64
  return %g0, %g1, %g2 : f64, f64, f64
}
