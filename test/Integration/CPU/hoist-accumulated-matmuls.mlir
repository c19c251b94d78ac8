// scan-hoist-accumulated-matmuls keeps the numbers: every entry runs without
// the pass and with it on the same random normal inputs (scale 1, f64), and
// the results must agree to rounding. The remarks prove that each
// accumulator was hoisted, so the comparison is not vacuous.

// DEFINE: %{compare} = --compare='none,builtin.module(func.func(scan-hoist-accumulated-matmuls))' \
// DEFINE:   --random-scale=1 --random-seed=7 --rtol=1e-10 --atol=1e-12 --warmup=0 --repeat=1
// RUN: scan-opt %s --scan-hoist-accumulated-matmuls --verify-diagnostics -o /dev/null
// RUN: scan-run %s --entry=rnn_backward %{compare} | FileCheck %s --check-prefix=RNN
// RUN: scan-run %s --entry=sums_and_two_accumulators %{compare} | FileCheck %s --check-prefix=SUMS
// RUN: scan-run %s --entry=transposed_forms %{compare} | FileCheck %s --check-prefix=TRANS
// RUN: scan-run %s --entry=carry_and_output_operands %{compare} | FileCheck %s --check-prefix=REUSE

#tA = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
#tB = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
#tAB = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]

// The simple RNN forward and hand-written backward loop (T = 7, B = 3,
// D = 5): dW += h_{t-1}^T e_t, with h_{t-1} stored by the forward scan.
// RNN: result 0: f64[3x5]
// RNN-NEXT: vs none: max abs diff
// RNN: result 1: f64[5x5]
// RNN-NEXT: vs none: max abs diff
func.func @rnn_backward(%x: tensor<7x3x5xf64>, %h0: tensor<3x5xf64>, %W: tensor<5x5xf64>,
                        %dhT: tensor<3x5xf64>, %dW0: tensor<5x5xf64>) -> (tensor<3x5xf64>, tensor<5x5xf64>) {
  %c0 = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<3x5xf64>
  %zero = linalg.fill ins(%c0 : f64) outs(%empty : tensor<3x5xf64>) -> tensor<3x5xf64>
  %hT, %hprev, %hs = scan.scan carries(%h = %h0 : tensor<3x5xf64>)
      sequences(%xt = %x : tensor<7x3x5xf64>)
      -> (tensor<3x5xf64>, tensor<7x3x5xf64>, tensor<7x3x5xf64>) {
    %hw = linalg.matmul ins(%h, %W : tensor<3x5xf64>, tensor<5x5xf64>)
                        outs(%zero : tensor<3x5xf64>) -> tensor<3x5xf64>
    %pre = arith.addf %xt, %hw : tensor<3x5xf64>
    %hn = math.tanh %pre : tensor<3x5xf64>
    scan.yield %hn, %h, %hn : tensor<3x5xf64>, tensor<3x5xf64>, tensor<3x5xf64>
  }
  %one = arith.constant dense<1.0> : tensor<3x5xf64>
  // expected-remark @below {{hoisted accumulator (carry #1): 7 x (5x3x5) -> 1 x (5x21x5)}}
  %dh0, %dW = scan.scan reverse
      carries(%dh = %dhT : tensor<3x5xf64>, %acc = %dW0 : tensor<5x5xf64>)
      sequences(%ht = %hs : tensor<7x3x5xf64>, %hp = %hprev : tensor<7x3x5xf64>)
      -> (tensor<3x5xf64>, tensor<5x5xf64>) {
    %sq = arith.mulf %ht, %ht : tensor<3x5xf64>
    %d = arith.subf %one, %sq : tensor<3x5xf64>
    %e = arith.mulf %dh, %d : tensor<3x5xf64>
    %dWn = linalg.matmul indexing_maps = #tA ins(%hp, %e : tensor<3x5xf64>, tensor<3x5xf64>)
                         outs(%acc : tensor<5x5xf64>) -> tensor<5x5xf64>
    %dhn = linalg.matmul indexing_maps = #tB ins(%e, %W : tensor<3x5xf64>, tensor<5x5xf64>)
                         outs(%zero : tensor<3x5xf64>) -> tensor<3x5xf64>
    scan.yield %dhn, %dWn : tensor<3x5xf64>, tensor<5x5xf64>
  }
  return %dh0, %dW : tensor<3x5xf64>, tensor<5x5xf64>
}

