// RUN: scan-opt %s --split-input-file --scan-prepare-bufferization | FileCheck %s

// The op computing the next carry writes into the carry itself instead of a
// fresh tensor.empty it never reads.
// CHECK-LABEL: func.func private @carry_destination
//       CHECK:   scf.for {{.*}} iter_args(%[[H:[a-z0-9_]+]] = %{{.*}}) -> (tensor<4xf32>)
//       CHECK:     %[[N:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[H]] : tensor<4xf32>, tensor<4xf32>) outs(%[[H]] : tensor<4xf32>)
//       CHECK:     scf.yield %[[N]]
func.func private @carry_destination(%h0: tensor<4xf32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%h = %h0) -> tensor<4xf32> {
    %e = tensor.empty() : tensor<4xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%x, %h : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    } -> tensor<4xf32>
    scf.yield %n : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// The destination is read by the payload (an accumulation), so it cannot be
// swapped for the carry.
// CHECK-LABEL: func.func private @negative_destination_read
//       CHECK:   %[[E:.*]] = tensor.empty() : tensor<4xf32>
//       CHECK:   linalg.generic {{.*}} outs(%[[E]] : tensor<4xf32>)
func.func private @negative_destination_read(%h0: tensor<4xf32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%h = %h0) -> tensor<4xf32> {
    %e = tensor.empty() : tensor<4xf32>
    %n = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%a: f32, %o: f32):
      %s = arith.addf %a, %o : f32
      linalg.yield %s : f32
    } -> tensor<4xf32>
    scf.yield %n : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A zero fill hoisted out of the loop is re-created next to the matmul that
// accumulates into it; the hoisted one, now unused, is gone. A fill already
// in the matmul's block is left alone.
// CHECK-LABEL: func.func private @sink_fill
//   CHECK-NOT:   linalg.fill
//       CHECK:   scf.for
//       CHECK:     %[[E:.*]] = tensor.empty() : tensor<2x2xf32>
//       CHECK:     %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<2x2xf32>)
//       CHECK:     linalg.matmul {{.*}} outs(%[[F]] : tensor<2x2xf32>)
//       CHECK:     %[[E2:.*]] = tensor.empty() : tensor<2x2xf32>
//       CHECK:     %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<2x2xf32>)
//       CHECK:     linalg.matmul {{.*}} outs(%[[F2]] : tensor<2x2xf32>)
//       CHECK:     %[[LOCAL:.*]] = linalg.fill
//   CHECK-NOT:     linalg.fill
//       CHECK:     linalg.matmul {{.*}} outs(%[[LOCAL]] : tensor<2x2xf32>)
func.func private @sink_fill(%h0: tensor<2x2xf32>, %w: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<2x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%h = %h0) -> tensor<2x2xf32> {
    %m1 = linalg.matmul ins(%h, %w : tensor<2x2xf32>, tensor<2x2xf32>)
                        outs(%acc : tensor<2x2xf32>) -> tensor<2x2xf32>
    %m2 = linalg.matmul ins(%m1, %w : tensor<2x2xf32>, tensor<2x2xf32>)
                        outs(%acc : tensor<2x2xf32>) -> tensor<2x2xf32>
    %el = tensor.empty() : tensor<2x2xf32>
    %local = linalg.fill ins(%zero : f32) outs(%el : tensor<2x2xf32>) -> tensor<2x2xf32>
    %m3 = linalg.matmul ins(%m2, %w : tensor<2x2xf32>, tensor<2x2xf32>)
                        outs(%local : tensor<2x2xf32>) -> tensor<2x2xf32>
    scf.yield %m3 : tensor<2x2xf32>
  }
  return %r : tensor<2x2xf32>
}

// -----

// A carry computed by a matmul from a zero fill: the fill writes into the
// carry (hoisted fills are first sunk next to the matmul), so the next carry
// is computed into the carry's own buffer.
// CHECK-LABEL: func.func private @carry_from_matmul
//       CHECK:   scf.for {{.*}} iter_args(%[[H:[a-z0-9_]+]] = %{{.*}}) -> (tensor<2x2xf32>)
//       CHECK:     %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[H]] : tensor<2x2xf32>)
//       CHECK:     %[[M:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<2x2xf32>) outs(%[[Z]] : tensor<2x2xf32>)
//       CHECK:     scf.yield %[[M]]
func.func private @carry_from_matmul(%h0: tensor<2x2xf32>, %w: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %e = tensor.empty() : tensor<2x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%h = %h0) -> tensor<2x2xf32> {
    %d = arith.mulf %h, %h : tensor<2x2xf32>
    %m = linalg.matmul ins(%d, %w : tensor<2x2xf32>, tensor<2x2xf32>)
                       outs(%acc : tensor<2x2xf32>) -> tensor<2x2xf32>
    scf.yield %m : tensor<2x2xf32>
  }
  return %r : tensor<2x2xf32>
}

