// Gradients through scan.scan in the forms the plain reverse rule handles:
// a reverse scan with two carries, two sequences, per-step outputs and a
// weight also used outside the loop; two stacked RNN layers; a body without
// matmul; a scan without sequences whose weight is transposed before the
// loop. f64, checked against central finite differences.
//
// RUN: scan-run %s --entry=rev_grad --check-grad --random-scale=0.5
// RUN: scan-run %s --entry=stack_grad --check-grad --random-scale=0.5
// RUN: scan-run %s --entry=ews_grad --check-grad --random-scale=0.5
// RUN: scan-run %s --entry=len_grad --check-grad --random-scale=0.5

// Reverse scan, two carries, two sequences, a per-step output; W is also
// used after the loop.
func.func @rev_cost(%x: tensor<3x2x4xf64>, %y: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %c0: tensor<2x4xf64>, %W: tensor<4x4xf64>) -> f64 {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x4xf64>
  %z0 = linalg.fill ins(%z : f64) outs(%e : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT, %cT, %os = scan.scan reverse carries(%h = %h0 : tensor<2x4xf64>, %c = %c0 : tensor<2x4xf64>)
      sequences(%xt = %x : tensor<3x2x4xf64>, %yt = %y : tensor<3x2x4xf64>)
      -> (tensor<2x4xf64>, tensor<2x4xf64>, tensor<3x2x4xf64>) {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf64>, tensor<4x4xf64>) outs(%z0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %a = arith.addf %xt, %hW : tensor<2x4xf64>
    %hn = math.tanh %a : tensor<2x4xf64>
    %cy = arith.mulf %c, %yt : tensor<2x4xf64>
    %cn = arith.addf %cy, %hn : tensor<2x4xf64>
    %o = arith.mulf %hn, %cn : tensor<2x4xf64>
    scan.yield %hn, %cn, %o : tensor<2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>
  }
  %se = tensor.empty() : tensor<f64>
  %s0 = linalg.fill ins(%z : f64) outs(%se : tensor<f64>) -> tensor<f64>
  %s1 = linalg.reduce ins(%os : tensor<3x2x4xf64>) outs(%s0 : tensor<f64>) dimensions = [0, 1, 2]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %cc = arith.mulf %cT, %cT : tensor<2x4xf64>
  %s2 = linalg.reduce ins(%cc : tensor<2x4xf64>) outs(%s1 : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %s3 = linalg.reduce ins(%hT : tensor<2x4xf64>) outs(%s2 : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %ww = arith.mulf %W, %W : tensor<4x4xf64>
  %s4 = linalg.reduce ins(%ww : tensor<4x4xf64>) outs(%s3 : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %r = tensor.extract %s4[] : tensor<f64>
  return %r : f64
}
func.func @rev_grad(%x: tensor<3x2x4xf64>, %y: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %c0: tensor<2x4xf64>, %W: tensor<4x4xf64>) -> (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) {
  %0:5 = scan.grad @rev_cost(%x, %y, %h0, %c0, %W) wrt [0, 1, 2, 3, 4] : (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) -> (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>)
  return %0#0, %0#1, %0#2, %0#3, %0#4 : tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>
}

// Two stacked RNN layers: the second reads the first one's stacked states.
func.func @stack_cost(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %g0: tensor<2x4xf64>, %W1: tensor<4x4xf64>, %W2: tensor<4x4xf64>, %U2: tensor<4x4xf64>) -> f64 {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x4xf64>
  %z0 = linalg.fill ins(%z : f64) outs(%e : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf64>) sequences(%xt = %x : tensor<3x2x4xf64>)
      -> (tensor<2x4xf64>, tensor<3x2x4xf64>) {
    %hW = linalg.matmul ins(%h, %W1 : tensor<2x4xf64>, tensor<4x4xf64>) outs(%z0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %a = arith.addf %xt, %hW : tensor<2x4xf64>
    %hn = math.tanh %a : tensor<2x4xf64>
    scan.yield %hn, %hn : tensor<2x4xf64>, tensor<2x4xf64>
  }
  %gT = scan.scan carries(%g = %g0 : tensor<2x4xf64>) sequences(%ht = %hs : tensor<3x2x4xf64>) -> tensor<2x4xf64> {
    %hU = linalg.matmul ins(%ht, %U2 : tensor<2x4xf64>, tensor<4x4xf64>) outs(%z0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %gW = linalg.matmul ins(%g, %W2 : tensor<2x4xf64>, tensor<4x4xf64>) outs(%hU : tensor<2x4xf64>) -> tensor<2x4xf64>
    %gn = math.tanh %gW : tensor<2x4xf64>
    scan.yield %gn : tensor<2x4xf64>
  }
  %se = tensor.empty() : tensor<f64>
  %s0 = linalg.fill ins(%z : f64) outs(%se : tensor<f64>) -> tensor<f64>
  %s1 = linalg.reduce ins(%gT : tensor<2x4xf64>) outs(%s0 : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %r = tensor.extract %s1[] : tensor<f64>
  return %r : f64
}
func.func @stack_grad(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>, %g0: tensor<2x4xf64>, %W1: tensor<4x4xf64>, %W2: tensor<4x4xf64>, %U2: tensor<4x4xf64>) -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>) {
  %0:6 = scan.grad @stack_cost(%x, %h0, %g0, %W1, %W2, %U2) wrt [0, 1, 2, 3, 4, 5] : (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>) -> (tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
  return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5 : tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>
}

// A body without matmul; k is captured by the body.
func.func @ews_cost(%x: tensor<3x2x4xf64>, %a: tensor<3x2x4xf64>, %c0: tensor<2x4xf64>, %k: tensor<2x4xf64>) -> f64 {
  %cT = scan.scan carries(%c = %c0 : tensor<2x4xf64>) sequences(%xt = %x : tensor<3x2x4xf64>, %at = %a : tensor<3x2x4xf64>) -> tensor<2x4xf64> {
    %ca = arith.mulf %c, %at : tensor<2x4xf64>
    %tx = math.tanh %xt : tensor<2x4xf64>
    %tk = arith.mulf %tx, %k : tensor<2x4xf64>
    %cn = arith.addf %ca, %tk : tensor<2x4xf64>
    scan.yield %cn : tensor<2x4xf64>
  }
  %z = arith.constant 0.0 : f64
  %se = tensor.empty() : tensor<f64>
  %s0 = linalg.fill ins(%z : f64) outs(%se : tensor<f64>) -> tensor<f64>
  %s1 = linalg.reduce ins(%cT : tensor<2x4xf64>) outs(%s0 : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %r = tensor.extract %s1[] : tensor<f64>
  return %r : f64
}
func.func @ews_grad(%x: tensor<3x2x4xf64>, %a: tensor<3x2x4xf64>, %c0: tensor<2x4xf64>, %k: tensor<2x4xf64>) -> (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>) {
  %0:4 = scan.grad @ews_cost(%x, %a, %c0, %k) wrt [0, 1, 2, 3] : (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>) -> (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>)
  return %0#0, %0#1, %0#2, %0#3 : tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>
}

// No sequences (length), a carry passed through unchanged and used as the
// matmul accumulator, and a weight transposed before the loop.
func.func @len_cost(%h0: tensor<2x4xf64>, %k0: tensor<2x4xf64>, %W: tensor<4x4xf64>) -> f64 {
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x4xf64>
  %z0 = linalg.fill ins(%z : f64) outs(%e : tensor<2x4xf64>) -> tensor<2x4xf64>
  %te = tensor.empty() : tensor<4x4xf64>
  %Wt = linalg.transpose ins(%W : tensor<4x4xf64>) outs(%te : tensor<4x4xf64>) permutation = [1, 0]
  %hT, %kT = scan.scan length(3) carries(%h = %h0 : tensor<2x4xf64>, %k = %k0 : tensor<2x4xf64>) -> (tensor<2x4xf64>, tensor<2x4xf64>) {
    %hW = linalg.matmul ins(%h, %Wt : tensor<2x4xf64>, tensor<4x4xf64>) outs(%k : tensor<2x4xf64>) -> tensor<2x4xf64>
    %hn = math.tanh %hW : tensor<2x4xf64>
    scan.yield %hn, %k : tensor<2x4xf64>, tensor<2x4xf64>
  }
  %se = tensor.empty() : tensor<f64>
  %s0 = linalg.fill ins(%z : f64) outs(%se : tensor<f64>) -> tensor<f64>
  %s1 = linalg.reduce ins(%hT : tensor<2x4xf64>) outs(%s0 : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %r = tensor.extract %s1[] : tensor<f64>
  return %r : f64
}
func.func @len_grad(%h0: tensor<2x4xf64>, %k0: tensor<2x4xf64>, %W: tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) {
  %0:3 = scan.grad @len_cost(%h0, %k0, %W) wrt [0, 1, 2] : (tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>)
  return %0#0, %0#1, %0#2 : tensor<2x4xf64>, tensor<2x4xf64>, tensor<4x4xf64>
}
