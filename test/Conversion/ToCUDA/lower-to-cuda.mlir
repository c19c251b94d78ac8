// The whole CUDA lowering on a small recurrent cell written with scf.for on
// tensors (h_t = sigmoid(x_t + h W), cost = sum(h_T)) and the wrapper that
// scan-run adds, from tensors to LLVM dialect with embedded PTX.
// RUN: scan-opt %s --scan-lower-to-cuda -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: mlir-translate --mlir-to-llvmir %t.mlir | FileCheck %s --check-prefix=LLVMIR
// RUN: %if ptxas %{ %python %S/Inputs/extract-ptx.py %t.mlir %t.kernel %ptxas sm_90 | FileCheck %s --check-prefix=PTXAS %}
// RUN: scan-opt %s --scan-lower-to-cuda="chip=sm_80 features=+ptx75" | FileCheck %s --check-prefix=SM80

// Kernels: PTX for sm_90 (PTX ISA 8.0) in gpu.binary ops, no gpu.module left.
//   CHECK-NOT: gpu.module
//       CHECK: gpu.binary @{{.*}} [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.version 8.0\0A.target sm_90
//   CHECK-NOT: gpu.module

// Host code: one stream per call, a cuBLAS call and kernel launches in the
// loop, copies for the scalar result, a wait before returning; buffers are
// the caller's (device) memory, the result an out-param.
// CHECK-LABEL: llvm.func @_scan_run_cell(
//       CHECK:   llvm.call @mgpuStreamCreate()
//       CHECK:   llvm.call @mgpuMemAlloc(
//       CHECK:   llvm.call @scancuda_sgemm(
//       CHECK:   gpu.launch_func <%{{.*}} : !llvm.ptr> @
//       CHECK:   llvm.call @mgpuMemcpy(
//       CHECK:   llvm.call @mgpuStreamSynchronize(
//       CHECK:   llvm.return
// The C interface scan-run calls: inputs then the out-param, as descriptors.
// CHECK-LABEL: llvm.func @_mlir_ciface__scan_run_cell(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
//   CHECK-DAG: llvm.func @scancuda_sgemm(i32, i32, i64, i64, i64, f32, i64, i64, i64, i64, f32, i64, i64)
//   CHECK-DAG: llvm.func @mgpuMemFree(!llvm.ptr, !llvm.ptr)

// The translation scan-run performs: the runtime's ABI, and a constructor
// loading the PTX through the driver's JIT.
//   LLVMIR-DAG: declare void @scancuda_sgemm(i32, i32, i64, i64, i64, float, i64, i64, i64, i64, float, i64, i64)
//   LLVMIR-DAG: declare ptr @mgpuModuleLoadJIT(ptr, i32)
//   LLVMIR-DAG: declare void @mgpuLaunchKernel(ptr, i64, i64, i64, i64, i64, i64, i32, ptr, ptr, ptr, i64)
//   LLVMIR-DAG: declare ptr @mgpuMemAlloc(i64, ptr, i8)
//   LLVMIR-DAG: define void @_mlir_ciface__scan_run_cell(

// PTXAS: extracted [[N:[1-9][0-9]*]] PTX modules
// PTXAS: ptxas -arch=sm_90 accepted [[N]] PTX modules

// SM80: #nvvm.target<O = 3, chip = "sm_80", features = "+ptx75">
// SM80-SAME: .target sm_80

func.func @cell(%x: tensor<5x8x16xf32>, %h0: tensor<8x16xf32>, %W: tensor<16x16xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<8x16xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %empty = tensor.empty() : tensor<8x16xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<8x16xf32>) -> tensor<8x16xf32>
  %hT = scf.for %t = %c0 to %c5 step %c1 iter_args(%h = %h0) -> tensor<8x16xf32> {
    %xt = tensor.extract_slice %x[%t, 0, 0] [1, 8, 16] [1, 1, 1] : tensor<5x8x16xf32> to tensor<8x16xf32>
    %hw = linalg.matmul ins(%h, %W : tensor<8x16xf32>, tensor<16x16xf32>) outs(%acc0 : tensor<8x16xf32>) -> tensor<8x16xf32>
    %a = arith.addf %xt, %hw : tensor<8x16xf32>
    %n = arith.negf %a : tensor<8x16xf32>
    %e = math.exp %n : tensor<8x16xf32>
    %d = arith.addf %one, %e : tensor<8x16xf32>
    %s = arith.divf %one, %d : tensor<8x16xf32>
    scf.yield %s : tensor<8x16xf32>
  }
  %sum0 = tensor.empty() : tensor<f32>
  %sumInit = linalg.fill ins(%zero : f32) outs(%sum0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<8x16xf32>) outs(%sumInit : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %cost = tensor.extract %sum[] : tensor<f32>
  return %cost : f32
}

func.func @_scan_run_cell(%x: tensor<5x8x16xf32>, %h0: tensor<8x16xf32>, %W: tensor<16x16xf32>) -> tensor<f32> attributes {llvm.emit_c_interface} {
  %r = func.call @cell(%x, %h0, %W) : (tensor<5x8x16xf32>, tensor<8x16xf32>, tensor<16x16xf32>) -> f32
  %t = tensor.from_elements %r : tensor<f32>
  return %t : tensor<f32>
}
