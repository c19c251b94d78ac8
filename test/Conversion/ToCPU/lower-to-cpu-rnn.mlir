// scan-lower-to-cpu end to end: a reverse RNN scan whose hidden state is
// both the carry and a stacked output, called through a C-interface wrapper
// that returns every result as a tensor (the scan-run ABI), run with
// mlir-runner and compared with values computed independently (NumPy, f64):
//   for t = 4 .. 0:  h = tanh(x[t] + h W);  hs[t] = h;  total = sum(h_T).
//
// RUN: scan-opt %s --scan-lower-to-cpu | FileCheck %s --check-prefix=IR \
// RUN:   --implicit-check-not=linalg. --implicit-check-not=scf. \
// RUN:   --implicit-check-not=memref. --implicit-check-not=tensor.
// RUN: scan-opt %s --scan-lower-to-cpu \
// RUN: | mlir-runner -e main -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s

// Everything is in the LLVM dialect. Memref results became trailing
// out-params: the C interface of the wrapper takes three input descriptors and
// three output descriptors and returns nothing. The matmul is a BLAS call on
// the weight packed once before the loop.
//       IR: llvm.func @scanrt_sgemm_pack_b(i32, i64, i64, !llvm.ptr, i64, i64) -> !llvm.ptr
//       IR: llvm.func @rnn(
//       IR:   %[[P:.*]] = llvm.call @scanrt_sgemm_pack_b(
//       IR:   llvm.call @scanrt_sgemm_packed({{.*}}, %[[P]],
//       IR:   llvm.call @scanrt_gemm_pack_free(%[[P]])
//       IR: llvm.func @_scan_run_rnn(
//       IR: llvm.func @_mlir_ciface__scan_run_rnn(%{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr) attributes {{.*}}llvm.emit_c_interface
//   IR-NOT:   llvm.return %
//       IR:   llvm.return

// The per-element error against the reference stays below 1e-5 for the final
// carry, every stacked step and the sum.
// CHECK: 1
// CHECK-NEXT: 1
// CHECK-NEXT: 1

func.func private @rnn(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>,
                       %W: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT, %hs = scan.scan reverse carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%acc0 : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hW : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn, %hn : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %hs : tensor<2x4xf32>, tensor<5x2x4xf32>
}

// The shape of wrapper scan-run builds: results as tensors, the scalar one
// as a rank-0 tensor.
func.func @_scan_run_rnn(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>,
                         %W: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<f32>)
    attributes {llvm.emit_c_interface} {
  %hT, %hs = call @rnn(%x, %h0, %W)
      : (tensor<5x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>)
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<2x4xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %total = tensor.extract %sum[] : tensor<f32>
  %t = tensor.from_elements %total : tensor<f32>
  return %hT, %hs, %t : tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<f32>
}

func.func private @printI64(i64)
func.func private @printNewline()

// Prints 1 when every |a - b| < 1e-5.
func.func @check(%a: tensor<?xf32>, %b: tensor<?xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %max = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>,
                                           affine_map<(i) -> ()>],
                         iterator_types = ["reduction"]}
      ins(%a, %b : tensor<?xf32>, tensor<?xf32>) outs(%init : tensor<f32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %d = arith.subf %x, %y : f32
      %ad = math.absf %d : f32
      %m = arith.maximumf %ad, %acc : f32
      linalg.yield %m : f32
    } -> tensor<f32>
  %v = tensor.extract %max[] : tensor<f32>
  %tol = arith.constant 1.0e-5 : f32
  %ok = arith.cmpf olt, %v, %tol : f32
  %oki = arith.extui %ok : i1 to i64
  call @printI64(%oki) : (i64) -> ()
  call @printNewline() : () -> ()
  return
}

