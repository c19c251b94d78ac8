// Numbers and gradients of a scan-free function through scan-run, with the
// upstream lowering: values against NumPy references (Inputs/generate.py),
// gradients against central finite differences.

// The cost and the hand-written gradients agree with NumPy.
// RUN: scan-run %s --entry=cost --variant=none --lowering='%upstream_lowering' \
// RUN:   --input=%S/Inputs/tanh_x.npy --input=%S/Inputs/tanh_W.npy \
// RUN:   --expect=%S/Inputs/tanh_cost.npy --rtol=1e-12 --atol=1e-12 | FileCheck %s --check-prefix=COST
// COST: result 0: f64[] =
// COST-NEXT: none vs {{.*}}tanh_cost.npy: max abs diff {{.*}}, 0 elements outside tolerance
// RUN: scan-run %s --entry=cost_grad --variant=none --lowering='%upstream_lowering' \
// RUN:   --input=%S/Inputs/tanh_x.npy --input=%S/Inputs/tanh_W.npy --rtol=1e-12 --atol=1e-12 \
// RUN:   --expect=%S/Inputs/tanh_dx.npy --expect=%S/Inputs/tanh_dW.npy > /dev/null

// Finite differences at f64 confirm both gradients, on random and on
// NumPy inputs.
// RUN: scan-run %s --entry=cost_grad --variant=none --lowering='%upstream_lowering' \
// RUN:   --check-grad --fd-callee=cost --fd-wrt=0,1 --random-scale=1 \
// RUN:   | FileCheck %s --check-prefix=FD
// FD: check-grad none: d@cost/darg0 f64[3x4]: {{.*}} over 12 elements < 1e-06: ok
// FD: check-grad none: d@cost/darg1 f64[4x2]: {{.*}} over 8 elements < 1e-06: ok
// RUN: scan-run %s --entry=cost_grad --variant=none --lowering='%upstream_lowering' \
// RUN:   --check-grad --fd-callee=cost --fd-wrt=0,1 --json \
// RUN:   --input=%S/Inputs/tanh_x.npy --input=%S/Inputs/tanh_W.npy | FileCheck %s --check-prefix=FD-JSON
// FD-JSON: "fd_callee": "cost",
// FD-JSON: "ok": true,
// FD-JSON: "variants": [
// FD-JSON: "check_grad": [
// FD-JSON: "arg": 0,
// FD-JSON: "ok": true,
// FD-JSON: "arg": 1,
// FD-JSON: "ok": true,

// Sampling a subset of the elements.
// RUN: scan-run %s --entry=cost_grad --variant=none --lowering='%upstream_lowering' \
// RUN:   --check-grad --fd-callee=cost --fd-wrt=0,1 --fd-max-elements=5 \
// RUN:   | FileCheck %s --check-prefix=SAMPLE
// SAMPLE: darg0 f64[3x4]: {{.*}} over 5 elements < 1e-06: ok
// SAMPLE: darg1 f64[4x2]: {{.*}} over 5 elements < 1e-06: ok

// A wrong gradient fails, and so does a gradient paired with the wrong
// argument.
// RUN: not scan-run %s --entry=cost_grad_wrong --variant=none --lowering='%upstream_lowering' \
// RUN:   --check-grad --fd-callee=cost --fd-wrt=1 --random-scale=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=WRONG
// WRONG: check-grad none: d@cost/darg1 f64[4x2]: {{.*}} >= 1e-06: FAILED
// WRONG: scan-run: error: gradient w.r.t. argument 1 of @cost (variant 'none') disagrees with finite differences
// RUN: not scan-run %s --entry=cost_grad --variant=none --lowering='%upstream_lowering' \
// RUN:   --check-grad --fd-callee=cost --fd-wrt=1,0 2>&1 | FileCheck %s --check-prefix=SWAP
// SWAP: scan-run: error: result 0 of @cost_grad (f64[3x4]) does not match argument 1 of @cost (f64[4x2])

// At f32 the check is looser and says so.
// RUN: scan-run %s --entry=cost32_grad --variant=none --lowering='%upstream_lowering' \
// RUN:   --check-grad --fd-callee=cost32 --fd-wrt=1 --random-scale=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=F32
// F32: scan-run: warning: finite differences in f32 are loose
// F32: check-grad none: d@cost32/darg1 f32[4x2]: {{.*}} < 0.01: ok

// cost(x, W) = sum(tanh(x W)) at f64, its hand-written gradient, and a
// gradient with a deliberate mistake.
func.func @cost(%x: tensor<3x4xf64>, %W: tensor<4x2xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<3x2xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e : tensor<3x2xf64>) -> tensor<3x2xf64>
  %a = linalg.matmul ins(%x, %W : tensor<3x4xf64>, tensor<4x2xf64>)
                     outs(%acc : tensor<3x2xf64>) -> tensor<3x2xf64>
  %t = math.tanh %a : tensor<3x2xf64>
  %s0 = tensor.empty() : tensor<f64>
  %si = linalg.fill ins(%zero : f64) outs(%s0 : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%t : tensor<3x2xf64>) outs(%si : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %r: f64) {
      %sum = arith.addf %in, %r : f64
      linalg.yield %sum : f64
    }
  %c = tensor.extract %s[] : tensor<f64>
  return %c : f64
}

