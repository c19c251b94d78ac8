// The gated RNN's gradient with the recomputed forward matmuls read from the
// forward scan gives the same numbers as the plain gradient (f64, normal
// scale), and both agree with finite differences.
// RUN: scan-run %s --entry=gru_grad --random-scale=0.5 --random-seed=7 \
// RUN:   --compare=plain,"builtin.module(scan-differentiate,func.func(scan-eliminate-recomputation),canonicalize)" \
// RUN:   --rtol=1e-12 --atol=1e-14 --warmup=0 --repeat=1 | FileCheck %s
// RUN: scan-run %s --entry=gru_grad --random-scale=0.5 --random-seed=7 --check-grad \
// RUN:   --variant="builtin.module(scan-differentiate,func.func(scan-eliminate-recomputation),canonicalize)"

// CHECK: plain
// CHECK: builtin.module(scan-differentiate,func.func(scan-eliminate-recomputation),canonicalize)
// CHECK-COUNT-3: result {{[0-9]}}:

func.func @gru_cost(%x: tensor<3x2x4xf64>, %ri: tensor<3x2x4xf64>, %zi: tensor<3x2x4xf64>,
                    %h0: tensor<2x4xf64>, %U: tensor<4x4xf64>, %V: tensor<4x4xf64>,
                    %W: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<2x4xf64>
  %empty = tensor.empty() : tensor<2x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf64>)
                  sequences(%xt = %x : tensor<3x2x4xf64>, %rit = %ri : tensor<3x2x4xf64>,
                            %zit = %zi : tensor<3x2x4xf64>) -> tensor<2x4xf64> {
    %hU = linalg.matmul ins(%h, %U : tensor<2x4xf64>, tensor<4x4xf64>) outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %ra = arith.addf %rit, %hU : tensor<2x4xf64>
    %rn = arith.negf %ra : tensor<2x4xf64>
    %re = math.exp %rn : tensor<2x4xf64>
    %rd = arith.addf %one, %re : tensor<2x4xf64>
    %r = arith.divf %one, %rd : tensor<2x4xf64>
    %hV = linalg.matmul ins(%h, %V : tensor<2x4xf64>, tensor<4x4xf64>) outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %za = arith.addf %zit, %hV : tensor<2x4xf64>
    %zn = arith.negf %za : tensor<2x4xf64>
    %ze = math.exp %zn : tensor<2x4xf64>
    %zd = arith.addf %one, %ze : tensor<2x4xf64>
    %z = arith.divf %one, %zd : tensor<2x4xf64>
    %rh = arith.mulf %r, %h : tensor<2x4xf64>
    %rhW = linalg.matmul ins(%rh, %W : tensor<2x4xf64>, tensor<4x4xf64>) outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %na = arith.addf %xt, %rhW : tensor<2x4xf64>
    %newh = math.tanh %na : tensor<2x4xf64>
    %zh = arith.mulf %z, %newh : tensor<2x4xf64>
    %omz = arith.subf %one, %z : tensor<2x4xf64>
    %keep = arith.mulf %omz, %h : tensor<2x4xf64>
    %hn = arith.addf %zh, %keep : tensor<2x4xf64>
    scan.yield %hn : tensor<2x4xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<2x4xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

func.func @gru_grad(%x: tensor<3x2x4xf64>, %ri: tensor<3x2x4xf64>, %zi: tensor<3x2x4xf64>,
                    %h0: tensor<2x4xf64>, %U: tensor<4x4xf64>, %V: tensor<4x4xf64>,
                    %W: tensor<4x4xf64>) -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>) {
  %dU, %dV, %dW = scan.grad @gru_cost(%x, %ri, %zi, %h0, %U, %V, %W) wrt [4, 5, 6]
      : (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
      -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
  return %dU, %dV, %dW : tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>
}