// -----

// The fill also feeds another op: it is not redirected into the carry.
// CHECK-LABEL: func.func private @negative_shared_fill
//       CHECK:   scf.for
//       CHECK:     %[[E:.*]] = tensor.empty() : tensor<2x2xf32>
//       CHECK:     %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<2x2xf32>)
//       CHECK:     linalg.matmul {{.*}} outs(%[[Z]] : tensor<2x2xf32>)
func.func private @negative_shared_fill(%h0: tensor<2x2xf32>, %w: tensor<2x2xf32>)
    -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r:2 = scf.for %i = %c0 to %c8 step %c1 iter_args(%h = %h0, %g = %h0)
      -> (tensor<2x2xf32>, tensor<2x2xf32>) {
    %e = tensor.empty() : tensor<2x2xf32>
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
    %m = linalg.matmul ins(%h, %w : tensor<2x2xf32>, tensor<2x2xf32>)
                       outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
    %n = arith.addf %g, %z : tensor<2x2xf32>
    scf.yield %m, %n : tensor<2x2xf32>, tensor<2x2xf32>
  }
  return %r#0, %r#1 : tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// Public functions with a body do not own their tensor arguments; private
// functions and declarations keep the bufferization defaults.
// CHECK-LABEL: func.func @public_entry
//  CHECK-SAME:   (%{{.*}}: tensor<4xf32> {bufferization.writable = false}, %{{.*}}: f32)
// CHECK-LABEL: func.func private @private_callee
//  CHECK-SAME:   (%{{.*}}: tensor<4xf32>)
// CHECK-LABEL: func.func private @declaration
//  CHECK-SAME:   (tensor<4xf32>)
func.func @public_entry(%x: tensor<4xf32>, %s: f32) -> tensor<4xf32> {
  %r = call @private_callee(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
func.func private @private_callee(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @declaration(tensor<4xf32>)

// -----

// A tensor returned twice gets a copy at its second position, so that every
// result bufferizes to its own buffer (buffer-results-to-out-params needs
// one per out-param). Other tensors and scalars are left alone.
// CHECK-LABEL: func.func private @repeated_result
//  CHECK-SAME:   (%[[A:[^:]*]]: tensor<4xf32>
//       CHECK:   %[[Z:.*]] = linalg.fill
//       CHECK:   %[[C:.*]] = bufferization.alloc_tensor() copy(%[[Z]]) : tensor<4xf32>
//       CHECK:   return %[[Z]], %[[A]], %[[C]], %{{.*}} : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, f32
func.func private @repeated_result(%a: tensor<4xf32>, %s: f32) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, f32) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %z, %a, %z, %s : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, f32
}

// -----

// Two stacks of a loop start from one (CSE'd) tensor.empty: each gets its own
// tensor.empty, so that bufferization cannot give both stacks one buffer.
// CHECK-LABEL: func.func private @shared_empty_inits
//       CHECK:   %[[E1:.*]] = tensor.empty() : tensor<3x4xf32>
//       CHECK:   %[[E2:.*]] = tensor.empty() : tensor<3x4xf32>
//       CHECK:   scf.for {{.*}} iter_args(%{{.*}} = %[[E1]], %{{.*}} = %[[E2]])
func.func private @shared_empty_inits(%x: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %e = tensor.empty() : tensor<3x4xf32>
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%a = %e, %b = %e) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
    %a2 = tensor.insert_slice %x into %a[%i, 0] [1, 4] [1, 1] : tensor<4xf32> into tensor<3x4xf32>
    %b2 = tensor.insert_slice %x into %b[%i, 0] [1, 4] [1, 1] : tensor<4xf32> into tensor<3x4xf32>
    scf.yield %a2, %b2 : tensor<3x4xf32>, tensor<3x4xf32>
  }
  return %r#0, %r#1 : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// A concatenation of two results of one fused elementwise op, stored as a
