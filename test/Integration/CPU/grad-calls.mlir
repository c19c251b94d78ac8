// Differentiating through func.call: the cell is a function called from the
// scan body, and the cost calls a helper that itself calls a function.
// scan-differentiate inlines the calls into the generated gradient, so the
// gradients match central finite differences in f64, plain and optimised,
// and the optimised form rewrites the inlined cell like a written-out one.
//
// RUN: scan-run %s --entry=grad --check-grad --compare=plain,optimized \
// RUN:   --random-scale=1,0.5,0.5 | FileCheck %s
// CHECK: optimized vs plain: {{.*}} normwise diff {{[0-9.]+e-1[4-7]|0$}}
// CHECK: check-grad plain: d@cost/darg2 f64[3x3]: {{.*}}: ok
// CHECK: check-grad optimized: d@cost/darg2 f64[3x3]: {{.*}}: ok
//
// RUN: scan-opt %s --scan-differentiate --scan-optimize=report -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REPORT
// REPORT-LABEL: @cost_grad_2
// REPORT: scan 1 (forward, 5 steps) matmuls 1/step 1/step
// REPORT: scan 2 (reverse, 5 steps) matmuls 3/step 1/step
// REPORT: matmuls outside scans 0 1

func.func private @cell(%h: tensor<2x3xf64>, %x: tensor<2x3xf64>, %W: tensor<3x3xf64>) -> tensor<2x3xf64> {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x3xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e : tensor<2x3xf64>) -> tensor<2x3xf64>
  %m = linalg.matmul ins(%h, %W : tensor<2x3xf64>, tensor<3x3xf64>) outs(%acc : tensor<2x3xf64>) -> tensor<2x3xf64>
  %a = arith.addf %m, %x : tensor<2x3xf64>
  %t = math.tanh %a : tensor<2x3xf64>
  return %t : tensor<2x3xf64>
}

func.func private @square(%v: tensor<2x3xf64>) -> tensor<2x3xf64> {
  %s = arith.mulf %v, %v : tensor<2x3xf64>
  return %s : tensor<2x3xf64>
}

// sum(h_T^2), through a call of a call.
func.func private @sum_of_squares(%v: tensor<2x3xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %sq = func.call @square(%v) : (tensor<2x3xf64>) -> tensor<2x3xf64>
  %s0 = tensor.empty() : tensor<f64>
  %si = linalg.fill ins(%zero : f64) outs(%s0 : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%sq : tensor<2x3xf64>) outs(%si : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64
    }
  %c = tensor.extract %s[] : tensor<f64>
  return %c : f64
}

func.func @cost(%x: tensor<5x2x3xf64>, %h0: tensor<2x3xf64>, %W: tensor<3x3xf64>) -> f64 {
  %hT = scan.scan carries(%h = %h0 : tensor<2x3xf64>) sequences(%xt = %x : tensor<5x2x3xf64>) -> (tensor<2x3xf64>) {
    %t = func.call @cell(%h, %xt, %W) : (tensor<2x3xf64>, tensor<2x3xf64>, tensor<3x3xf64>) -> tensor<2x3xf64>
    scan.yield %t : tensor<2x3xf64>
  }
  %c = func.call @sum_of_squares(%hT) : (tensor<2x3xf64>) -> f64
  return %c : f64
}

func.func @grad(%x: tensor<5x2x3xf64>, %h0: tensor<2x3xf64>, %W: tensor<3x3xf64>) -> tensor<3x3xf64> {
  %dW = scan.grad @cost(%x, %h0, %W) wrt [2] : (tensor<5x2x3xf64>, tensor<2x3xf64>, tensor<3x3xf64>) -> tensor<3x3xf64>
  return %dW : tensor<3x3xf64>
}
