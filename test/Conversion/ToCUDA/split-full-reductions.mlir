// RUN: scan-opt %s --split-input-file --scan-split-full-reductions | FileCheck %s

// sum(x) over 80x1000: 80 row sums from zero, then their sum into the init.
// CHECK-LABEL: func.func @sum_2d
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: tensor<80x1000xf32>, %[[INIT:[a-z0-9]+]]: tensor<f32>
//   CHECK-DAG:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
//   CHECK-DAG:   %[[EMPTY:.*]] = tensor.empty() : tensor<80xf32>
//       CHECK:   %[[ZEROS:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<80xf32>)
//       CHECK:   %[[ROWS:.*]] = linalg.reduce ins(%[[X]] : tensor<80x1000xf32>) outs(%[[ZEROS]] : tensor<80xf32>) dimensions = [1]
//       CHECK:     arith.addf
//       CHECK:   %[[SUM:.*]] = linalg.reduce ins(%[[ROWS]] : tensor<80xf32>) outs(%[[INIT]] : tensor<f32>) dimensions = [0]
//       CHECK:     arith.addf
//       CHECK:   return %[[SUM]]
func.func @sum_2d(%x: tensor<80x1000xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.reduce ins(%x : tensor<80x1000xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<f32>
}

// -----

// A max over three dimensions starts its partial results from -inf.
// CHECK-LABEL: func.func @max_3d
//       CHECK:   %[[NINF:.*]] = arith.constant 0xFF800000 : f32
//       CHECK:   linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<4xf32>)
//       CHECK:   linalg.reduce ins(%{{.*}} : tensor<4x5x6xf32>) outs(%{{.*}} : tensor<4xf32>) dimensions = [1, 2]
//       CHECK:     arith.maximumf
//       CHECK:   linalg.reduce ins(%{{.*}} : tensor<4xf32>) outs(%{{.*}} : tensor<f32>) dimensions = [0]
func.func @max_3d(%x: tensor<4x5x6xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.reduce ins(%x : tensor<4x5x6xf32>) outs(%init : tensor<f32>) dimensions = [0, 1, 2]
    (%in: f32, %acc: f32) {
      %m = arith.maximumf %in, %acc : f32
      linalg.yield %m : f32
    }
  return %r : tensor<f32>
}

// -----

// Reductions that keep a dimension already have a parallel loop.
// CHECK-LABEL: func.func @negative_partial
//       CHECK:   linalg.reduce
//   CHECK-NOT:   linalg.reduce
func.func @negative_partial(%x: tensor<80x1000xf32>, %init: tensor<1000xf32>) -> tensor<1000xf32> {
  %r = linalg.reduce ins(%x : tensor<80x1000xf32>) outs(%init : tensor<1000xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<1000xf32>
}

// -----

// A combiner with no known neutral element (here acc + 2 * in) is not split.
// CHECK-LABEL: func.func @negative_unknown_combiner
//       CHECK:   linalg.reduce
//   CHECK-NOT:   linalg.reduce
func.func @negative_unknown_combiner(%x: tensor<8x16xf32>, %init: tensor<f32>) -> tensor<f32> {
  %two = arith.constant 2.0 : f32
  %r = linalg.reduce ins(%x : tensor<8x16xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %d = arith.mulf %in, %two : f32
      %s = arith.addf %d, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<f32>
}

// -----

// A 1-D reduction has nothing to split along.
// CHECK-LABEL: func.func @negative_rank_1
//       CHECK:   linalg.reduce
//   CHECK-NOT:   linalg.reduce
func.func @negative_rank_1(%x: tensor<64xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.reduce ins(%x : tensor<64xf32>) outs(%init : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<f32>
}
