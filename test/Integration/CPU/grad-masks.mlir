// Gradients through masks, ReLU and clipping, max/min/product reductions,
// the math ops of losses, and integer and boolean values, f64, checked
// against central finite differences in the plain and the optimised
// pipeline.
//
// RUN: scan-run %s --entry=mask_grad --check-grad --random-scale=1 --variant=plain
// RUN: scan-run %s --entry=mask_grad --check-grad --random-scale=1 --variant=optimized
// RUN: scan-run %s --entry=reduce_grad --check-grad --random-scale=1 --variant=plain
// RUN: scan-run %s --entry=reduce_grad --check-grad --random-scale=1 --variant=optimized
// RUN: scan-run %s --entry=math_grad --check-grad --random-scale=1
// RUN: scan-run %s --entry=tie_grad --check-grad --random-scale=1

// select with a cmpf mask over tensors and a scalar condition from cmpi,
// ReLU (maximumf with 0), clipping (minimumf), a float mask made from the
// boolean one with uitofp, and a broadcast scalar as a select operand.
func.func @mask_cost(%x: tensor<3x4xf64>, %y: tensor<3x4xf64>, %s: tensor<f64>, %n: tensor<3x4xi32>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %zeros = arith.constant dense<0.0> : tensor<3x4xf64>
  %ones = arith.constant dense<1.0> : tensor<3x4xf64>
  %relu = arith.maximumf %x, %zeros : tensor<3x4xf64>
  %clip = arith.minimumf %y, %ones : tensor<3x4xf64>
  %pos = arith.cmpf ogt, %x, %y : tensor<3x4xf64>
  %e = tensor.empty() : tensor<3x4xf64>
  %sb = linalg.broadcast ins(%s : tensor<f64>) outs(%e : tensor<3x4xf64>) dimensions = [0, 1]
  %sel = arith.select %pos, %relu, %sb : tensor<3x4xi1>, tensor<3x4xf64>
  %m = arith.uitofp %pos : tensor<3x4xi1> to tensor<3x4xf64>
  %mc = arith.mulf %m, %clip : tensor<3x4xf64>
  %twos = arith.constant dense<2> : tensor<3x4xi32>
  %even = arith.remsi %n, %twos : tensor<3x4xi32>
  %nf = arith.sitofp %even : tensor<3x4xi32> to tensor<3x4xf64>
  %mcc = arith.addf %mc, %clip : tensor<3x4xf64>
  %mcn = arith.addf %mcc, %nf : tensor<3x4xf64>
  %p = arith.mulf %sel, %mcn : tensor<3x4xf64>
  %c7 = arith.constant 7 : i32
  %c0 = arith.constant 0 : index
  %n00 = tensor.extract %n[%c0, %c0] : tensor<3x4xi32>
  %small = arith.cmpi sle, %n00, %c7 : i32
  %q = arith.select %small, %p, %clip : tensor<3x4xf64>
  %ie = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%ie : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%q : tensor<3x4xf64>) outs(%i : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %c = tensor.extract %sum[] : tensor<f64>
  return %c : f64
}
func.func @mask_grad(%x: tensor<3x4xf64>, %y: tensor<3x4xf64>, %s: tensor<f64>, %n: tensor<3x4xi32>) -> (tensor<3x4xf64>, tensor<3x4xf64>, tensor<f64>) {
  %0:3 = scan.grad @mask_cost(%x, %y, %s, %n) wrt [0, 1, 2] : (tensor<3x4xf64>, tensor<3x4xf64>, tensor<f64>, tensor<3x4xi32>) -> (tensor<3x4xf64>, tensor<3x4xf64>, tensor<f64>)
  return %0#0, %0#1, %0#2 : tensor<3x4xf64>, tensor<3x4xf64>, tensor<f64>
}