// Two accumulators in a reverse scan: one a sum of four products (a chain
// through outs, arith.addf and linalg.add), one updated by addf with the
// accumulator second; operands are slices and values computed per step.
// SUMS: result 0: f64[4x6]
// SUMS-NEXT: vs none: max abs diff
// SUMS: result 1: f64[4x6]
// SUMS-NEXT: vs none: max abs diff
func.func @sums_and_two_accumulators(%as: tensor<5x3x4xf64>, %es: tensor<5x3x6xf64>,
                                     %u0: tensor<4x6xf64>, %w0: tensor<4x6xf64>)
    -> (tensor<4x6xf64>, tensor<4x6xf64>) {
  %c0 = arith.constant 0.0 : f64
  // expected-remark @below {{hoisted accumulator (carry #0): 5 x (4x3x6) + 5 x (4x3x6) + 5 x (4x3x6) + 5 x (4x3x6) -> 1 x (4x15x6) + 1 x (4x15x6) + 1 x (4x15x6) + 1 x (4x15x6)}}
  // expected-remark @below {{hoisted accumulator (carry #1): 5 x (4x3x6) -> 1 x (4x15x6)}}
  %u, %w = scan.scan reverse carries(%acc = %u0 : tensor<4x6xf64>, %acc2 = %w0 : tensor<4x6xf64>)
      sequences(%at = %as : tensor<5x3x4xf64>, %et = %es : tensor<5x3x6xf64>)
      -> (tensor<4x6xf64>, tensor<4x6xf64>) {
    %empty = tensor.empty() : tensor<4x6xf64>
    %zero = linalg.fill ins(%c0 : f64) outs(%empty : tensor<4x6xf64>) -> tensor<4x6xf64>
    %a2 = math.tanh %at : tensor<3x4xf64>
    %e2 = math.sin %et : tensor<3x6xf64>
    %s1 = linalg.matmul indexing_maps = #tA ins(%at, %et : tensor<3x4xf64>, tensor<3x6xf64>)
                        outs(%acc : tensor<4x6xf64>) -> tensor<4x6xf64>
    %s2 = linalg.matmul indexing_maps = #tA ins(%a2, %et : tensor<3x4xf64>, tensor<3x6xf64>)
                        outs(%s1 : tensor<4x6xf64>) -> tensor<4x6xf64>
    %p3 = linalg.matmul indexing_maps = #tA ins(%at, %e2 : tensor<3x4xf64>, tensor<3x6xf64>)
                        outs(%zero : tensor<4x6xf64>) -> tensor<4x6xf64>
    %p4 = linalg.matmul indexing_maps = #tA ins(%a2, %e2 : tensor<3x4xf64>, tensor<3x6xf64>)
                        outs(%zero : tensor<4x6xf64>) -> tensor<4x6xf64>
    %p34 = linalg.add ins(%p3, %p4 : tensor<4x6xf64>, tensor<4x6xf64>)
                      outs(%empty : tensor<4x6xf64>) -> tensor<4x6xf64>
    %s = arith.addf %s2, %p34 : tensor<4x6xf64>
    %q = linalg.matmul indexing_maps = #tA ins(%a2, %e2 : tensor<3x4xf64>, tensor<3x6xf64>)
                       outs(%zero : tensor<4x6xf64>) -> tensor<4x6xf64>
    %t = arith.addf %q, %acc2 : tensor<4x6xf64>
    scan.yield %s, %t : tensor<4x6xf64>, tensor<4x6xf64>
  }
  return %u, %w : tensor<4x6xf64>, tensor<4x6xf64>
}

