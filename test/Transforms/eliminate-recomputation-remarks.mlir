// RUN: scan-opt %s --scan-eliminate-recomputation --verify-diagnostics

// The backward scan recomputes the gate sigmoid(h U): its matmul is read from
// the forward scan (with a remark), the sigmoid after it is recomputed. The
// value 1 - h*h needs no matmul and stays (with a remark).
func.func @gate_and_elementwise(%x: tensor<3x2x4xf32>, %h0: tensor<2x4xf32>, %U: tensor<4x4xf32>)
    -> tensor<2x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<3x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<3x2x4xf32>) {
    %hu = linalg.matmul ins(%h, %U : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %ng = arith.negf %hu : tensor<2x4xf32>
    %ex = math.exp %ng : tensor<2x4xf32>
    %den = arith.addf %one, %ex : tensor<2x4xf32>
    %r = arith.divf %one, %den : tensor<2x4xf32>
    %hh = arith.mulf %h, %h : tensor<2x4xf32>
    %d = arith.subf %one, %hh : tensor<2x4xf32>
    %rd = arith.mulf %r, %d : tensor<2x4xf32>
    %n = arith.addf %rd, %xt : tensor<2x4xf32>
    scan.yield %n, %h : tensor<2x4xf32>, tensor<2x4xf32>
  }
  // expected-remark @below {{still recomputes 1 elementwise value(s) of the forward scan that need no matmul (store-elementwise=false)}}
  %g = scan.scan reverse carries(%dh = %one : tensor<2x4xf32>)
      sequences(%hp = %hs : tensor<3x2x4xf32>) -> tensor<2x4xf32> {
    // expected-remark @below {{reads 'linalg.matmul' from a per-step output of the forward scan instead of recomputing it (a matmul per step saved)}}
    %hu = linalg.matmul ins(%hp, %U : tensor<2x4xf32>, tensor<4x4xf32>) outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %ng = arith.negf %hu : tensor<2x4xf32>
    %ex = math.exp %ng : tensor<2x4xf32>
    %den = arith.addf %one, %ex : tensor<2x4xf32>
    %r = arith.divf %one, %den : tensor<2x4xf32>
    %hh = arith.mulf %hp, %hp : tensor<2x4xf32>
    %d = arith.subf %one, %hh : tensor<2x4xf32>
    %a = arith.mulf %dh, %r : tensor<2x4xf32>
    %b = arith.mulf %a, %d : tensor<2x4xf32>
    scan.yield %b : tensor<2x4xf32>
  }
  return %g : tensor<2x4xf32>
}