func.func @main() {
  %x = arith.constant dense<[[[0.05000000, -0.10000000, 0.15000000, 0.20000000], [0.25000000, 0.30000000, -0.35000000, 0.40000000]], [[0.10000000, -0.20000000, 0.30000000, 0.40000000], [0.50000000, 0.60000000, -0.70000000, 0.80000000]], [[0.15000000, -0.30000000, 0.45000000, 0.60000000], [0.75000000, 0.90000000, -1.05000000, 1.20000000]], [[0.20000000, -0.40000000, 0.60000000, 0.80000000], [1.00000000, 1.20000000, -1.40000000, 1.60000000]], [[0.25000000, -0.50000000, 0.75000000, 1.00000000], [1.25000000, 1.50000000, -1.75000000, 2.00000000]]]> : tensor<5x2x4xf32>
  %h0 = arith.constant dense<[[1.0, 0.0, -1.0, 0.5], [0.25, -0.5, 0.75, 1.0]]> : tensor<2x4xf32>
  %W = arith.constant dense<[[0.5, -0.25, 0.0, 0.125], [0.3, 0.2, -0.1, 0.0],
                             [-0.4, 0.1, 0.6, 0.2], [0.05, 0.5, -0.3, 0.7]]> : tensor<4x4xf32>
  %hT, %hs, %total = call @_scan_run_rnn(%x, %h0, %W)
      : (tensor<5x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<f32>)

  %hTRef = arith.constant dense<[[0.09125685, 0.34285069, 0.04776649, 0.68028790], [0.87331782, 0.50782102, -0.84660103, 0.73930139]]> : tensor<2x4xf32>
  %hsRef = arith.constant dense<[[[0.09125685, 0.34285069, 0.04776649, 0.68028790], [0.87331782, 0.50782102, -0.84660103, 0.73930139]], [[0.08042811, 0.23260213, 0.27213131, 0.80738570], [0.93114031, 0.71908735, -0.92858645, 0.88323094]], [[0.18733048, 0.02028256, 0.40760801, 0.87790797], [0.96054893, 0.84321288, -0.96569380, 0.94763311]], [[0.45784135, -0.27872903, 0.37751706, 0.90547957], [0.96913333, 0.92304523, -0.98168970, 0.97606298]], [[0.82586846, -0.53704957, 0.00000000, 0.85514703], [0.75089328, 0.95729489, -0.91378549, 0.99373321]]]> : tensor<5x2x4xf32>
  %totalRef = arith.constant dense<2.43600114> : tensor<f32>

  %a0 = tensor.collapse_shape %hT [[0, 1]] : tensor<2x4xf32> into tensor<8xf32>
  %b0 = tensor.collapse_shape %hTRef [[0, 1]] : tensor<2x4xf32> into tensor<8xf32>
  %a0d = tensor.cast %a0 : tensor<8xf32> to tensor<?xf32>
  %b0d = tensor.cast %b0 : tensor<8xf32> to tensor<?xf32>
  call @check(%a0d, %b0d) : (tensor<?xf32>, tensor<?xf32>) -> ()

  %a1 = tensor.collapse_shape %hs [[0, 1, 2]] : tensor<5x2x4xf32> into tensor<40xf32>
  %b1 = tensor.collapse_shape %hsRef [[0, 1, 2]] : tensor<5x2x4xf32> into tensor<40xf32>
  %a1d = tensor.cast %a1 : tensor<40xf32> to tensor<?xf32>
  %b1d = tensor.cast %b1 : tensor<40xf32> to tensor<?xf32>
  call @check(%a1d, %b1d) : (tensor<?xf32>, tensor<?xf32>) -> ()

  %a2 = tensor.expand_shape %total [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %b2 = tensor.expand_shape %totalRef [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %a2d = tensor.cast %a2 : tensor<1xf32> to tensor<?xf32>
  %b2d = tensor.cast %b2 : tensor<1xf32> to tensor<?xf32>
  call @check(%a2d, %b2d) : (tensor<?xf32>, tensor<?xf32>) -> ()
  return
}
