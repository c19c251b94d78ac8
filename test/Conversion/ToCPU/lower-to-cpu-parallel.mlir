// scan-lower-to-cpu runs elementwise ops of at least 16384 iterations in
// omp.parallel regions (scan-parallelize-elementwise) and smaller ones
// serially; parallel-elementwise=false turns it off. Run with 1, 2 and 3
// threads, every element of every result must be exact: y = v * 0.5 + 3
// with v the element's row-major position, which also checks that
// linalg.index sees the tile's offset. Shapes: 2-D (one loop split), 3-D
// (two leading loops linearised), 1-D (tiles of 320, the last one partial),
// two long rows (each cut into chunks), and a small 2-D op that stays
// serial.
//
// RUN: scan-opt %s --scan-lower-to-cpu | FileCheck %s --check-prefix=IR
// RUN: scan-opt %s '--scan-lower-to-cpu=parallel-elementwise=false' \
// RUN: | FileCheck %s --check-prefix=OFF --implicit-check-not=omp.
// RUN: scan-opt %s '--scan-lower-to-cpu=parallel-min-elements=1000' \
// RUN: | FileCheck %s --check-prefix=MIN
// RUN: scan-opt %s --scan-lower-to-cpu > %t.mlir
// RUN: env SCANRT_NUM_THREADS=1 mlir-runner %t.mlir -e main \
// RUN:   -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s
// RUN: env SCANRT_NUM_THREADS=2 mlir-runner %t.mlir -e main \
// RUN:   -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s
// RUN: env SCANRT_NUM_THREADS=3 mlir-runner %t.mlir -e main \
// RUN:   -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s

// Each thread asks libomp for its number and the team size.
//  IR-DAG: llvm.func @omp_get_thread_num() -> i32
//  IR-DAG: llvm.func @omp_get_num_threads() -> i32
//      IR-LABEL: llvm.func @big2d(
//      IR:   omp.parallel {
//      IR:     llvm.call @omp_get_thread_num()
//      IR:     llvm.call @omp_get_num_threads()
//      IR:     omp.terminator
//      IR-LABEL: llvm.func @big3d(
//      IR:   omp.parallel {
//      IR-LABEL: llvm.func @big1d(
//      IR:   omp.parallel {
//      IR-LABEL: llvm.func @long_rows(
//      IR:   omp.parallel {
//      IR-LABEL: llvm.func @small(
//  IR-NOT:   omp.parallel
//      IR-LABEL: llvm.func @main(
//  IR-NOT:   omp.parallel

// OFF-LABEL: llvm.func @big2d(

// Below the default threshold (10 x 100 iterations) only with a lower one.
// MIN-LABEL: llvm.func @small(
//       MIN:   omp.parallel {

// Mismatches of big2d, big3d, big1d, long_rows, small:
//      CHECK: {{^0$}}
// CHECK-NEXT: {{^0$}}
// CHECK-NEXT: {{^0$}}
// CHECK-NEXT: {{^0$}}
// CHECK-NEXT: {{^0$}}

#id1 = affine_map<(i) -> (i)>
#id2 = affine_map<(i, j) -> (i, j)>
#id3 = affine_map<(i, j, k) -> (i, j, k)>

func.func private @big2d() -> tensor<100x300xf32> {
  %e = tensor.empty() : tensor<100x300xf32>
  %y = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<100x300xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c300 = arith.constant 300 : index
    %r = arith.muli %i, %c300 : index
    %p = arith.addi %r, %j : index
    %v = func.call @value(%p) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<100x300xf32>
  return %y : tensor<100x300xf32>
}

func.func private @big3d() -> tensor<4x10x500xf32> {
  %e = tensor.empty() : tensor<4x10x500xf32>
  %y = linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%e : tensor<4x10x500xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %k = linalg.index 2 : index
    %c10 = arith.constant 10 : index
    %c500 = arith.constant 500 : index
    %a = arith.muli %i, %c10 : index
    %b = arith.addi %a, %j : index
    %c = arith.muli %b, %c500 : index
    %p = arith.addi %c, %k : index
    %v = func.call @value(%p) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<4x10x500xf32>
  return %y : tensor<4x10x500xf32>
}

