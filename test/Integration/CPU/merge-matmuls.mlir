// scan-merge-matmuls changes no numbers: every merged program agrees with
// the unmerged one at f64 through the CPU lowering, on normal-scale random
// inputs at small shapes (B = 3, D = 4, T = 5).

// The merges do fire on these functions (forward recomputation, the
// backward sum e_r.U^T + e_z.V^T, the plain-function forms).
// RUN: scan-opt %s --pass-pipeline='builtin.module(scan-differentiate,func.func(scan-merge-matmuls))' \
// RUN:   2>&1 >/dev/null | FileCheck %s --check-prefix=REMARKS
// REMARKS-DAG: remark: merged 2 matmuls summed over k: 2 x (3x4x4) -> 1 x (3x8x4)
// REMARKS-DAG: remark: merged 2 matmuls sharing lhs: 2 x (3x4x4) -> 1 x (3x4x8)
// REMARKS-DAG: remark: merged 2 matmuls sharing lhs: (3x4x6) + (3x4x2) -> 1 x (3x4x8)
// REMARKS-DAG: remark: merged 2 matmuls sharing rhs: (3x4x6) + (2x4x6) -> 1 x (5x4x6)
// REMARKS-DAG: remark: merged 2 matmuls summed over k: (3x4x6) + (3x5x6) -> 1 x (3x9x6)
// REMARKS-DAG: remark: merged 2 matmuls sharing lhs: 2 x (4x15x4) -> 1 x (4x15x8)

// The GRU gradient, merged after differentiation, against the plain one.
// RUN: scan-run %s --entry=gru_grad --random-seed=1 --random-scale=1 \
// RUN:   --compare='plain,builtin.module(scan-differentiate,func.func(scan-merge-matmuls))' \
// RUN:   --rtol=1e-12 --atol=1e-12 --warmup=0 --repeat=1 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=GRAD
// GRAD-COUNT-4: scan-merge-matmuls)) vs plain: max abs diff

// ... and against central finite differences of the cost.
// RUN: scan-run %s --entry=gru_grad --random-seed=2 --random-scale=1 \
// RUN:   --variant='builtin.module(scan-differentiate,func.func(scan-merge-matmuls))' \
// RUN:   --check-grad --fd-callee=gru_cost --fd-wrt=3,4,5,6 --warmup=0 --repeat=1 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=FD
// FD-COUNT-4: check-grad {{.*}}: ok

// The forward GRU and the plain-function forms, merged, against the
// unchanged programs.
// RUN: scan-run %s --entry=gru_cost --random-seed=3 --random-scale=1 \
// RUN:   --compare='plain,builtin.module(scan-differentiate,func.func(scan-merge-matmuls))' \
// RUN:   --rtol=1e-12 --atol=1e-12 --warmup=0 --repeat=1 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=FWD
// FWD: scan-merge-matmuls)) vs plain: max abs diff
// RUN: scan-run %s --entry=forms --random-seed=4 --random-scale=1 \
// RUN:   --compare='plain,builtin.module(scan-differentiate,func.func(scan-merge-matmuls))' \
// RUN:   --rtol=1e-12 --atol=1e-12 --warmup=0 --repeat=1 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=FORMS
// FORMS-COUNT-7: scan-merge-matmuls)) vs plain: max abs diff