// The four operand layouts of a per-step product (M = 4, K = 3, N = 6):
// A^T B (free collapse), A B, A^T B^T and A B^T (stacked operands
// transposed once after the loop).
// TRANS-COUNT-4: vs none: max abs diff
func.func @transposed_forms(%akm: tensor<5x3x4xf64>, %amk: tensor<5x4x3xf64>,
                            %bkn: tensor<5x3x6xf64>, %bnk: tensor<5x6x3xf64>,
                            %init: tensor<4x6xf64>)
    -> (tensor<4x6xf64>, tensor<4x6xf64>, tensor<4x6xf64>, tensor<4x6xf64>) {
  // expected-remark @below {{hoisted accumulator (carry #0): 5 x (4x3x6) -> 1 x (4x15x6)}}
  // expected-remark @below {{hoisted accumulator (carry #1): 5 x (4x3x6) -> 1 x (4x15x6) (transposing 1 stacked operand)}}
  // expected-remark @below {{hoisted accumulator (carry #2): 5 x (4x3x6) -> 1 x (4x15x6) (transposing 1 stacked operand)}}
  // expected-remark @below {{hoisted accumulator (carry #3): 5 x (4x3x6) -> 1 x (4x15x6) (transposing 2 stacked operands)}}
  %r0, %r1, %r2, %r3 = scan.scan
      carries(%c0 = %init : tensor<4x6xf64>, %c1 = %init : tensor<4x6xf64>,
              %c2 = %init : tensor<4x6xf64>, %c3 = %init : tensor<4x6xf64>)
      sequences(%a0 = %akm : tensor<5x3x4xf64>, %a1 = %amk : tensor<5x4x3xf64>,
                %b0 = %bkn : tensor<5x3x6xf64>, %b1 = %bnk : tensor<5x6x3xf64>)
      -> (tensor<4x6xf64>, tensor<4x6xf64>, tensor<4x6xf64>, tensor<4x6xf64>) {
    %n0 = linalg.matmul indexing_maps = #tA ins(%a0, %b0 : tensor<3x4xf64>, tensor<3x6xf64>)
                        outs(%c0 : tensor<4x6xf64>) -> tensor<4x6xf64>
    %n1 = linalg.matmul ins(%a1, %b0 : tensor<4x3xf64>, tensor<3x6xf64>)
                        outs(%c1 : tensor<4x6xf64>) -> tensor<4x6xf64>
    %n2 = linalg.matmul indexing_maps = #tAB ins(%a0, %b1 : tensor<3x4xf64>, tensor<6x3xf64>)
                        outs(%c2 : tensor<4x6xf64>) -> tensor<4x6xf64>
    %n3 = linalg.matmul indexing_maps = #tB ins(%a1, %b1 : tensor<4x3xf64>, tensor<6x3xf64>)
                        outs(%c3 : tensor<4x6xf64>) -> tensor<4x6xf64>
    scan.yield %n0, %n1, %n2, %n3 : tensor<4x6xf64>, tensor<4x6xf64>, tensor<4x6xf64>, tensor<4x6xf64>
  }
  return %r0, %r1, %r2, %r3 : tensor<4x6xf64>, tensor<4x6xf64>, tensor<4x6xf64>, tensor<4x6xf64>
}

// A per-step operand that is a carry (stacked as a new output) and one the
// body already stacks (reused), next to an existing output.
// REUSE: result 0: f64[4x6]
// REUSE-NEXT: vs none: max abs diff
// REUSE: result 1: f64[5x3x6]
// REUSE-NEXT: vs none: max abs diff
func.func @carry_and_output_operands(%h0: tensor<3x4xf64>, %es: tensor<5x3x6xf64>, %acc0: tensor<4x6xf64>)
    -> (tensor<4x6xf64>, tensor<5x3x6xf64>) {
  // expected-remark @below {{hoisted accumulator (carry #1): 5 x (4x3x6) -> 1 x (4x15x6)}}
  %hT, %r, %ys = scan.scan carries(%h = %h0 : tensor<3x4xf64>, %acc = %acc0 : tensor<4x6xf64>)
      sequences(%et = %es : tensor<5x3x6xf64>) -> (tensor<3x4xf64>, tensor<4x6xf64>, tensor<5x3x6xf64>) {
    %e = math.tanh %et : tensor<3x6xf64>
    %hn = math.sin %h : tensor<3x4xf64>
    %s = linalg.matmul indexing_maps = #tA ins(%h, %e : tensor<3x4xf64>, tensor<3x6xf64>)
                       outs(%acc : tensor<4x6xf64>) -> tensor<4x6xf64>
    scan.yield %hn, %s, %e : tensor<3x4xf64>, tensor<4x6xf64>, tensor<3x6xf64>
  }
  return %r, %ys : tensor<4x6xf64>, tensor<5x3x6xf64>
}