// Log-softmax over rows with the max subtracted (a max reduction), a
// product and a min reduction.
func.func @reduce_cost(%x: tensor<3x5xf64>, %w: tensor<3x5xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %one = arith.constant 1.0 : f64
  %e3 = tensor.empty() : tensor<3xf64>
  %minit = linalg.fill ins(%ninf : f64) outs(%e3 : tensor<3xf64>) -> tensor<3xf64>
  %max = linalg.reduce ins(%x : tensor<3x5xf64>) outs(%minit : tensor<3xf64>) dimensions = [1]
    (%in: f64, %acc: f64) { %a = arith.maximumf %in, %acc : f64
      linalg.yield %a : f64 }
  %e35 = tensor.empty() : tensor<3x5xf64>
  %maxb = linalg.broadcast ins(%max : tensor<3xf64>) outs(%e35 : tensor<3x5xf64>) dimensions = [1]
  %shift = arith.subf %x, %maxb : tensor<3x5xf64>
  %ex = math.exp %shift : tensor<3x5xf64>
  %sinit = linalg.fill ins(%zero : f64) outs(%e3 : tensor<3xf64>) -> tensor<3xf64>
  %se = linalg.reduce ins(%ex : tensor<3x5xf64>) outs(%sinit : tensor<3xf64>) dimensions = [1]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %lse = math.log %se : tensor<3xf64>
  %lseb = linalg.broadcast ins(%lse : tensor<3xf64>) outs(%e35 : tensor<3x5xf64>) dimensions = [1]
  %logp = arith.subf %shift, %lseb : tensor<3x5xf64>
  %wl = arith.mulf %w, %logp : tensor<3x5xf64>
  %ie = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%ie : tensor<f64>) -> tensor<f64>
  %ce = linalg.reduce ins(%wl : tensor<3x5xf64>) outs(%i : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %pinit = linalg.fill ins(%one : f64) outs(%e3 : tensor<3xf64>) -> tensor<3xf64>
  %prod = linalg.reduce ins(%w : tensor<3x5xf64>) outs(%pinit : tensor<3xf64>) dimensions = [1]
    (%in: f64, %acc: f64) { %a = arith.mulf %acc, %in : f64
      linalg.yield %a : f64 }
  %pinf = arith.constant 0x7FF0000000000000 : f64
  %ni = linalg.fill ins(%pinf : f64) outs(%ie : tensor<f64>) -> tensor<f64>
  %min = linalg.reduce ins(%x : tensor<3x5xf64>) outs(%ni : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) { %a = arith.minimumf %in, %acc : f64
      linalg.yield %a : f64 }
  %ps = linalg.reduce ins(%prod : tensor<3xf64>) outs(%min : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %t = arith.addf %ps, %ce : tensor<f64>
  %c = tensor.extract %t[] : tensor<f64>
  return %c : f64
}
func.func @reduce_grad(%x: tensor<3x5xf64>, %w: tensor<3x5xf64>) -> (tensor<3x5xf64>, tensor<3x5xf64>) {
  %0:2 = scan.grad @reduce_cost(%x, %w) wrt [0, 1] : (tensor<3x5xf64>, tensor<3x5xf64>) -> (tensor<3x5xf64>, tensor<3x5xf64>)
  return %0#0, %0#1 : tensor<3x5xf64>, tensor<3x5xf64>
}

// The math ops of losses and activations, at inputs made positive where the
// op needs it.
func.func @math_cost(%x: tensor<6xf64>, %p: tensor<6xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %half = arith.constant dense<0.5> : tensor<6xf64>
  %ax = math.absf %x : tensor<6xf64>
  %pos = arith.addf %ax, %half : tensor<6xf64>
  %sq = math.sqrt %pos : tensor<6xf64>
  %rs = math.rsqrt %pos : tensor<6xf64>
  %pw = math.powf %pos, %p : tensor<6xf64>
  %l1 = math.log1p %pos : tensor<6xf64>
  %em = math.expm1 %x : tensor<6xf64>
  %l2 = math.log2 %pos : tensor<6xf64>
  %l10 = math.log10 %pos : tensor<6xf64>
  %sn = math.sin %x : tensor<6xf64>
  %cs = math.cos %p : tensor<6xf64>
  %mx = arith.maxnumf %x, %p : tensor<6xf64>
  %mn = arith.minnumf %x, %p : tensor<6xf64>
  %a0 = arith.addf %sq, %rs : tensor<6xf64>
  %a1 = arith.mulf %a0, %pw : tensor<6xf64>
  %a2 = arith.addf %a1, %l1 : tensor<6xf64>
  %a3 = arith.mulf %a2, %em : tensor<6xf64>
  %a4 = arith.addf %a3, %l2 : tensor<6xf64>
  %a5 = arith.mulf %a4, %l10 : tensor<6xf64>
  %a6 = arith.addf %a5, %sn : tensor<6xf64>
  %a7 = arith.mulf %a6, %cs : tensor<6xf64>
  %a8 = arith.addf %a7, %x : tensor<6xf64>
  %a9 = arith.mulf %a8, %mx : tensor<6xf64>
  %a10 = arith.addf %a9, %mn : tensor<6xf64>
  %ie = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%ie : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%a10 : tensor<6xf64>) outs(%i : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %c = tensor.extract %s[] : tensor<f64>
  return %c : f64
}
func.func @math_grad(%x: tensor<6xf64>, %p: tensor<6xf64>) -> (tensor<6xf64>, tensor<6xf64>) {
  %0:2 = scan.grad @math_cost(%x, %p) wrt [0, 1] : (tensor<6xf64>, tensor<6xf64>) -> (tensor<6xf64>, tensor<6xf64>)
  return %0#0, %0#1 : tensor<6xf64>, tensor<6xf64>
}

// Ties: max(x, x) = x and the maximum of a row holding x twice both have
// gradient 1 per element (half to each tied operand); with the gradient to
// one side only, or to both in full, the check fails.
func.func @tie_cost(%x: tensor<4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %m = arith.maximumf %x, %x : tensor<4xf64>
  %n = arith.minimumf %m, %x : tensor<4xf64>
  %xx = tensor.concat dim(0) %n, %n : (tensor<4xf64>, tensor<4xf64>) -> tensor<8xf64>
  %ie = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%ninf : f64) outs(%ie : tensor<f64>) -> tensor<f64>
  %mx = linalg.reduce ins(%xx : tensor<8xf64>) outs(%i : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) { %a = arith.maximumf %in, %acc : f64
      linalg.yield %a : f64 }
  %z = linalg.fill ins(%zero : f64) outs(%ie : tensor<f64>) -> tensor<f64>
  %s = linalg.reduce ins(%n : tensor<4xf64>) outs(%z : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %t = arith.addf %s, %mx : tensor<f64>
  %c = tensor.extract %t[] : tensor<f64>
  return %c : f64
}
func.func @tie_grad(%x: tensor<4xf64>) -> tensor<4xf64> {
  %0 = scan.grad @tie_cost(%x) wrt [0] : (tensor<4xf64>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}
