// scan-lower-to-cpu end to end on the shape of code reverse-mode
// differentiation produces for a simple RNN: a forward scan storing h_t and
// h_(t-1), then a reverse scan carrying dh and the weight gradient dW, which
// accumulates dW += h_(t-1)^T dpre through a transposed matmul into the
// carry (BLAS with beta = 1), and propagates dh = dpre W^T (BLAS with
// transB). The result is compared with a NumPy reference that is itself
// checked against central finite differences of sum(h_T).
//
// RUN: scan-opt %s --scan-lower-to-cpu \
// RUN: | mlir-runner -e main -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s
//
// With parallel-min-elements=4 every op of 2 x 3 elements runs in parallel,
// the copy of h0 into its stack included (a linalg.copy in omp.parallel);
// the results must not change.
// RUN: scan-opt %s '--scan-lower-to-cpu=parallel-min-elements=4' \
// RUN: | mlir-runner -e main -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s
// RUN: scan-opt %s '--scan-lower-to-cpu=parallel-min-elements=4' -o /dev/null \
// RUN:   --mlir-print-ir-after=scan-parallelize-elementwise 2>&1 \
// RUN: | FileCheck %s --check-prefix=COPY
// RUN: scan-opt %s --scan-lower-to-cpu -o /dev/null \
// RUN:   --mlir-print-ir-after=scan-parallelize-elementwise 2>&1 \
// RUN: | FileCheck %s --check-prefix=MEMCPY

// The forward scan stacks h_(t-1) and h_t, and h_t is computed from h_(t-1)
// through a matmul: the carry lives in one stack of T + 1 = 5 slices. h0 is
// copied into slice 0 once; step t reads slice t and computes tanh straight
// into slice t + 1, with no copy in the loop; h_T, the h_t stack and the
// h_(t-1) stack are slices 4, 1..4 and 0..3 of it.
// COPY-LABEL: func.func private @grad_w(
//       COPY:   %[[STACK:.*]] = memref.alloc() {{.*}} : memref<5x2x3xf32>
//       COPY:   omp.parallel {
//       COPY:     linalg.copy ins(%{{.*}} : memref<1x3xf32, strided<[3, 1], offset: ?>>) outs(%{{.*}} : memref<1x3xf32, strided<[3, 1], offset: ?>>)
//       COPY:   scf.for %[[T:.*]] = %c0 to %c4
//   COPY-NOT:     copy
//       COPY:     %[[NEXT:.*]] = arith.addi %[[T]], %c1
//   COPY-NOT:     copy
//       COPY:     memref.subview %[[STACK]][%[[T]], 0, 0] [1, 2, 3]
//   COPY-NOT:     copy
//       COPY:     func.call @scanrt_sgemm_packed
//   COPY-NOT:     copy
//       COPY:     memref.subview %[[STACK]][%[[NEXT]], 0, 0] [1, 2, 3]
//   COPY-NOT:     copy
//       COPY:     linalg.generic
//   COPY-NOT:     copy
//       COPY:   call @scanrt_gemm_pack_free
//       COPY:   memref.subview %[[STACK]][4, 0, 0] [1, 2, 3]
//       COPY:   memref.subview %[[STACK]][1, 0, 0] [4, 2, 3]
//       COPY:   memref.subview %[[STACK]][0, 0, 0] [4, 2, 3]
// MEMCPY-LABEL: func.func private @grad_w(
//       MEMCPY:   %[[STACK:.*]] = memref.alloc() {{.*}} : memref<5x2x3xf32>
//       MEMCPY:   %[[FIRST:.*]] = memref.subview %[[STACK]][0, 0, 0] [1, 2, 3]
//       MEMCPY:   memref.copy %arg1, %[[FIRST]] : memref<2x3xf32> to memref<2x3xf32, strided<[3, 1]>>
//       MEMCPY:   scf.for
//   MEMCPY-NOT:     copy
//       MEMCPY:     linalg.generic
//   MEMCPY-NOT:     copy
//       MEMCPY:   call @scanrt_gemm_pack_free

// CHECK: 1
// CHECK-NEXT: 1

