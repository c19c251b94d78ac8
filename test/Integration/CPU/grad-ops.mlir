// Gradients through every reverse rule outside scans (matmul in transposed
// forms with a non-zero outs, elementwise arith/math, slicing, concat,
// transpose, broadcast, sums, a mean, fill and extract), f64, checked
// against central finite differences.
//
// RUN: scan-run %s --entry=mm_grad --check-grad --random-scale=0.5
// RUN: scan-run %s --entry=mm2_grad --check-grad --random-scale=0.5
// RUN: scan-run %s --entry=ew_grad --check-grad --random-scale=0.5
// RUN: scan-run %s --entry=shape_grad --check-grad --random-scale=0.5
// RUN: scan-run %s --entry=fill_grad --check-grad --random-scale=0.5

// C = A^T B^T + C0 with both operands transposed through indexing_maps.
func.func @mm_cost(%A: tensor<3x2xf64>, %B: tensor<4x3xf64>, %C: tensor<2x4xf64>) -> f64 {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%A, %B : tensor<3x2xf64>, tensor<4x3xf64>) outs(%C : tensor<2x4xf64>) -> tensor<2x4xf64>
  %t = math.tanh %r : tensor<2x4xf64>
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%t : tensor<2x4xf64>) outs(%i : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %c = tensor.extract %s[] : tensor<f64>
  return %c : f64
}
func.func @mm_grad(%A: tensor<3x2xf64>, %B: tensor<4x3xf64>, %C: tensor<2x4xf64>) -> (tensor<3x2xf64>, tensor<4x3xf64>, tensor<2x4xf64>) {
  %0:3 = scan.grad @mm_cost(%A, %B, %C) wrt [0, 1, 2] : (tensor<3x2xf64>, tensor<4x3xf64>, tensor<2x4xf64>) -> (tensor<3x2xf64>, tensor<4x3xf64>, tensor<2x4xf64>)
  return %0#0, %0#1, %0#2 : tensor<3x2xf64>, tensor<4x3xf64>, tensor<2x4xf64>
}
// A (k x m) transposed, B plain: and A plain, B transposed, chained.
func.func @mm2_cost(%A: tensor<3x2xf64>, %B: tensor<3x4xf64>, %D: tensor<5x4xf64>) -> f64 {
  %z = arith.constant 0.0 : f64
  %e0 = tensor.empty() : tensor<2x4xf64>
  %z0 = linalg.fill ins(%z : f64) outs(%e0 : tensor<2x4xf64>) -> tensor<2x4xf64>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%A, %B : tensor<3x2xf64>, tensor<3x4xf64>) outs(%z0 : tensor<2x4xf64>) -> tensor<2x4xf64>
  %t = math.tanh %r : tensor<2x4xf64>
  %e1 = tensor.empty() : tensor<2x5xf64>
  %z1 = linalg.fill ins(%z : f64) outs(%e1 : tensor<2x5xf64>) -> tensor<2x5xf64>
  %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%t, %D : tensor<2x4xf64>, tensor<5x4xf64>) outs(%z1 : tensor<2x5xf64>) -> tensor<2x5xf64>
  %q2 = arith.mulf %q, %q : tensor<2x5xf64>
  %e = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%z : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%q2 : tensor<2x5xf64>) outs(%i : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %c = tensor.extract %s[] : tensor<f64>
  return %c : f64
}
func.func @mm2_grad(%A: tensor<3x2xf64>, %B: tensor<3x4xf64>, %D: tensor<5x4xf64>) -> (tensor<3x2xf64>, tensor<3x4xf64>, tensor<5x4xf64>) {
  %0:3 = scan.grad @mm2_cost(%A, %B, %D) wrt [0, 1, 2] : (tensor<3x2xf64>, tensor<3x4xf64>, tensor<5x4xf64>) -> (tensor<3x2xf64>, tensor<3x4xf64>, tensor<5x4xf64>)
  return %0#0, %0#1, %0#2 : tensor<3x2xf64>, tensor<3x4xf64>, tensor<5x4xf64>
}
// Elementwise arith and math, and a mean (sum times a constant).
func.func @ew_cost(%a: tensor<2x3xf64>, %b: tensor<2x3xf64>) -> f64 {
  %one = arith.constant dense<1.0> : tensor<2x3xf64>
  %ab = arith.mulf %a, %b : tensor<2x3xf64>
  %na = arith.negf %a : tensor<2x3xf64>
  %num = arith.subf %ab, %na : tensor<2x3xf64>
  %eb = math.exp %b : tensor<2x3xf64>
  %den = arith.addf %eb, %one : tensor<2x3xf64>
  %y = arith.divf %num, %den : tensor<2x3xf64>
  %yy = arith.mulf %y, %y : tensor<2x3xf64>
  %p = arith.addf %yy, %one : tensor<2x3xf64>
  %l = math.log %p : tensor<2x3xf64>
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%z : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%l : tensor<2x3xf64>) outs(%i : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %t = arith.addf %in, %acc : f64
      linalg.yield %t : f64 }
  %c = tensor.extract %s[] : tensor<f64>
  %k = arith.constant 0.16666666666666666 : f64
  %m = arith.mulf %c, %k : f64
  return %m : f64
}
func.func @ew_grad(%a: tensor<2x3xf64>, %b: tensor<2x3xf64>) -> (tensor<2x3xf64>, tensor<2x3xf64>) {
  %0:2 = scan.grad @ew_cost(%a, %b) wrt [0, 1] : (tensor<2x3xf64>, tensor<2x3xf64>) -> (tensor<2x3xf64>, tensor<2x3xf64>)
  return %0#0, %0#1 : tensor<2x3xf64>, tensor<2x3xf64>
}
// Slices, concat, transpose, broadcast, rank-reduced slice, insert_slice.
func.func @shape_cost(%x: tensor<4x6xf64>, %v: tensor<6xf64>, %y: tensor<12x5xf64>) -> f64 {
  %s1 = tensor.extract_slice %x[0, 0] [2, 6] [1, 1] : tensor<4x6xf64> to tensor<2x6xf64>
  %s2 = tensor.extract_slice %x[1, 0] [2, 6] [2, 1] : tensor<4x6xf64> to tensor<2x6xf64>
  %c = tensor.concat dim(1) %s1, %s2 : (tensor<2x6xf64>, tensor<2x6xf64>) -> tensor<2x12xf64>
  %te = tensor.empty() : tensor<12x2xf64>
  %t = linalg.transpose ins(%c : tensor<2x12xf64>) outs(%te : tensor<12x2xf64>) permutation = [1, 0]
  %th = math.tanh %t : tensor<12x2xf64>
  %ins = tensor.insert_slice %th into %y[0, 1] [12, 2] [1, 2] : tensor<12x2xf64> into tensor<12x5xf64>
  %be = tensor.empty() : tensor<4x6xf64>
  %b = linalg.broadcast ins(%v : tensor<6xf64>) outs(%be : tensor<4x6xf64>) dimensions = [0]
  %row = tensor.extract_slice %x[3, 0] [1, 6] [1, 1] : tensor<4x6xf64> to tensor<6xf64>
  %re = tensor.empty() : tensor<4x6xf64>
  %rb = linalg.broadcast ins(%row : tensor<6xf64>) outs(%re : tensor<4x6xf64>) dimensions = [0]
  %bx = arith.mulf %b, %x : tensor<4x6xf64>
  %bx2 = arith.mulf %bx, %rb : tensor<4x6xf64>
  %z = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%z : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %ins2 = arith.mulf %ins, %ins : tensor<12x5xf64>
  %s = linalg.reduce ins(%ins2 : tensor<12x5xf64>) outs(%i : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %s3 = linalg.reduce ins(%bx2 : tensor<4x6xf64>) outs(%s : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %acc, %in : f64
      linalg.yield %q : f64 }
  %r = tensor.extract %s3[] : tensor<f64>
  %idx0 = arith.constant 0 : index
  %idx2 = arith.constant 2 : index
  %xe = tensor.extract %x[%idx2, %idx0] : tensor<4x6xf64>
  %r2 = arith.mulf %r, %xe : f64
  return %r2 : f64
}
func.func @shape_grad(%x: tensor<4x6xf64>, %v: tensor<6xf64>, %y: tensor<12x5xf64>) -> (tensor<4x6xf64>, tensor<6xf64>, tensor<12x5xf64>) {
  %0:3 = scan.grad @shape_cost(%x, %v, %y) wrt [0, 1, 2] : (tensor<4x6xf64>, tensor<6xf64>, tensor<12x5xf64>) -> (tensor<4x6xf64>, tensor<6xf64>, tensor<12x5xf64>)
  return %0#0, %0#1, %0#2 : tensor<4x6xf64>, tensor<6xf64>, tensor<12x5xf64>
}
// Fill of a differentiated scalar.
func.func @fill_cost(%s: f64, %x: tensor<2x3xf64>) -> f64 {
  %e = tensor.empty() : tensor<2x3xf64>
  %f = linalg.fill ins(%s : f64) outs(%e : tensor<2x3xf64>) -> tensor<2x3xf64>
  %p = arith.mulf %f, %x : tensor<2x3xf64>
  %t = math.tanh %p : tensor<2x3xf64>
  %z = arith.constant 0.0 : f64
  %e0 = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%z : f64) outs(%e0 : tensor<f64>) -> tensor<f64>
  %r = linalg.reduce ins(%t : tensor<2x3xf64>) outs(%i : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %q = arith.addf %in, %acc : f64
      linalg.yield %q : f64 }
  %c = tensor.extract %r[] : tensor<f64>
  return %c : f64
}
func.func @fill_grad(%s: f64, %x: tensor<2x3xf64>) -> (f64, tensor<2x3xf64>) {
  %0:2 = scan.grad @fill_cost(%s, %x) wrt [0, 1] : (f64, tensor<2x3xf64>) -> (f64, tensor<2x3xf64>)
  return %0#0, %0#1 : f64, tensor<2x3xf64>
}