// d cost / dx = (1 - t^2) W^T and d cost / dW = x^T (1 - t^2).
func.func @cost_grad(%x: tensor<3x4xf64>, %W: tensor<4x2xf64>)
    -> (tensor<3x4xf64>, tensor<4x2xf64>) {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<3x2xf64>
  %e = tensor.empty() : tensor<3x2xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e : tensor<3x2xf64>) -> tensor<3x2xf64>
  %a = linalg.matmul ins(%x, %W : tensor<3x4xf64>, tensor<4x2xf64>)
                     outs(%acc : tensor<3x2xf64>) -> tensor<3x2xf64>
  %t = math.tanh %a : tensor<3x2xf64>
  %t2 = arith.mulf %t, %t : tensor<3x2xf64>
  %da = arith.subf %one, %t2 : tensor<3x2xf64>
  %ex = tensor.empty() : tensor<3x4xf64>
  %accx = linalg.fill ins(%zero : f64) outs(%ex : tensor<3x4xf64>) -> tensor<3x4xf64>
  %dx = linalg.matmul
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                       affine_map<(m, n, k) -> (n, k)>,
                       affine_map<(m, n, k) -> (m, n)>]
      ins(%da, %W : tensor<3x2xf64>, tensor<4x2xf64>)
      outs(%accx : tensor<3x4xf64>) -> tensor<3x4xf64>
  %ew = tensor.empty() : tensor<4x2xf64>
  %accw = linalg.fill ins(%zero : f64) outs(%ew : tensor<4x2xf64>) -> tensor<4x2xf64>
  %dW = linalg.matmul
      indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                       affine_map<(m, n, k) -> (k, n)>,
                       affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %da : tensor<3x4xf64>, tensor<3x2xf64>)
      outs(%accw : tensor<4x2xf64>) -> tensor<4x2xf64>
  return %dx, %dW : tensor<3x4xf64>, tensor<4x2xf64>
}

// Wrong on purpose: uses 1 - t instead of 1 - t^2 for dW.
func.func @cost_grad_wrong(%x: tensor<3x4xf64>, %W: tensor<4x2xf64>)
    -> tensor<4x2xf64> {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<3x2xf64>
  %e = tensor.empty() : tensor<3x2xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e : tensor<3x2xf64>) -> tensor<3x2xf64>
  %a = linalg.matmul ins(%x, %W : tensor<3x4xf64>, tensor<4x2xf64>)
                     outs(%acc : tensor<3x2xf64>) -> tensor<3x2xf64>
  %t = math.tanh %a : tensor<3x2xf64>
  %da = arith.subf %one, %t : tensor<3x2xf64>
  %ew = tensor.empty() : tensor<4x2xf64>
  %accw = linalg.fill ins(%zero : f64) outs(%ew : tensor<4x2xf64>) -> tensor<4x2xf64>
  %dW = linalg.matmul
      indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                       affine_map<(m, n, k) -> (k, n)>,
                       affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %da : tensor<3x4xf64>, tensor<3x2xf64>)
      outs(%accw : tensor<4x2xf64>) -> tensor<4x2xf64>
  return %dW : tensor<4x2xf64>
}

// The same cost and weight gradient at f32.
func.func @cost32(%x: tensor<3x4xf32>, %W: tensor<4x2xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %a = linalg.matmul ins(%x, %W : tensor<3x4xf32>, tensor<4x2xf32>)
                     outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %t = math.tanh %a : tensor<3x2xf32>
  %s0 = tensor.empty() : tensor<f32>
  %si = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%t : tensor<3x2xf32>) outs(%si : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %r: f32) {
      %sum = arith.addf %in, %r : f32
      linalg.yield %sum : f32
    }
  %c = tensor.extract %s[] : tensor<f32>
  return %c : f32
}

func.func @cost32_grad(%x: tensor<3x4xf32>, %W: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<3x2xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %a = linalg.matmul ins(%x, %W : tensor<3x4xf32>, tensor<4x2xf32>)
                     outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %t = math.tanh %a : tensor<3x2xf32>
  %t2 = arith.mulf %t, %t : tensor<3x2xf32>
  %da = arith.subf %one, %t2 : tensor<3x2xf32>
  %ew = tensor.empty() : tensor<4x2xf32>
  %accw = linalg.fill ins(%zero : f32) outs(%ew : tensor<4x2xf32>) -> tensor<4x2xf32>
  %dW = linalg.matmul
      indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                       affine_map<(m, n, k) -> (k, n)>,
                       affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %da : tensor<3x4xf32>, tensor<3x2xf32>)
      outs(%accw : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %dW : tensor<4x2xf32>
}
