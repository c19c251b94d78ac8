// Found by scripts/difftest.py (seed 9): two arguments of one type that the
// cost never reads have zero gradients, which CSE merges into one tensor that
// the gradient function returns twice. The CPU lowering crashed in
// buffer-results-to-out-params; each result now gets its own buffer.
// RUN: scan-run %s --entry=grad --compare=plain,optimized --check-grad \
// RUN:   --random-scale=0.5 --rtol=1e-9 --atol=1e-11 --warmup=0 --repeat=1 | FileCheck %s
// CHECK: check-grad plain: d@cost/darg0 f64[3x2x4]: {{.*}}: ok
// CHECK: check-grad plain: d@cost/darg3 f64[3x2x4]: max |g - fd| 0, {{.*}}: ok
// CHECK: check-grad plain: d@cost/darg4 f64[3x2x4]: max |g - fd| 0, {{.*}}: ok
// CHECK: check-grad optimized: d@cost/darg4 f64[3x2x4]: max |g - fd| 0, {{.*}}: ok

func.func @cost(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %W: tensor<4x4xf64>,
                %u: tensor<3x2x4xf64>, %v: tensor<3x2x4xf64>) -> f64 {
  %c0 = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x4xf64>
  %z = linalg.fill ins(%c0 : f64) outs(%e : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf64>) sequences(%xt = %x : tensor<3x2x4xf64>)
      -> tensor<2x4xf64> {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf64>, tensor<4x4xf64>) outs(%z : tensor<2x4xf64>) -> tensor<2x4xf64>
    %a = arith.addf %xt, %hw : tensor<2x4xf64>
    %hn = math.tanh %a : tensor<2x4xf64>
    scan.yield %hn : tensor<2x4xf64>
  }
  %se = tensor.empty() : tensor<f64>
  %s0 = linalg.fill ins(%c0 : f64) outs(%se : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%hT : tensor<2x4xf64>) outs(%s0 : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64
    }
  %r = tensor.extract %s[] : tensor<f64>
  return %r : f64
}

func.func @grad(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %W: tensor<4x4xf64>,
                %u: tensor<3x2x4xf64>, %v: tensor<3x2x4xf64>)
    -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>) {
  %g:5 = scan.grad @cost(%x, %h0, %W, %u, %v) wrt [0, 1, 2, 3, 4]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>)
      -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>)
  return %g#0, %g#1, %g#2, %g#3, %g#4
      : tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>
}
