// scan.vjp of tensor-valued functions, f64, with random cotangents (the
// entry's inputs): scan-run --check-grad compares the gradients with
// central finite differences of <cotangents, f(x)>, plain and optimised.
//
// RUN: scan-run %s --entry=states_vjp --check-grad --compare=plain,optimized \
// RUN:   --random-scale=1,0.5,0.5,1,1 | FileCheck %s --check-prefix=STATES
// STATES-COUNT-2: check-grad plain: d@_scan_run_vjp_cost_states/darg{{[02]}} {{.*}}: ok
// STATES-COUNT-2: check-grad optimized: d@_scan_run_vjp_cost_states/darg{{[02]}} {{.*}}: ok
//
// RUN: scan-run %s --entry=mixed_vjp --check-grad --random-scale=1 \
// RUN:   | FileCheck %s --check-prefix=MIXED
// MIXED: check-grad plain: d@_scan_run_vjp_cost_mixed/darg0 {{.*}}: ok
// MIXED: check-grad plain: d@_scan_run_vjp_cost_mixed/darg1 {{.*}}: ok

// The hidden states of an RNN, all of them and the last one.
func.func @states(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %W: tensor<4x4xf64>) -> (tensor<3x2x4xf64>, tensor<2x4xf64>) {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<2x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf64>) sequences(%xt = %x : tensor<3x2x4xf64>) -> (tensor<2x4xf64>, tensor<3x2x4xf64>) {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf64>, tensor<4x4xf64>) outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %pre = arith.addf %xt, %hW : tensor<2x4xf64>
    %hn = math.tanh %pre : tensor<2x4xf64>
    scan.yield %hn, %hn : tensor<2x4xf64>, tensor<2x4xf64>
  }
  return %hs, %hT : tensor<3x2x4xf64>, tensor<2x4xf64>
}
func.func @states_vjp(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %W: tensor<4x4xf64>, %dhs: tensor<3x2x4xf64>, %dhT: tensor<2x4xf64>) -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<3x2x4xf64>, tensor<4x4xf64>) {
  %hs, %hT, %dx, %dW = scan.vjp @states(%x, %h0, %W) cotangents(%dhs, %dhT) wrt [0, 2]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>)
      -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<3x2x4xf64>, tensor<4x4xf64>)
  return %hs, %hT, %dx, %dW : tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<3x2x4xf64>, tensor<4x4xf64>
}

// A tensor and a scalar result, and a result returned twice.
func.func @mixed(%a: tensor<5xf64>, %s: f64) -> (tensor<5xf64>, f64, tensor<5xf64>) {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<5xf64>
  %sb = linalg.fill ins(%s : f64) outs(%e : tensor<5xf64>) -> tensor<5xf64>
  %p = arith.mulf %a, %sb : tensor<5xf64>
  %t = math.tanh %p : tensor<5xf64>
  %ie = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%ie : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%t : tensor<5xf64>) outs(%i : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) { %x = arith.addf %in, %acc : f64
      linalg.yield %x : f64 }
  %c = tensor.extract %sum[] : tensor<f64>
  %cs = arith.mulf %c, %s : f64
  return %t, %cs, %t : tensor<5xf64>, f64, tensor<5xf64>
}
func.func @mixed_vjp(%a: tensor<5xf64>, %s: f64, %dt: tensor<5xf64>, %dc: f64, %dt2: tensor<5xf64>) -> (tensor<5xf64>, f64) {
  %t, %c, %t2, %da, %ds = scan.vjp @mixed(%a, %s) cotangents(%dt, %dc, %dt2) wrt [0, 1]
      : (tensor<5xf64>, f64, tensor<5xf64>, f64, tensor<5xf64>) -> (tensor<5xf64>, f64, tensor<5xf64>, tensor<5xf64>, f64)
  return %da, %ds : tensor<5xf64>, f64
}