// per-step output and read by a matmul: the op computes both halves straight
// into the stacked output's slice for this step (no temporaries, no copies),
// and the concatenation becomes insertions of each half into its own place.
// CHECK-LABEL: func.func private @concat_in_place
//       CHECK:   scf.for %[[T:.*]] = {{.*}} iter_args(%[[ST:.*]] = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<3x2x8xf32>, tensor<2x8xf32>)
//       CHECK:     %[[WHOLE:.*]] = tensor.extract_slice %[[ST]][%[[T]], 0, 0] [1, 2, 8] [1, 1, 1] : tensor<3x2x8xf32> to tensor<2x8xf32>
//       CHECK:     %[[LO:.*]] = tensor.extract_slice %[[WHOLE]][0, 0] [2, 4] [1, 1]
//       CHECK:     %[[HI:.*]] = tensor.extract_slice %[[WHOLE]][0, 4] [2, 4] [1, 1]
//       CHECK:     %[[P:.*]]:2 = linalg.generic {{.*}} outs(%[[LO]], %[[HI]] : tensor<2x4xf32>, tensor<2x4xf32>)
//       CHECK:     %[[I0:.*]] = tensor.insert_slice %[[P]]#0 into %[[WHOLE]][0, 0] [2, 4] [1, 1]
//       CHECK:     %[[I1:.*]] = tensor.insert_slice %[[P]]#1 into %[[I0]][0, 4] [2, 4] [1, 1]
//       CHECK:     %[[N:.*]] = tensor.insert_slice %[[I1]] into %[[ST]][%[[T]], 0, 0] [1, 2, 8] [1, 1, 1]
//       CHECK:     %[[MM:.*]] = linalg.matmul ins(%[[I1]],
//       CHECK:     scf.yield %[[N]], %[[MM]]
//   CHECK-NOT:   tensor.concat
func.func private @concat_in_place(%x: tensor<2x4xf32>, %w: tensor<8x8xf32>, %m0: tensor<2x8xf32>) -> (tensor<3x2x8xf32>, tensor<2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<3x2x8xf32>
  %r:2 = scf.for %t = %c0 to %c3 step %c1 iter_args(%st = %init, %acc = %m0) -> (tensor<3x2x8xf32>, tensor<2x8xf32>) {
    %e0 = tensor.empty() : tensor<2x4xf32>
    %e1 = tensor.empty() : tensor<2x4xf32>
    %p:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<2x4xf32>) outs(%e0, %e1 : tensor<2x4xf32>, tensor<2x4xf32>) {
    ^bb0(%a: f32, %o0: f32, %o1: f32):
      %s = arith.addf %a, %a : f32
      %m = arith.mulf %a, %a : f32
      linalg.yield %s, %m : f32, f32
    } -> (tensor<2x4xf32>, tensor<2x4xf32>)
    %cat = tensor.concat dim(1) %p#0, %p#1 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
    %next = tensor.insert_slice %cat into %st[%t, 0, 0] [1, 2, 8] [1, 1, 1] : tensor<2x8xf32> into tensor<3x2x8xf32>
    %e2 = tensor.empty() : tensor<2x8xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x8xf32>) -> tensor<2x8xf32>
    %mm = linalg.matmul ins(%cat, %w : tensor<2x8xf32>, tensor<8x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32>
    scf.yield %next, %mm : tensor<3x2x8xf32>, tensor<2x8xf32>
  }
  return %r#0, %r#1 : tensor<3x2x8xf32>, tensor<2x8xf32>
}

// -----

// Not in place: a piece is also used elsewhere (its value would be
// overwritten by nothing, but its destination is then shared), so the
// concatenation is only decomposed into insertions into a new tensor.
// CHECK-LABEL: func.func private @concat_piece_used_twice
//       CHECK:   %[[P:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<2x4xf32>)
//       CHECK:   %[[E:.*]] = tensor.empty() : tensor<2x8xf32>
//       CHECK:   tensor.insert_slice %[[P]]#0 into %[[E]][0, 0] [2, 4] [1, 1]
func.func private @concat_piece_used_twice(%x: tensor<2x4xf32>) -> (tensor<2x8xf32>, tensor<2x4xf32>) {
  %e0 = tensor.empty() : tensor<2x4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %p:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2x4xf32>) outs(%e0, %e1 : tensor<2x4xf32>, tensor<2x4xf32>) {
  ^bb0(%a: f32, %o0: f32, %o1: f32):
    %s = arith.addf %a, %a : f32
    %m = arith.mulf %a, %a : f32
    linalg.yield %s, %m : f32, f32
  } -> (tensor<2x4xf32>, tensor<2x4xf32>)
  %cat = tensor.concat dim(1) %p#0, %p#1 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return %cat, %p#0 : tensor<2x8xf32>, tensor<2x4xf32>
}
