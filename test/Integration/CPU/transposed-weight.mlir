// An Elman RNN whose recurrent term h U^T is written with a linalg.transpose
// of U (f64): the optimised gradient, where the transpose is folded into the
// matmuls and dU is one GEMM after the loop, gives the plain gradient's
// numbers, and both agree with central finite differences.
// RUN: scan-run %s --entry=grad --random-scale=0.5 --random-seed=3 \
// RUN:   --compare=plain,optimized --rtol=1e-12 --atol=1e-14 --warmup=0 --repeat=1 | FileCheck %s
// RUN: scan-run %s --entry=grad --random-scale=0.5 --random-seed=3 --check-grad --variant=optimized
// RUN: scan-run %s --entry=grad --random-scale=0.5 --random-seed=3 --check-grad --variant=plain

// CHECK: plain
// CHECK: optimized
// CHECK: result 0: f64[4x4]
// CHECK-NEXT: optimized vs plain: max abs diff

func.func @cost(%x: tensor<6x2x4xf64>, %h0: tensor<2x4xf64>, %U: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<2x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf64>) sequences(%xt = %x : tensor<6x2x4xf64>) -> tensor<2x4xf64> {
    %te = tensor.empty() : tensor<4x4xf64>
    %Ut = linalg.transpose ins(%U : tensor<4x4xf64>) outs(%te : tensor<4x4xf64>) permutation = [1, 0]
    %hU = linalg.matmul ins(%h, %Ut : tensor<2x4xf64>, tensor<4x4xf64>) outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %pre = arith.addf %xt, %hU : tensor<2x4xf64>
    %hn = math.tanh %pre : tensor<2x4xf64>
    scan.yield %hn : tensor<2x4xf64>
  }
  %s0 = tensor.empty() : tensor<f64>
  %si = linalg.fill ins(%zero : f64) outs(%s0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<2x4xf64>) outs(%si : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %a: f64) {
      %s = arith.addf %in, %a : f64
      linalg.yield %s : f64
    }
  %c = tensor.extract %sum[] : tensor<f64>
  return %c : f64
}
func.func @grad(%x: tensor<6x2x4xf64>, %h0: tensor<2x4xf64>, %U: tensor<4x4xf64>) -> tensor<4x4xf64> {
  %dU = scan.grad @cost(%x, %h0, %U) wrt [2] : (tensor<6x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) -> tensor<4x4xf64>
  return %dU : tensor<4x4xf64>
}
