// A tiny GRU (B = 2, T = 3, D = 4, f64), the cell of examples/gru.mlir, run
// end to end through scan-run: the gradients scan.grad yields against the
// hand-written NumPy backward pass of Inputs/gen_grad_refs.py and against
// central finite differences for every argument.

// RUN: scan-run %s --entry=gru_grad --variant=plain \
// RUN:   --input=%S/Inputs/gru.x.npy --input=%S/Inputs/gru.ri.npy --input=%S/Inputs/gru.zi.npy \
// RUN:   --input=%S/Inputs/gru.h0.npy --input=%S/Inputs/gru.U.npy --input=%S/Inputs/gru.V.npy \
// RUN:   --input=%S/Inputs/gru.W.npy --expect=%S/Inputs/gru.dU.npy --expect=%S/Inputs/gru.dV.npy \
// RUN:   --expect=%S/Inputs/gru.dW.npy --rtol=1e-10 --atol=1e-12 | FileCheck %s --check-prefix=REF
// REF: result 0: f64[4x4]
// REF-NEXT: plain vs {{.*}}gru.dU.npy: max abs diff {{.*}}, 0 elements outside tolerance
// REF: result 1: f64[4x4]
// REF-NEXT: plain vs {{.*}}gru.dV.npy: max abs diff {{.*}}, 0 elements outside tolerance
// REF: result 2: f64[4x4]
// REF-NEXT: plain vs {{.*}}gru.dW.npy: max abs diff {{.*}}, 0 elements outside tolerance

// RUN: scan-run %s --entry=gru_grad_all --variant=plain --check-grad --random-scale=1 \
// RUN:   | FileCheck %s --check-prefix=FD
// FD: check-grad plain: d@gru_cost/darg0 f64[3x2x4]: {{.*}}: ok
// FD: check-grad plain: d@gru_cost/darg1 f64[3x2x4]: {{.*}}: ok
// FD: check-grad plain: d@gru_cost/darg2 f64[3x2x4]: {{.*}}: ok
// FD: check-grad plain: d@gru_cost/darg3 f64[2x4]: {{.*}}: ok
// FD: check-grad plain: d@gru_cost/darg4 f64[4x4]: {{.*}}: ok
// FD: check-grad plain: d@gru_cost/darg5 f64[4x4]: {{.*}}: ok
// FD: check-grad plain: d@gru_cost/darg6 f64[4x4]: {{.*}}: ok

func.func @gru_cost(%x: tensor<3x2x4xf64>, %ri: tensor<3x2x4xf64>,
                    %zi: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                    %U: tensor<4x4xf64>, %V: tensor<4x4xf64>,
                    %W: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<2x4xf64>
  %empty = tensor.empty() : tensor<2x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf64>)
                  sequences(%xt = %x : tensor<3x2x4xf64>,
                            %rit = %ri : tensor<3x2x4xf64>,
                            %zit = %zi : tensor<3x2x4xf64>)
                  -> tensor<2x4xf64> {
    // r = sigmoid(ri_t + h U), with sigmoid(a) = 1 / (1 + exp(-a))
    %hU = linalg.matmul ins(%h, %U : tensor<2x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %ra = arith.addf %rit, %hU : tensor<2x4xf64>
    %rn = arith.negf %ra : tensor<2x4xf64>
    %re = math.exp %rn : tensor<2x4xf64>
    %rd = arith.addf %one, %re : tensor<2x4xf64>
    %r = arith.divf %one, %rd : tensor<2x4xf64>
    // z = sigmoid(zi_t + h V)
    %hV = linalg.matmul ins(%h, %V : tensor<2x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %za = arith.addf %zit, %hV : tensor<2x4xf64>
    %zn = arith.negf %za : tensor<2x4xf64>
    %ze = math.exp %zn : tensor<2x4xf64>
    %zd = arith.addf %one, %ze : tensor<2x4xf64>
    %z = arith.divf %one, %zd : tensor<2x4xf64>
    // new_h = tanh(x_t + (r * h) W)
    %rh = arith.mulf %r, %h : tensor<2x4xf64>
    %rhW = linalg.matmul ins(%rh, %W : tensor<2x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<2x4xf64>) -> tensor<2x4xf64>
    %na = arith.addf %xt, %rhW : tensor<2x4xf64>
    %newh = math.tanh %na : tensor<2x4xf64>
    // h_t = z * new_h + (1 - z) * h
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

// The gradients of the cost w.r.t. the weights U, V and W.
func.func @gru_grad(%x: tensor<3x2x4xf64>, %ri: tensor<3x2x4xf64>,
                    %zi: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                    %U: tensor<4x4xf64>, %V: tensor<4x4xf64>,
                    %W: tensor<4x4xf64>)
    -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>) {
  %dU, %dV, %dW = scan.grad @gru_cost(%x, %ri, %zi, %h0, %U, %V, %W) wrt [4, 5, 6]
      : (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>,
         tensor<2x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
         tensor<4x4xf64>)
      -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
  return %dU, %dV, %dW : tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>
}

// The gradients w.r.t. every argument.
func.func @gru_grad_all(%x: tensor<3x2x4xf64>, %ri: tensor<3x2x4xf64>,
                        %zi: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                        %U: tensor<4x4xf64>, %V: tensor<4x4xf64>, %W: tensor<4x4xf64>)
    -> (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>) {
  %dx, %dri, %dzi, %dh0, %dU, %dV, %dW =
      scan.grad @gru_cost(%x, %ri, %zi, %h0, %U, %V, %W) wrt [0, 1, 2, 3, 4, 5, 6]
      : (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
      -> (tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>,
          tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
  return %dx, %dri, %dzi, %dh0, %dU, %dV, %dW
      : tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<3x2x4xf64>, tensor<2x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>
}
