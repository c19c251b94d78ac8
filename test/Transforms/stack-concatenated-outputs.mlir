// RUN: scan-opt %s --split-input-file --scan-stack-concatenated-outputs | FileCheck %s
// RUN: scan-opt %s --split-input-file --scan-stack-concatenated-outputs --verify-diagnostics -o /dev/null
// RUN: scan-opt %s --split-input-file --scan-merge-matmuls --scan-stack-concatenated-outputs --cse --canonicalize | FileCheck %s --check-prefix=MERGED

// Shapes: T = 5 steps, batch B = 2, sizes 3 and 4.

// Two stacked outputs, collapsed to (T*B) x D and concatenated along D after
// the loop: the body concatenates the two yielded values per step and
// stacks that; the copy after the loop is gone.
// CHECK-LABEL: func.func @collapsed
//       CHECK:   %[[S:.*]]:4 = scan.scan {{.*}} -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x3xf32>, tensor<5x2x7xf32>)
//       CHECK:     %[[A:.*]] = math.tanh
//       CHECK:     %[[B:.*]] = math.exp
//       CHECK:     %[[C:.*]] = tensor.concat dim(1) %[[A]], %[[B]] : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<2x7xf32>
//       CHECK:     scan.yield %{{.*}}, %[[A]], %[[B]], %[[C]] :
//   CHECK-NOT:   tensor.concat
//       CHECK:   %[[R:.*]] = tensor.collapse_shape %[[S]]#3 {{\[}}[0, 1], [2]] : tensor<5x2x7xf32> into tensor<10x7xf32>
//       CHECK:   return %[[R]]
func.func @collapsed(%x: tensor<5x2x4xf32>, %y: tensor<5x2x3xf32>, %h0: tensor<2x4xf32>)
    -> tensor<10x7xf32> {
  %hT, %as, %bs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>, %yt = %y : tensor<5x2x3xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x3xf32>) {
    %s = arith.addf %h, %xt : tensor<2x4xf32>
    %a = math.tanh %s : tensor<2x4xf32>
    %b = math.exp %yt : tensor<2x3xf32>
    scan.yield %a, %a, %b : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x3xf32>
  }
  %ac = tensor.collapse_shape %as [[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
  %bc = tensor.collapse_shape %bs [[0, 1], [2]] : tensor<5x2x3xf32> into tensor<10x3xf32>
  // expected-remark @below {{stacked 2 outputs concatenated after the loop: one 10x7 copy less per call}}
  %cat = tensor.concat dim(1) %ac, %bc : (tensor<10x4xf32>, tensor<10x3xf32>) -> tensor<10x7xf32>
  return %cat : tensor<10x7xf32>
}

// -----

// Stacked outputs concatenated as they are, along their last dimension
// (dimension 1 of a step), in a reverse scan; an output may appear twice.
// CHECK-LABEL: func.func @stacked_reverse
//       CHECK:   %[[S:.*]]:4 = scan.scan reverse
//       CHECK:     %[[C:.*]] = tensor.concat dim(1) %[[P:.*]], %[[Q:.*]], %[[P]] : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x12xf32>
//       CHECK:     scan.yield %{{.*}}, %{{.*}}, %[[C]] :
//   CHECK-NOT:   tensor.concat
//       CHECK:   return %[[S]]#3 : tensor<5x2x12xf32>
func.func @stacked_reverse(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>) -> tensor<5x2x12xf32> {
  %hT, %ps, %qs = scan.scan reverse carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %p = arith.mulf %h, %xt : tensor<2x4xf32>
    %q = math.tanh %p : tensor<2x4xf32>
    scan.yield %q, %p, %q : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  // expected-remark @below {{stacked 3 outputs concatenated after the loop: one 5x2x12 copy less per call}}
  %cat = tensor.concat dim(2) %ps, %qs, %ps : (tensor<5x2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) -> tensor<5x2x12xf32>
  return %cat : tensor<5x2x12xf32>
}

// -----

// Left alone: a concatenation along the steps (dimension 0 of the stacked
// outputs, or the merged steps x rows of the collapsed ones), outputs of two
// scans, an operand that is not an output (a final carry, broadcast), and a
// collapse that does not merge the steps into the rows.
// CHECK-LABEL: func.func @negative_cases
//       CHECK-COUNT-6: tensor.concat
//   CHECK-NOT: tensor.concat
func.func @negative_cases(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>)
    -> (tensor<10x2x4xf32>, tensor<20x4xf32>, tensor<5x2x8xf32>, tensor<5x2x8xf32>,
        tensor<5x16xf32>) {
  %hT, %ps, %qs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %p = arith.mulf %h, %xt : tensor<2x4xf32>
    %q = math.tanh %p : tensor<2x4xf32>
    scan.yield %q, %p, %q : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  %gT, %rs = scan.scan carries(%g = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
    %r = arith.addf %g, %xt : tensor<2x4xf32>
    scan.yield %r, %r : tensor<2x4xf32>, tensor<2x4xf32>
  }
  %along_steps = tensor.concat dim(0) %ps, %qs : (tensor<5x2x4xf32>, tensor<5x2x4xf32>) -> tensor<10x2x4xf32>
  %pc = tensor.collapse_shape %ps [[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
  %qc = tensor.collapse_shape %qs [[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
  %along_rows = tensor.concat dim(0) %pc, %qc : (tensor<10x4xf32>, tensor<10x4xf32>) -> tensor<20x4xf32>
  %two_scans = tensor.concat dim(2) %ps, %rs : (tensor<5x2x4xf32>, tensor<5x2x4xf32>) -> tensor<5x2x8xf32>
  %hTs = tensor.expand_shape %hT [[0, 1], [2]] output_shape [1, 2, 4] : tensor<2x4xf32> into tensor<1x2x4xf32>
  %hTb = tensor.concat dim(0) %hTs, %hTs, %hTs, %hTs, %hTs : (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) -> tensor<5x2x4xf32>
  %with_carry = tensor.concat dim(2) %ps, %hTb : (tensor<5x2x4xf32>, tensor<5x2x4xf32>) -> tensor<5x2x8xf32>
  %pr = tensor.collapse_shape %ps [[0], [1, 2]] : tensor<5x2x4xf32> into tensor<5x8xf32>
  %qr = tensor.collapse_shape %qs [[0], [1, 2]] : tensor<5x2x4xf32> into tensor<5x8xf32>
  %rows_merged = tensor.concat dim(1) %pr, %qr : (tensor<5x8xf32>, tensor<5x8xf32>) -> tensor<5x16xf32>
  return %along_steps, %along_rows, %two_scans, %with_carry, %rows_merged
      : tensor<10x2x4xf32>, tensor<20x4xf32>, tensor<5x2x8xf32>, tensor<5x2x8xf32>,
        tensor<5x16xf32>
}

// -----

// After the loop, the weight gradients H^T E_a and H^T E_b share H and
// merge; the merged product concatenates E_a and E_b in the order the body
// already concatenates e_a and e_b per step (for its own merged matmul), so
// the stacked per-step concatenation serves, with no copy after the loop.
// CHECK-LABEL: func.func @follows_body_order
// MERGED-LABEL: func.func @follows_body_order
//       MERGED:   scan.scan
//       MERGED:     %[[C:.*]] = tensor.concat dim(1) %[[EB:.*]], %[[EA:.*]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
//       MERGED:     linalg.matmul ins(%[[C]],
//   MERGED-NOT:     tensor.concat
//       MERGED:     scan.yield %{{.*}}, %[[C]] :
//   MERGED-NOT:   tensor.concat
//       MERGED:   %[[EC:.*]] = tensor.collapse_shape %{{.*}}#1 {{\[}}[0, 1], [2]] : tensor<5x2x8xf32> into tensor<10x8xf32>
//       MERGED:   %[[G:.*]] = linalg.matmul {{.*}} ins(%{{.*}}, %[[EC]] : tensor<10x4xf32>, tensor<10x8xf32>)
//       MERGED:   tensor.extract_slice %[[G]][0, 4] [4, 4] [1, 1]
//       MERGED:   tensor.extract_slice %[[G]][0, 0] [4, 4] [1, 1]
func.func @follows_body_order(%x: tensor<5x2x4xf32>, %hs: tensor<5x2x4xf32>, %e0: tensor<2x4xf32>,
                              %U: tensor<4x4xf32>, %V: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %c0 = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %zero = linalg.fill ins(%c0 : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %eT, %eas, %ebs = scan.scan reverse carries(%e = %e0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %ea = arith.mulf %e, %xt : tensor<2x4xf32>
    %eb = math.tanh %ea : tensor<2x4xf32>
    %cat = tensor.concat dim(1) %eb, %ea : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
    %VU = tensor.concat dim(0) %V, %U : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
    %next = linalg.matmul ins(%cat, %VU : tensor<2x8xf32>, tensor<8x4xf32>)
                          outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    scan.yield %next, %ea, %eb : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  %hc = tensor.collapse_shape %hs [[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
  %ea_c = tensor.collapse_shape %eas [[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
  %eb_c = tensor.collapse_shape %ebs [[0, 1], [2]] : tensor<5x2x4xf32> into tensor<10x4xf32>
  %e44 = tensor.empty() : tensor<4x4xf32>
  %z44 = linalg.fill ins(%c0 : f32) outs(%e44 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %dA = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                       affine_map<(m, n, k) -> (k, n)>,
                                       affine_map<(m, n, k) -> (m, n)>]
      ins(%hc, %ea_c : tensor<10x4xf32>, tensor<10x4xf32>) outs(%z44 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %dB = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                       affine_map<(m, n, k) -> (k, n)>,
                                       affine_map<(m, n, k) -> (m, n)>]
      ins(%hc, %eb_c : tensor<10x4xf32>, tensor<10x4xf32>) outs(%z44 : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %dA, %dB : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// The two halves of one per-step value (a merged matmul's product, each half
// stored for a backward loop) are stacked as one output and sliced after
// the loop, so the value goes to its stack once instead of each half being
// copied to its own.
// CHECK-LABEL: func.func @halves_of_one_value
//       CHECK:   %[[S:.*]]:4 = scan.scan {{.*}} -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x8xf32>)
//       CHECK:     %[[M:.*]] = linalg.matmul
//       CHECK:     scan.yield %{{.*}}, %{{.*}}, %{{.*}}, %[[M]] :
//   CHECK-DAG:   %[[LO:.*]] = tensor.extract_slice %[[S]]#3[0, 0, 0] [5, 2, 4] [1, 1, 1] : tensor<5x2x8xf32> to tensor<5x2x4xf32>
//   CHECK-DAG:   %[[HI:.*]] = tensor.extract_slice %[[S]]#3[0, 0, 4] [5, 2, 4] [1, 1, 1] : tensor<5x2x8xf32> to tensor<5x2x4xf32>
//       CHECK:   return %[[S]]#0, %[[HI]], %[[LO]]
func.func @halves_of_one_value(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>, %w: tensor<4x8xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  // expected-remark @below {{stacked 2 per-step slices of one value as one output: 2 copies less per step}}
  %hT, %hi, %lo = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %m = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32>
    %a = tensor.extract_slice %m[0, 0] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    %b = tensor.extract_slice %m[0, 4] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    %s = arith.addf %a, %xt : tensor<2x4xf32>
    %n = math.tanh %s : tensor<2x4xf32>
    scan.yield %n, %b, %a : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %hi, %lo : tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
}

// -----

// Not rewritten: the slices do not cover the value (columns 0..3 and 2..5
// overlap, 6..7 are not stored); stacking the whole would store more than
// the loop does now.
// CHECK-LABEL: func.func @overlapping_slices
//       CHECK:   scan.scan {{.*}} -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>)
//   CHECK-NOT:   tensor<5x2x8xf32>
func.func @overlapping_slices(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>, %w: tensor<4x8xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %hT, %p, %q = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>) {
    %m = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32>
    %a = tensor.extract_slice %m[0, 0] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    %b = tensor.extract_slice %m[0, 2] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
    %s = arith.addf %a, %xt : tensor<2x4xf32>
    %n = math.tanh %s : tensor<2x4xf32>
    scan.yield %n, %a, %b : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %p, %q : tensor<2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
}
