// RUN: scan-opt %s --split-input-file --scan-eliminate-recomputation | FileCheck %s
// RUN: scan-opt %s --split-input-file --scan-eliminate-recomputation="store-elementwise=true" | FileCheck %s --check-prefix=ALL

#mapAT = affine_map<(m, n, k) -> (k, m)>
#mapB = affine_map<(m, n, k) -> (k, n)>
#mapC = affine_map<(m, n, k) -> (m, n)>
#mapBT = affine_map<(m, n, k) -> (n, k)>
#mapA = affine_map<(m, n, k) -> (m, k)>

// The plain gradient of an Elman RNN: the backward scan recomputes
// y = tanh(x_t + h_{t-1} W) from the stored h_{t-1}. The forward scan now
// stacks the product h_{t-1} W, the backward scan reads it, and only the
// cheap tanh is recomputed: 2 matmuls per backward step instead of 3.
// CHECK-LABEL: func.func @stores_recomputed_matmul_value
//       CHECK:   %[[F:.*]]:3 = scan.scan carries(%[[H:.*]] = %{{.*}} : tensor<2x4xf32>) sequences(%{{.*}} = %{{.*}} : tensor<3x2x4xf32>) -> (tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<3x2x4xf32>) {
//       CHECK:     %[[HW:.*]] = linalg.matmul
//       CHECK:     scan.yield %{{.*}}, %[[H]], %[[HW]] :
//       CHECK:   scan.scan reverse {{.*}} sequences(%{{.*}} = %[[F]]#1 : tensor<3x2x4xf32>, %[[XT:.*]] = %{{.*}} : tensor<3x2x4xf32>, %[[HWS:.*]] = %[[F]]#2 : tensor<3x2x4xf32>)
//   CHECK-NOT:     linalg.matmul ins
//       CHECK:     %[[PRE:.*]] = arith.addf %[[XT]], %[[HWS]]
//       CHECK:     math.tanh %[[PRE]]
//   CHECK-COUNT-2:     linalg.matmul indexing_maps
//   CHECK-NOT:     linalg.matmul
//       CHECK:     scan.yield
// ALL-LABEL: func.func @stores_recomputed_matmul_value
//       ALL:   %[[F:.*]]:3 = scan.scan
//       ALL:     %[[Y:.*]] = math.tanh
//       ALL:     scan.yield %[[Y]], %{{.*}}, %[[Y]] :
//       ALL:   scan.scan reverse
//   ALL-NOT:     math.tanh
//       ALL:     scan.yield
func.func @stores_recomputed_matmul_value(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>)
    -> tensor<4x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %ew = tensor.empty() : tensor<4x4xf32>
  %dW0 = linalg.fill ins(%c0 : f32) outs(%ew : tensor<4x4xf32>) -> tensor<4x4xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %y = math.tanh %pre : tensor<2x4xf32>
    scan.yield %y, %h : tensor<2x4xf32>, tensor<2x4xf32>
  }
  %dh, %dW = scan.scan reverse carries(%dh = %one : tensor<2x4xf32>, %dW = %dW0 : tensor<4x4xf32>)
      sequences(%hp = %hs : tensor<3x2x4xf32>, %xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<4x4xf32>) {
    %hw = linalg.matmul ins(%hp, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %y = math.tanh %pre : tensor<2x4xf32>
    %yy = arith.mulf %y, %y : tensor<2x4xf32>
    %d = arith.subf %one, %yy : tensor<2x4xf32>
    %g = arith.mulf %dh, %d : tensor<2x4xf32>
    %dWn = linalg.matmul indexing_maps = [#mapAT, #mapB, #mapC]
        ins(%hp, %g : tensor<2x4xf32>, tensor<2x4xf32>) outs(%dW : tensor<4x4xf32>) -> tensor<4x4xf32>
    %dhn = linalg.matmul indexing_maps = [#mapA, #mapBT, #mapC]
        ins(%g, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %dhn, %dWn : tensor<2x4xf32>, tensor<4x4xf32>
  }
  return %dW : tensor<4x4xf32>
}

// -----

// The forward scan already stacks the product (its per-step output #1): the
// backward scan reads that output, and no new output is added.
// CHECK-LABEL: func.func @reuses_existing_output
//       CHECK:   %[[F:.*]]:3 = scan.scan carries({{.*}}) sequences({{.*}}) -> (tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<3x2x4xf32>) {
//       CHECK:   scan.scan reverse {{.*}} sequences(%{{.*}} = %[[F]]#1 : tensor<3x2x4xf32>, %{{.*}} = %{{.*}} : tensor<3x2x4xf32>, %{{.*}} = %[[F]]#2 : tensor<3x2x4xf32>)
//   CHECK-NOT:     linalg.matmul
//       CHECK:     scan.yield
func.func @reuses_existing_output(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %hs, %ys = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<3x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %y = math.tanh %pre : tensor<2x4xf32>
    scan.yield %y, %h, %hw : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  %d, %ds = scan.scan reverse carries(%dh = %h0 : tensor<2x4xf32>)
      sequences(%hp = %hs : tensor<3x2x4xf32>, %xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
    %hw = linalg.matmul ins(%hp, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %y = math.tanh %pre : tensor<2x4xf32>
    %n = arith.mulf %dh, %y : tensor<2x4xf32>
    scan.yield %n, %n : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %d, %ys : tensor<2x4xf32>, tensor<3x2x4xf32>
}

// -----

// Two products: one the forward scan already stacks (output #2), one it
// must stack as a new output #3. Both are read by the backward scan from the
// rebuilt forward scan.
// CHECK-LABEL: func.func @reuses_and_adds_outputs
//       CHECK:   %[[F:.*]]:4 = scan.scan carries({{.*}}) sequences({{.*}}) -> (tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<3x2x4xf32>, tensor<3x2x4xf32>) {
//       CHECK:   scan.scan reverse {{.*}} sequences(%{{.*}} = %[[F]]#1 : tensor<3x2x4xf32>, %{{.*}} = %{{.*}} : tensor<3x2x4xf32>, %{{.*}} = %[[F]]#2 : tensor<3x2x4xf32>, %{{.*}} = %[[F]]#3 : tensor<3x2x4xf32>)
//   CHECK-NOT:     linalg.matmul
//       CHECK:     scan.yield
//       CHECK:   return %{{.*}}, %[[F]]#2
func.func @reuses_and_adds_outputs(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>, %U: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %hs, %ws = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<3x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hu = linalg.matmul ins(%h, %U : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %pre2 = arith.addf %pre, %hu : tensor<2x4xf32>
    %y = math.tanh %pre2 : tensor<2x4xf32>
    scan.yield %y, %h, %hw : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  %d, %ds = scan.scan reverse carries(%dh = %h0 : tensor<2x4xf32>)
      sequences(%hp = %hs : tensor<3x2x4xf32>, %xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
    %hw = linalg.matmul ins(%hp, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %hu = linalg.matmul ins(%hp, %U : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %pre2 = arith.addf %pre, %hu : tensor<2x4xf32>
    %y = math.tanh %pre2 : tensor<2x4xf32>
    %n = arith.mulf %dh, %y : tensor<2x4xf32>
    scan.yield %n, %n : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %d, %ws : tensor<2x4xf32>, tensor<3x2x4xf32>
}

// -----

// Only elementwise work is recomputed (1 - h*h from the stored h): by default
// it stays, with a remark; store-elementwise=true stores it.
// CHECK-LABEL: func.func @negative_elementwise_only
//       CHECK:   scan.scan carries({{.*}}) sequences({{.*}}) -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
//       CHECK:   scan.scan reverse
//       CHECK:     arith.mulf
//       CHECK:     arith.subf
// ALL-LABEL: func.func @negative_elementwise_only
//       ALL:   scan.scan carries({{.*}}) sequences({{.*}}) -> (tensor<2x4xf32>, tensor<3x2x4xf32>, tensor<3x2x4xf32>) {
//       ALL:   scan.scan reverse
//   ALL-NOT:     arith.subf
func.func @negative_elementwise_only(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %one = arith.constant dense<1.0> : tensor<2x4xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
    %hh = arith.mulf %h, %h : tensor<2x4xf32>
    %d = arith.subf %one, %hh : tensor<2x4xf32>
    %n = arith.addf %d, %xt : tensor<2x4xf32>
    scan.yield %n, %h : tensor<2x4xf32>, tensor<2x4xf32>
  }
  %g = scan.scan reverse carries(%dh = %one : tensor<2x4xf32>)
      sequences(%hp = %hs : tensor<3x2x4xf32>) -> tensor<2x4xf32> {
    %hh = arith.mulf %hp, %hp : tensor<2x4xf32>
    %d = arith.subf %one, %hh : tensor<2x4xf32>
    %n = arith.mulf %dh, %d : tensor<2x4xf32>
    scan.yield %n : tensor<2x4xf32>
  }
  return %g : tensor<2x4xf32>
}

// -----

// The backward scan multiplies by a different weight: nothing matches.
// CHECK-LABEL: func.func @negative_different_weight
//   CHECK:   scan.scan carries({{.*}}) sequences({{.*}}) -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
//   CHECK:   scan.scan reverse
//   CHECK:     linalg.matmul
//   CHECK:     math.tanh
func.func @negative_different_weight(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>,
                                     %V: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %y = math.tanh %hw : tensor<2x4xf32>
    scan.yield %y, %h : tensor<2x4xf32>, tensor<2x4xf32>
  }
  %g = scan.scan reverse carries(%dh = %h0 : tensor<2x4xf32>)
      sequences(%hp = %hs : tensor<3x2x4xf32>) -> tensor<2x4xf32> {
    %hv = linalg.matmul ins(%hp, %V : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %y = math.tanh %hv : tensor<2x4xf32>
    %n = arith.mulf %dh, %y : tensor<2x4xf32>
    scan.yield %n : tensor<2x4xf32>
  }
  return %g : tensor<2x4xf32>
}

// -----

// The second scan reads the forward states at a different step count: no
// correspondence, nothing changes.
// CHECK-LABEL: func.func @negative_other_trip_count
//       CHECK:   scan.scan length(2)
//       CHECK:     linalg.matmul
func.func @negative_other_trip_count(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>) -> tensor<2x4xf32> {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %hw : tensor<2x4xf32>
  }
  %g = scan.scan length(2) carries(%h = %hT : tensor<2x4xf32>) -> tensor<2x4xf32> {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %hw : tensor<2x4xf32>
  }
  return %g : tensor<2x4xf32>
}