func.func private @big1d() -> tensor<20000xf32> {
  %e = tensor.empty() : tensor<20000xf32>
  %y = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]}
      outs(%e : tensor<20000xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %v = func.call @value(%i) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<20000xf32>
  return %y : tensor<20000xf32>
}

func.func private @long_rows() -> tensor<2x10000xf32> {
  %e = tensor.empty() : tensor<2x10000xf32>
  %y = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<2x10000xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c10000 = arith.constant 10000 : index
    %r = arith.muli %i, %c10000 : index
    %p = arith.addi %r, %j : index
    %v = func.call @value(%p) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<2x10000xf32>
  return %y : tensor<2x10000xf32>
}

func.func private @small() -> tensor<10x100xf32> {
  %e = tensor.empty() : tensor<10x100xf32>
  %y = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<10x100xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c100 = arith.constant 100 : index
    %r = arith.muli %i, %c100 : index
    %p = arith.addi %r, %j : index
    %v = func.call @value(%p) : (index) -> f32
    linalg.yield %v : f32
  } -> tensor<10x100xf32>
  return %y : tensor<10x100xf32>
}

// v * 0.5 + 3, exact in f32 for these positions.
func.func private @value(%p: index) -> f32 {
  %i = arith.index_cast %p : index to i64
  %v = arith.sitofp %i : i64 to f32
  %half = arith.constant 0.5 : f32
  %three = arith.constant 3.0 : f32
  %m = arith.mulf %v, %half : f32
  %y = arith.addf %m, %three : f32
  return %y : f32
}

func.func private @printI64(i64)
func.func private @printNewline()

// Prints how many elements of %y (flattened) differ from @value.
func.func @report(%y: tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i64
  %one = arith.constant 1 : i64
  %n = tensor.dim %y, %c0 : tensor<?xf32>
  %bad = scf.for %p = %c0 to %n step %c1 iter_args(%acc = %zero) -> (i64) {
    %got = tensor.extract %y[%p] : tensor<?xf32>
    %want = func.call @value(%p) : (index) -> f32
    %ne = arith.cmpf une, %got, %want : f32
    %inc = arith.select %ne, %one, %zero : i64
    %next = arith.addi %acc, %inc : i64
    scf.yield %next : i64
  }
  call @printI64(%bad) : (i64) -> ()
  call @printNewline() : () -> ()
  return
}

func.func @main() {
  %a = call @big2d() : () -> tensor<100x300xf32>
  %af = tensor.collapse_shape %a [[0, 1]] : tensor<100x300xf32> into tensor<30000xf32>
  %ad = tensor.cast %af : tensor<30000xf32> to tensor<?xf32>
  call @report(%ad) : (tensor<?xf32>) -> ()
  %b = call @big3d() : () -> tensor<4x10x500xf32>
  %bf = tensor.collapse_shape %b [[0, 1, 2]] : tensor<4x10x500xf32> into tensor<20000xf32>
  %bd = tensor.cast %bf : tensor<20000xf32> to tensor<?xf32>
  call @report(%bd) : (tensor<?xf32>) -> ()
  %c = call @big1d() : () -> tensor<20000xf32>
  %cd = tensor.cast %c : tensor<20000xf32> to tensor<?xf32>
  call @report(%cd) : (tensor<?xf32>) -> ()
  %e = call @long_rows() : () -> tensor<2x10000xf32>
  %ef = tensor.collapse_shape %e [[0, 1]] : tensor<2x10000xf32> into tensor<20000xf32>
  %ed = tensor.cast %ef : tensor<20000xf32> to tensor<?xf32>
  call @report(%ed) : (tensor<?xf32>) -> ()
  %d = call @small() : () -> tensor<10x100xf32>
  %df = tensor.collapse_shape %d [[0, 1]] : tensor<10x100xf32> into tensor<1000xf32>
  %dd = tensor.cast %df : tensor<1000xf32> to tensor<?xf32>
  call @report(%dd) : (tensor<?xf32>) -> ()
  return
}