func.func private @grad_w(%x: tensor<4x2x3xf32>, %h0: tensor<2x3xf32>, %W: tensor<3x3xf32>)
    -> (tensor<3x3xf32>, tensor<2x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %hT, %hs, %hp = scan.scan carries(%h = %h0 : tensor<2x3xf32>)
      sequences(%xt = %x : tensor<4x2x3xf32>)
      -> (tensor<2x3xf32>, tensor<4x2x3xf32>, tensor<4x2x3xf32>) {
    %hW = linalg.matmul ins(%h, %W : tensor<2x3xf32>, tensor<3x3xf32>)
                        outs(%acc0 : tensor<2x3xf32>) -> tensor<2x3xf32>
    %pre = arith.addf %xt, %hW : tensor<2x3xf32>
    %hn = math.tanh %pre : tensor<2x3xf32>
    scan.yield %hn, %hn, %h : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
  }
  %ones = linalg.fill ins(%one : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %ew = tensor.empty() : tensor<3x3xf32>
  %dW0 = linalg.fill ins(%zero : f32) outs(%ew : tensor<3x3xf32>) -> tensor<3x3xf32>
  %dh0, %dW = scan.scan reverse carries(%dh = %ones : tensor<2x3xf32>, %dw = %dW0 : tensor<3x3xf32>)
      sequences(%ht = %hs : tensor<4x2x3xf32>, %hpt = %hp : tensor<4x2x3xf32>)
      -> (tensor<2x3xf32>, tensor<3x3xf32>) {
    %ones2 = linalg.fill ins(%one : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
    %sq = arith.mulf %ht, %ht : tensor<2x3xf32>
    %d = arith.subf %ones2, %sq : tensor<2x3xf32>
    %dpre = arith.mulf %dh, %d : tensor<2x3xf32>
    %dwn = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                          affine_map<(m, n, k) -> (k, n)>,
                                          affine_map<(m, n, k) -> (m, n)>]
        ins(%hpt, %dpre : tensor<2x3xf32>, tensor<2x3xf32>)
        outs(%dw : tensor<3x3xf32>) -> tensor<3x3xf32>
    %dhn = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                          affine_map<(m, n, k) -> (n, k)>,
                                          affine_map<(m, n, k) -> (m, n)>]
        ins(%dpre, %W : tensor<2x3xf32>, tensor<3x3xf32>)
        outs(%acc0 : tensor<2x3xf32>) -> tensor<2x3xf32>
    scan.yield %dhn, %dwn : tensor<2x3xf32>, tensor<3x3xf32>
  }
  return %dW, %hT : tensor<3x3xf32>, tensor<2x3xf32>
}

func.func @_scan_run_grad_w(%x: tensor<4x2x3xf32>, %h0: tensor<2x3xf32>, %W: tensor<3x3xf32>)
    -> (tensor<3x3xf32>, tensor<2x3xf32>) attributes {llvm.emit_c_interface} {
  %dW, %hT = call @grad_w(%x, %h0, %W)
      : (tensor<4x2x3xf32>, tensor<2x3xf32>, tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<2x3xf32>)
  return %dW, %hT : tensor<3x3xf32>, tensor<2x3xf32>
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
  %x = arith.constant dense<[[[0.00050000, 0.14950000, -0.13699999], [-0.44549999, -0.22750001, -0.49599999]], [[0.03000000, 0.67000002, -0.24600001], [-0.31000000, 0.24500000, 0.17850000]], [[0.05250000, -0.46500000, -0.01450000], [0.34750000, -0.67199999, -0.22900000]], [[-0.95050001, -0.64499998, -0.92100000], [-0.11750000, -0.63349998, 0.13550000]]]> : tensor<4x2x3xf32>
  %h0 = arith.constant dense<[[0.07850000, -0.09350000, -1.25849998], [-0.26949999, -0.02450000, 0.05650000]]> : tensor<2x3xf32>
  %W = arith.constant dense<[[-0.76499999, -0.23899999, -0.48949999], [-0.40450001, 0.53049999, -0.40400001], [-0.01650000, 0.44200000, -0.29200000]]> : tensor<3x3xf32>
  %dW, %hT = call @_scan_run_grad_w(%x, %h0, %W)
      : (tensor<4x2x3xf32>, tensor<2x3xf32>, tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<2x3xf32>)
  %dWRef = arith.constant dense<[[-0.05821877, -0.04855079, 0.13988847], [-1.54880172, -0.57062896, -0.55822480], [-0.38775329, -0.31921960, -0.64486364]]> : tensor<3x3xf32>
  %hTRef = arith.constant dense<[[-0.53835772, -0.69310726, -0.52192869], [-0.21334770, -0.79359473, 0.22086181]]> : tensor<2x3xf32>
  %a0 = tensor.collapse_shape %dW [[0, 1]] : tensor<3x3xf32> into tensor<9xf32>
  %b0 = tensor.collapse_shape %dWRef [[0, 1]] : tensor<3x3xf32> into tensor<9xf32>
  %a0d = tensor.cast %a0 : tensor<9xf32> to tensor<?xf32>
  %b0d = tensor.cast %b0 : tensor<9xf32> to tensor<?xf32>
  call @check(%a0d, %b0d) : (tensor<?xf32>, tensor<?xf32>) -> ()
  %a1 = tensor.collapse_shape %hT [[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
  %b1 = tensor.collapse_shape %hTRef [[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
  %a1d = tensor.cast %a1 : tensor<6xf32> to tensor<?xf32>
  %b1d = tensor.cast %b1 : tensor<6xf32> to tensor<?xf32>
  call @check(%a1d, %b1d) : (tensor<?xf32>, tensor<?xf32>) -> ()
  return
}
