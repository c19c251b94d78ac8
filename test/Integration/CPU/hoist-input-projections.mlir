// scan-hoist-input-projections keeps the numbers: every entry runs without
// the pass and with it on the same random normal inputs (scale 1, f64), and
// the results must agree to rounding. The remarks prove that each
// projection was hoisted, so the comparison is not vacuous.

// DEFINE: %{compare} = --compare='none,builtin.module(func.func(scan-hoist-input-projections))' \
// DEFINE:   --random-scale=1 --random-seed=11 --rtol=1e-10 --atol=1e-12 --warmup=0 --repeat=1
// RUN: scan-opt %s --scan-hoist-input-projections --verify-diagnostics -o /dev/null
// RUN: scan-run %s --entry=rnn_forward %{compare} | FileCheck %s --check-prefix=RNN
// RUN: scan-run %s --entry=gates_reverse %{compare} | FileCheck %s --check-prefix=GATES

// An Elman RNN with an input projection (T = 6, B = 3, E = 4, D = 5),
// returning the last and all hidden states.
// RNN: result 0: f64[3x5]
// RNN-NEXT: vs none: max abs diff
// RNN: result 1: f64[6x3x5]
// RNN-NEXT: vs none: max abs diff
func.func @rnn_forward(%x: tensor<6x3x4xf64>, %h0: tensor<3x5xf64>, %Win: tensor<4x5xf64>,
                       %U: tensor<5x5xf64>) -> (tensor<3x5xf64>, tensor<6x3x5xf64>) {
  %c0 = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<3x5xf64>
  %zero = linalg.fill ins(%c0 : f64) outs(%empty : tensor<3x5xf64>) -> tensor<3x5xf64>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<3x5xf64>)
      sequences(%xt = %x : tensor<6x3x4xf64>) -> (tensor<3x5xf64>, tensor<6x3x5xf64>) {
    // expected-remark @below {{hoisted input projection: 6 x (3x4x5) -> 1 x (18x4x5)}}
    %xw = linalg.matmul ins(%xt, %Win : tensor<3x4xf64>, tensor<4x5xf64>)
                        outs(%zero : tensor<3x5xf64>) -> tensor<3x5xf64>
    %hu = linalg.matmul ins(%h, %U : tensor<3x5xf64>, tensor<5x5xf64>)
                        outs(%zero : tensor<3x5xf64>) -> tensor<3x5xf64>
    %pre = arith.addf %xw, %hu : tensor<3x5xf64>
    %hn = math.tanh %pre : tensor<3x5xf64>
    scan.yield %hn, %hn : tensor<3x5xf64>, tensor<3x5xf64>
  }
  return %hT, %hs : tensor<3x5xf64>, tensor<6x3x5xf64>
}

// A reverse scan with two projections of one input: one with a transposed
// weight, one accumulating into an invariant bias.
// GATES: result 0: f64[3x5]
// GATES-NEXT: vs none: max abs diff
// GATES: result 1: f64[6x3x5]
// GATES-NEXT: vs none: max abs diff
func.func @gates_reverse(%x: tensor<6x3x4xf64>, %Wr: tensor<5x4xf64>, %Wz: tensor<4x5xf64>,
                         %bias: tensor<3x5xf64>, %h0: tensor<3x5xf64>) -> (tensor<3x5xf64>, tensor<6x3x5xf64>) {
  %zero = arith.constant dense<0.0> : tensor<3x5xf64>
  %hT, %hs = scan.scan reverse carries(%h = %h0 : tensor<3x5xf64>)
      sequences(%xt = %x : tensor<6x3x4xf64>) -> (tensor<3x5xf64>, tensor<6x3x5xf64>) {
    // expected-remark @below {{hoisted input projection: 6 x (3x4x5) -> 1 x (18x4x5)}}
    %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
                       ins(%xt, %Wr : tensor<3x4xf64>, tensor<5x4xf64>)
                       outs(%zero : tensor<3x5xf64>) -> tensor<3x5xf64>
    // expected-remark @below {{hoisted input projection: 6 x (3x4x5) -> 1 x (18x4x5)}}
    %z = linalg.matmul ins(%xt, %Wz : tensor<3x4xf64>, tensor<4x5xf64>)
                       outs(%bias : tensor<3x5xf64>) -> tensor<3x5xf64>
    %rh = arith.mulf %r, %h : tensor<3x5xf64>
    %t = math.tanh %z : tensor<3x5xf64>
    %hn = arith.addf %rh, %t : tensor<3x5xf64>
    scan.yield %hn, %r : tensor<3x5xf64>, tensor<3x5xf64>
  }
  return %hT, %hs : tensor<3x5xf64>, tensor<6x3x5xf64>
}
