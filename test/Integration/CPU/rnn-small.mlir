// A tiny Elman RNN (B = 2, T = 3, D = 4, f64) run end to end through
// scan-run with the project's lowering: the forward cost against NumPy, the
// gradients of scan.grad against a hand-written NumPy backward pass
// (Inputs/generate.py) and against central finite differences.
// optimized.test runs the optimized variant on this file.

// RUN: scan-run %s --entry=rnn_cost --variant=plain \
// RUN:   --input=%S/Inputs/rnn_x.npy --input=%S/Inputs/rnn_h0.npy --input=%S/Inputs/rnn_W.npy \
// RUN:   --expect=%S/Inputs/rnn_cost.npy --rtol=1e-12 --atol=1e-12 | FileCheck %s --check-prefix=COST
// COST: plain {{.*}} 2.48e-07 {{.*}} 1.000x
// COST: result 0: f64[] =
// COST-NEXT: plain vs {{.*}}rnn_cost.npy: max abs diff {{.*}}, 0 elements outside tolerance

// Gradients against NumPy.
// RUN: scan-run %s --entry=rnn_grad --variant=plain \
// RUN:   --input=%S/Inputs/rnn_x.npy --input=%S/Inputs/rnn_h0.npy --input=%S/Inputs/rnn_W.npy \
// RUN:   --expect=%S/Inputs/rnn_dx.npy --expect=%S/Inputs/rnn_dh0.npy --expect=%S/Inputs/rnn_dW.npy \
// RUN:   --rtol=1e-10 --atol=1e-12 | FileCheck %s --check-prefix=GRAD
// GRAD: result 0: f64[3x2x4]
// GRAD-NEXT: plain vs {{.*}}rnn_dx.npy: max abs diff {{.*}}, 0 elements outside tolerance
// GRAD: result 1: f64[2x4]
// GRAD-NEXT: plain vs {{.*}}rnn_dh0.npy: max abs diff {{.*}}, 0 elements outside tolerance
// GRAD: result 2: f64[4x4]
// GRAD-NEXT: plain vs {{.*}}rnn_dW.npy: max abs diff {{.*}}, 0 elements outside tolerance

// Gradients against finite differences, on random inputs at scale 1.
// RUN: scan-run %s --entry=rnn_grad --check-grad --random-scale=1 \
// RUN:   | FileCheck %s --check-prefix=FD
// FD: check-grad plain: d@rnn_cost/darg0 f64[3x2x4]: {{.*}} over 24 elements < 1e-06: ok
// FD: check-grad plain: d@rnn_cost/darg1 f64[2x4]: {{.*}} over 8 elements < 1e-06: ok
// FD: check-grad plain: d@rnn_cost/darg2 f64[4x4]: {{.*}} over 16 elements < 1e-06: ok

// An impossible tolerance makes the same check fail.
// RUN: not scan-run %s --entry=rnn_grad --check-grad --random-scale=1 --fd-rtol=1e-300 2>&1 \
// RUN:   | FileCheck %s --check-prefix=STRICT
// STRICT: check-grad plain: d@rnn_cost/darg0 f64[3x2x4]: {{.*}}: FAILED
// STRICT: scan-run: error: gradient w.r.t. argument 0 of @rnn_cost (variant 'plain') disagrees with finite differences

// The entry may compute the point it differentiates at (here W is scaled
// first) and return more than the gradients: the finite differences are taken
// at the scaled W and compared with result 1.
// RUN: scan-run %s --entry=rnn_grad_scaled --check-grad --random-scale=1 \
// RUN:   | FileCheck %s --check-prefix=SCALED
// SCALED: check-grad plain: d@rnn_cost/darg2 f64[4x4]: {{.*}}: ok

// The entry must return the results of its scan.grad as they are.
// RUN: not scan-run %s --entry=rnn_grad_scaled_twice --check-grad 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOT-RETURNED
// NOT-RETURNED: scan-run: error: @rnn_grad_scaled_twice must return every result of its scan.grad

func.func @rnn_cost(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                    %W: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<2x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf64>)
                  sequences(%xt = %x : tensor<3x2x4xf64>)
                  -> tensor<2x4xf64> {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %pre = arith.addf %xt, %hW : tensor<2x4xf64>
    %hn = math.tanh %pre : tensor<2x4xf64>
    scan.yield %hn : tensor<2x4xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<2x4xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %a: f64) {
      %s = arith.addf %in, %a : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

func.func @rnn_grad(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %W: tensor<4x4xf64>)
    -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) {
  %dx, %dh0, %dW = scan.grad @rnn_cost(%x, %h0, %W) wrt [0, 1, 2]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>)
      -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>)
  return %dx, %dh0, %dW : tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>
}

func.func @rnn_grad_scaled(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %W: tensor<4x4xf64>)
    -> (f64, tensor<4x4xf64>) {
  %half = arith.constant dense<0.5> : tensor<4x4xf64>
  %Ws = arith.mulf %W, %half : tensor<4x4xf64>
  %dW = scan.grad @rnn_cost(%x, %h0, %Ws) wrt [2]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) -> tensor<4x4xf64>
  %c = func.call @rnn_cost(%x, %h0, %Ws)
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) -> f64
  return %c, %dW : f64, tensor<4x4xf64>
}

// Returns a multiple of the gradient: not something --check-grad can check.
func.func @rnn_grad_scaled_twice(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %W: tensor<4x4xf64>)
    -> tensor<4x4xf64> {
  %two = arith.constant dense<2.0> : tensor<4x4xf64>
  %W2 = arith.mulf %W, %two : tensor<4x4xf64>
  %dW = scan.grad @rnn_cost(%x, %h0, %W2) wrt [2]
      : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) -> tensor<4x4xf64>
  %dWs = arith.mulf %dW, %two : tensor<4x4xf64>
  return %dWs : tensor<4x4xf64>
}