func.func @gru_cost(%x: tensor<5x3x4xf64>, %ri: tensor<5x3x4xf64>,
                    %zi: tensor<5x3x4xf64>, %h0: tensor<3x4xf64>,
                    %U: tensor<4x4xf64>, %V: tensor<4x4xf64>,
                    %W: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<3x4xf64>
  %empty = tensor.empty() : tensor<3x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<3x4xf64>) -> tensor<3x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<3x4xf64>)
                  sequences(%xt = %x : tensor<5x3x4xf64>,
                            %rit = %ri : tensor<5x3x4xf64>,
                            %zit = %zi : tensor<5x3x4xf64>)
                  -> tensor<3x4xf64> {
    %hU = linalg.matmul ins(%h, %U : tensor<3x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %ra = arith.addf %rit, %hU : tensor<3x4xf64>
    %rn = arith.negf %ra : tensor<3x4xf64>
    %re = math.exp %rn : tensor<3x4xf64>
    %rd = arith.addf %one, %re : tensor<3x4xf64>
    %r = arith.divf %one, %rd : tensor<3x4xf64>
    %hV = linalg.matmul ins(%h, %V : tensor<3x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %za = arith.addf %zit, %hV : tensor<3x4xf64>
    %zn = arith.negf %za : tensor<3x4xf64>
    %ze = math.exp %zn : tensor<3x4xf64>
    %zd = arith.addf %one, %ze : tensor<3x4xf64>
    %z = arith.divf %one, %zd : tensor<3x4xf64>
    %rh = arith.mulf %r, %h : tensor<3x4xf64>
    %rhW = linalg.matmul ins(%rh, %W : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %na = arith.addf %xt, %rhW : tensor<3x4xf64>
    %newh = math.tanh %na : tensor<3x4xf64>
    %zh = arith.mulf %z, %newh : tensor<3x4xf64>
    %omz = arith.subf %one, %z : tensor<3x4xf64>
    %keep = arith.mulf %omz, %h : tensor<3x4xf64>
    %hn = arith.addf %zh, %keep : tensor<3x4xf64>
    scan.yield %hn : tensor<3x4xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<3x4xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

func.func @gru_grad(%x: tensor<5x3x4xf64>, %ri: tensor<5x3x4xf64>,
                    %zi: tensor<5x3x4xf64>, %h0: tensor<3x4xf64>,
                    %U: tensor<4x4xf64>, %V: tensor<4x4xf64>,
                    %W: tensor<4x4xf64>)
    -> (tensor<3x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>) {
  %g:4 = scan.grad @gru_cost(%x, %ri, %zi, %h0, %U, %V, %W) wrt [3, 4, 5, 6]
      : (tensor<5x3x4xf64>, tensor<5x3x4xf64>, tensor<5x3x4xf64>, tensor<3x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
      -> (tensor<3x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
  return %g#0, %g#1, %g#2, %g#3
      : tensor<3x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>
}

#mA = affine_map<(m, n, k) -> (m, k)>
#mAt = affine_map<(m, n, k) -> (k, m)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mBt = affine_map<(m, n, k) -> (n, k)>
#mC = affine_map<(m, n, k) -> (m, n)>

// Shared lhs with a transposed and a linalg.transpose'd weight, shared rhs,
// a sum accumulating into %acc, and weight gradients H^T [E1 E2] after a
// reverse scan.
func.func @forms(%x: tensor<3x4xf64>, %Ut: tensor<6x4xf64>, %V: tensor<2x4xf64>,
                 %a: tensor<2x4xf64>, %w: tensor<4x6xf64>, %c: tensor<3x4xf64>,
                 %w2: tensor<4x6xf64>, %b: tensor<3x5xf64>, %P: tensor<5x6xf64>,
                 %acc: tensor<3x6xf64>, %H: tensor<15x4xf64>, %g: tensor<5x3x4xf64>)
    -> (tensor<3x6xf64>, tensor<3x2xf64>, tensor<3x6xf64>, tensor<2x6xf64>,
        tensor<3x6xf64>, tensor<4x4xf64>, tensor<4x4xf64>) {
  %c0 = arith.constant 0.0 : f64
  %e36 = tensor.empty() : tensor<3x6xf64>
  %z36 = linalg.fill ins(%c0 : f64) outs(%e36 : tensor<3x6xf64>) -> tensor<3x6xf64>
  %z32 = arith.constant dense<0.0> : tensor<3x2xf64>
  %z26 = arith.constant dense<0.0> : tensor<2x6xf64>
  %z44 = arith.constant dense<0.0> : tensor<4x4xf64>
  // x.Ut^T and x.transpose(V): merged over [Ut; V].
  %r0 = linalg.matmul indexing_maps = [#mA, #mBt, #mC]
      ins(%x, %Ut : tensor<3x4xf64>, tensor<6x4xf64>) outs(%z36 : tensor<3x6xf64>) -> tensor<3x6xf64>
  %e42 = tensor.empty() : tensor<4x2xf64>
  %Vt = linalg.transpose ins(%V : tensor<2x4xf64>) outs(%e42 : tensor<4x2xf64>) permutation = [1, 0]
  %r1 = linalg.matmul ins(%x, %Vt : tensor<3x4xf64>, tensor<4x2xf64>)
      outs(%z32 : tensor<3x2xf64>) -> tensor<3x2xf64>
  // c.w and a.w: merged over [c; a].
  %r2 = linalg.matmul ins(%c, %w : tensor<3x4xf64>, tensor<4x6xf64>)
      outs(%z36 : tensor<3x6xf64>) -> tensor<3x6xf64>
  %r3 = linalg.matmul ins(%a, %w : tensor<2x4xf64>, tensor<4x6xf64>)
      outs(%z26 : tensor<2x6xf64>) -> tensor<2x6xf64>
  // c.w2 + b.P accumulated into %acc: merged over [c b].[w2; P].
  %p = linalg.matmul ins(%c, %w2 : tensor<3x4xf64>, tensor<4x6xf64>)
      outs(%z36 : tensor<3x6xf64>) -> tensor<3x6xf64>
  %q = linalg.matmul ins(%b, %P : tensor<3x5xf64>, tensor<5x6xf64>)
      outs(%acc : tensor<3x6xf64>) -> tensor<3x6xf64>
  %r4 = arith.addf %q, %p : tensor<3x6xf64>
  // Weight gradients after a loop: H^T E1 and H^T E2.
  %e1, %e2 = scan.scan reverse sequences(%gt = %g : tensor<5x3x4xf64>)
      -> (tensor<5x3x4xf64>, tensor<5x3x4xf64>) {
    %t = math.tanh %gt : tensor<3x4xf64>
    %s = arith.mulf %gt, %gt : tensor<3x4xf64>
    scan.yield %t, %s : tensor<3x4xf64>, tensor<3x4xf64>
  }
  %E1 = tensor.collapse_shape %e1 [[0, 1], [2]] : tensor<5x3x4xf64> into tensor<15x4xf64>
  %E2 = tensor.collapse_shape %e2 [[0, 1], [2]] : tensor<5x3x4xf64> into tensor<15x4xf64>
  %r5 = linalg.matmul indexing_maps = [#mAt, #mB, #mC]
      ins(%H, %E1 : tensor<15x4xf64>, tensor<15x4xf64>) outs(%z44 : tensor<4x4xf64>) -> tensor<4x4xf64>
  %r6 = linalg.matmul indexing_maps = [#mAt, #mB, #mC]
      ins(%H, %E2 : tensor<15x4xf64>, tensor<15x4xf64>) outs(%z44 : tensor<4x4xf64>) -> tensor<4x4xf64>
  return %r0, %r1, %r2, %r3, %r4, %r5, %r6
      : tensor<3x6xf64>, tensor<3x2xf64>, tensor<3x6xf64>, tensor<2x6xf64>,
        tensor<3x6xf64>, tensor<4x4xf64>, tensor<4x4xf64>
}
