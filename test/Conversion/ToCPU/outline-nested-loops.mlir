// RUN: scan-opt %s --split-input-file --scan-outline-nested-loops=max-depth=2 | FileCheck %s
// RUN: not scan-opt %s --split-input-file --scan-outline-nested-loops=max-depth=0 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: scan-outline-nested-loops: max-depth must be at least 1, got 0

// A loop with two loops around it moves into a private function, called in
// its place with the carry and the captured tensor; the static empty tensor
// and the constants it uses are rematerialised inside, not passed in.
// CHECK-LABEL: func.func private @three_deep_nested_loop
//  CHECK-SAME:     attributes {scan.outlined_loop}
//   CHECK-DAG:   %[[FILL:.*]] = arith.constant 0.0
//   CHECK-DAG:   %[[EMPTY:.*]] = tensor.empty() : tensor<4xf32>
//       CHECK:   %[[R:.*]] = scf.for
//       CHECK:     linalg.generic
//  CHECK-SAME:       outs(%[[EMPTY]] : tensor<4xf32>)
//       CHECK:   return %[[R]]
// CHECK-LABEL: func.func @three_deep
//       CHECK:   scf.for
//       CHECK:     scf.for
//   CHECK-NOT:       scf.for
//       CHECK:       %[[C:.*]] = func.call @three_deep_nested_loop(
//  CHECK-SAME:         -> tensor<4xf32>
//       CHECK:       scf.yield %[[C]]
#map = affine_map<(d0) -> (d0)>
func.func @three_deep(%h0: tensor<4xf32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %r0 = scf.for %i = %c0 to %c2 step %c1 iter_args(%a = %h0) -> (tensor<4xf32>) {
    %r1 = scf.for %j = %c0 to %c2 step %c1 iter_args(%b = %a) -> (tensor<4xf32>) {
      %r2 = scf.for %k = %c0 to %c2 step %c1 iter_args(%c = %b) -> (tensor<4xf32>) {
        %n = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
            ins(%c, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
        ^bb0(%in: f32, %in2: f32, %out: f32):
          %s = arith.addf %in, %in2 : f32
          %t = arith.addf %s, %zero : f32
          linalg.yield %t : f32
        } -> tensor<4xf32>
        scf.yield %n : tensor<4xf32>
      }
      scf.yield %r2 : tensor<4xf32>
    }
    scf.yield %r1 : tensor<4xf32>
  }
  return %r0 : tensor<4xf32>
}

// -----

// Two loops deep is within the bound: nothing changes.
// CHECK-LABEL: func.func @negative_two_deep
//   CHECK-NOT:   func.call
//       CHECK:   scf.for
//       CHECK:     scf.for
//       CHECK:       arith.addf
//   CHECK-NOT: func.func
func.func @negative_two_deep(%h0: tensor<4xf32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %r0 = scf.for %i = %c0 to %c2 step %c1 iter_args(%a = %h0) -> (tensor<4xf32>) {
    %r1 = scf.for %j = %c0 to %c2 step %c1 iter_args(%b = %a) -> (tensor<4xf32>) {
      %n = arith.addf %b, %x : tensor<4xf32>
      scf.yield %n : tensor<4xf32>
    }
    scf.yield %r1 : tensor<4xf32>
  }
  return %r0 : tensor<4xf32>
}

// -----

// Five deep: the third loop is outlined, and in its function the loop two
// below it again, so no function holds more than two loops around a loop.
// CHECK-LABEL: func.func private @five_deep_nested_loop_nested_loop
//       CHECK:   scf.for
//   CHECK-NOT:     scf.for
//       CHECK:     arith.addf
// CHECK-LABEL: func.func private @five_deep_nested_loop(
//       CHECK:   scf.for
//       CHECK:     scf.for
//   CHECK-NOT:       scf.for
//       CHECK:       func.call @five_deep_nested_loop_nested_loop(
// CHECK-LABEL: func.func @five_deep
//       CHECK:       func.call @five_deep_nested_loop(
func.func @five_deep(%h0: tensor<4xf32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %r0 = scf.for %i0 = %c0 to %c2 step %c1 iter_args(%a0 = %h0) -> (tensor<4xf32>) {
    %r1 = scf.for %i1 = %c0 to %c2 step %c1 iter_args(%a1 = %a0) -> (tensor<4xf32>) {
      %r2 = scf.for %i2 = %c0 to %c2 step %c1 iter_args(%a2 = %a1) -> (tensor<4xf32>) {
        %r3 = scf.for %i3 = %c0 to %c2 step %c1 iter_args(%a3 = %a2) -> (tensor<4xf32>) {
          %r4 = scf.for %i4 = %c0 to %c2 step %c1 iter_args(%a4 = %a3) -> (tensor<4xf32>) {
            %n = arith.addf %a4, %x : tensor<4xf32>
            scf.yield %n : tensor<4xf32>
          }
          scf.yield %r4 : tensor<4xf32>
        }
        scf.yield %r3 : tensor<4xf32>
      }
      scf.yield %r2 : tensor<4xf32>
    }
    scf.yield %r1 : tensor<4xf32>
  }
  return %r0 : tensor<4xf32>
}
