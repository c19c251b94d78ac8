// RUN: scan-opt %s --split-input-file --convert-scan-to-scf | FileCheck %s

// A forward scan: one scf.for from 0 to T, the carry and the stacked output
// as iter_args, the sequence read with a rank-reducing extract_slice at the
// induction variable, the output written with insert_slice at the same index.
// CHECK-LABEL: func.func @forward
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: tensor<5x2x4xf32>, %[[H0:[a-z0-9]+]]: tensor<2x4xf32>
//   CHECK-DAG:   %[[EMPTY:.*]] = tensor.empty() : tensor<5x2x4xf32>
//   CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
//   CHECK-DAG:   %[[C5:.*]] = arith.constant 5 : index
//   CHECK-DAG:   %[[C1:.*]] = arith.constant 1 : index
//       CHECK:   %[[R:.*]]:2 = scf.for %[[I:[a-z0-9_]+]] = %[[C0]] to %[[C5]] step %[[C1]]
//  CHECK-SAME:       iter_args(%[[H:[a-z0-9_]+]] = %[[H0]], %[[ACC:[a-z0-9_]+]] = %[[EMPTY]])
//  CHECK-SAME:       -> (tensor<2x4xf32>, tensor<5x2x4xf32>)
//   CHECK-NOT:     arith.subi
//       CHECK:     %[[XT:.*]] = tensor.extract_slice %[[X]][%[[I]], 0, 0] [1, 2, 4] [1, 1, 1]
//  CHECK-SAME:       : tensor<5x2x4xf32> to tensor<2x4xf32>
//       CHECK:     %[[N:.*]] = arith.addf %[[H]], %[[XT]] : tensor<2x4xf32>
//       CHECK:     %[[INS:.*]] = tensor.insert_slice %[[N]] into %[[ACC]][%[[I]], 0, 0] [1, 2, 4] [1, 1, 1]
//       CHECK:     scf.yield %[[N]], %[[INS]] : tensor<2x4xf32>, tensor<5x2x4xf32>
//       CHECK:   return %[[R]]#0, %[[R]]#1
//   CHECK-NOT:   scan.
func.func @forward(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<5x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
    %n = arith.addf %h, %xt : tensor<2x4xf32>
    scan.yield %n, %n : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %hs : tensor<2x4xf32>, tensor<5x2x4xf32>
}

// -----

// A reverse scan visits index T-1-i at step i, for reading the sequence and
// for writing the output.
// CHECK-LABEL: func.func @reverse
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: tensor<7x3xf64>
//   CHECK-DAG:   %[[C7:.*]] = arith.constant 7 : index
//       CHECK:   scf.for %[[I:[a-z0-9_]+]] = %{{.*}} to %[[C7]] step
//       CHECK:     %[[LAST:.*]] = arith.constant 6 : index
//       CHECK:     %[[T:.*]] = arith.subi %[[LAST]], %[[I]] : index
//       CHECK:     tensor.extract_slice %[[X]][%[[T]], 0] [1, 3] [1, 1] : tensor<7x3xf64> to tensor<3xf64>
//       CHECK:     tensor.insert_slice %{{.*}} into %{{.*}}[%[[T]], 0] [1, 3] [1, 1] : tensor<3xf64> into tensor<7x3xf64>
func.func @reverse(%x: tensor<7x3xf64>, %c0: tensor<3xf64>)
    -> (tensor<3xf64>, tensor<7x3xf64>) {
  %cT, %ys = scan.scan reverse carries(%c = %c0 : tensor<3xf64>)
      sequences(%xt = %x : tensor<7x3xf64>)
      -> (tensor<3xf64>, tensor<7x3xf64>) {
    %n = arith.mulf %c, %xt : tensor<3xf64>
    scan.yield %n, %xt : tensor<3xf64>, tensor<3xf64>
  }
  return %cT, %ys : tensor<3xf64>, tensor<7x3xf64>
}

// -----

// Several carries, sequences and outputs keep their order; loop invariants
// defined above the scan are used directly inside the loop. Each output
// computed in the body is inserted at the end of the step.
// CHECK-LABEL: func.func @many
//  CHECK-SAME:   %[[A:[a-z0-9]+]]: tensor<4x2xf32>, %[[B:[a-z0-9]+]]: tensor<4x2xf32>, %[[C:[a-z0-9]+]]: tensor<2xf32>, %[[D:[a-z0-9]+]]: tensor<2xf32>, %[[W:[a-z0-9]+]]: tensor<2xf32>
//   CHECK-DAG:   %[[E1:.*]] = tensor.empty() : tensor<4x2xf32>
//   CHECK-DAG:   %[[E2:.*]] = tensor.empty() : tensor<4x2xf32>
//       CHECK:   %[[R:.*]]:4 = scf.for %[[I:[a-z0-9_]+]] = {{.*}} iter_args(%[[P:[a-z0-9_]+]] = %[[C]], %[[Q:[a-z0-9_]+]] = %[[D]], %[[O1:[a-z0-9_]+]] = %[[E1]], %[[O2:[a-z0-9_]+]] = %[[E2]])
//   CHECK-DAG:     %[[AT:.*]] = tensor.extract_slice %[[A]][%[[I]], 0]
//   CHECK-DAG:     %[[BT:.*]] = tensor.extract_slice %[[B]][%[[I]], 0]
//       CHECK:     %[[S:.*]] = arith.addf %[[P]], %[[AT]]
//       CHECK:     %[[M:.*]] = arith.mulf %[[Q]], %[[BT]]
//       CHECK:     %[[MW:.*]] = arith.mulf %[[M]], %[[W]]
//       CHECK:     %[[I1:.*]] = tensor.insert_slice %[[MW]] into %[[O1]][%[[I]], 0]
//       CHECK:     %[[I2:.*]] = tensor.insert_slice %[[S]] into %[[O2]][%[[I]], 0]
//       CHECK:     scf.yield %[[S]], %[[M]], %[[I1]], %[[I2]]
//       CHECK:   return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3
func.func @many(%a: tensor<4x2xf32>, %b: tensor<4x2xf32>, %c0: tensor<2xf32>,
                %d0: tensor<2xf32>, %w: tensor<2xf32>)
    -> (tensor<2xf32>, tensor<2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %r:4 = scan.scan carries(%p = %c0 : tensor<2xf32>, %q = %d0 : tensor<2xf32>)
      sequences(%at = %a : tensor<4x2xf32>, %bt = %b : tensor<4x2xf32>)
      -> (tensor<2xf32>, tensor<2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
    %s = arith.addf %p, %at : tensor<2xf32>
    %m = arith.mulf %q, %bt : tensor<2xf32>
    %mw = arith.mulf %m, %w : tensor<2xf32>
    scan.yield %s, %m, %mw, %s : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  }
  return %r#0, %r#1, %r#2, %r#3
      : tensor<2xf32>, tensor<2xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// An output that is the incoming carry (h_(t-1), as a backward pass needs)
// keeps the carry in a stack of T + 1 slices, here where the next carry is
// an elementwise function of the incoming one: step t reads slice t and
// inserts the next carry into slice t + 1 at the end of the step.
// CHECK-LABEL: func.func @output_is_incoming_carry
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: tensor<6x4xf32>, %[[H0:[a-z0-9]+]]: tensor<4xf32>
//       CHECK:   %[[INIT:.*]] = tensor.insert_slice %[[H0]] into %{{.*}}[0, 0] [1, 4] [1, 1] : tensor<4xf32> into tensor<7x4xf32>
//       CHECK:   %[[R:.*]] = scf.for %[[I:[a-z0-9_]+]] = {{.*}} iter_args(%[[S:[a-z0-9_]+]] = %[[INIT]]) -> (tensor<7x4xf32>)
//       CHECK:     %[[NEXT:.*]] = arith.addi %[[I]]
//  CHECK-NEXT:     %[[H:.*]] = tensor.extract_slice %[[S]][%[[I]], 0] [1, 4] [1, 1]
//  CHECK-NEXT:     %[[XT:.*]] = tensor.extract_slice %[[X]][%[[I]], 0]
//  CHECK-NEXT:     %[[N:.*]] = arith.addf %[[H]], %[[XT]]
//  CHECK-NEXT:     %[[INS:.*]] = tensor.insert_slice %[[N]] into %[[S]][%[[NEXT]], 0] [1, 4] [1, 1]
//  CHECK-NEXT:     scf.yield %[[INS]] : tensor<7x4xf32>
//       CHECK:   %[[HT:.*]] = tensor.extract_slice %[[R]][6, 0] [1, 4] [1, 1]
//       CHECK:   %[[HP:.*]] = tensor.extract_slice %[[R]][0, 0] [6, 4] [1, 1]
//       CHECK:   return %[[HT]], %[[HP]]
func.func @output_is_incoming_carry(%x: tensor<6x4xf32>, %h0: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<6x4xf32>) {
  %hT, %hp = scan.scan carries(%h = %h0 : tensor<4xf32>)
      sequences(%xt = %x : tensor<6x4xf32>) -> (tensor<4xf32>, tensor<6x4xf32>) {
    %n = arith.addf %h, %xt : tensor<4xf32>
    scan.yield %n, %h : tensor<4xf32>, tensor<4xf32>
  }
  return %hT, %hp : tensor<4xf32>, tensor<6x4xf32>
}

// -----

// A stacked incoming carry whose next value goes through a matmul, with
// h_t stacked too: the carry lives in one stack of T + 1 slices, h0 in
// slice 0. Step t reads slice t and inserts the next carry into slice t + 1,
// so nothing copies the carry. The final carry is slice T, the stacked
// h_(t-1) slices 0..T-1 and the stacked h_t slices 1..T.
// CHECK-LABEL: func.func @carry_stack
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: tensor<6x2x4xf32>, %[[H0:[a-z0-9]+]]: tensor<2x4xf32>
//       CHECK:   %[[EMPTY:.*]] = tensor.empty() : tensor<7x2x4xf32>
//       CHECK:   %[[INIT:.*]] = tensor.insert_slice %[[H0]] into %[[EMPTY]][0, 0, 0] [1, 2, 4] [1, 1, 1]
//       CHECK:   %[[R:.*]] = scf.for %[[I:[a-z0-9_]+]] = %{{.*}} to %{{.*}} step %[[C1:[a-z0-9_]+]]
//  CHECK-SAME:       iter_args(%[[S:[a-z0-9_]+]] = %[[INIT]]) -> (tensor<7x2x4xf32>)
//       CHECK:     %[[NEXT:.*]] = arith.addi %[[I]], %[[C1]] : index
//       CHECK:     %[[H:.*]] = tensor.extract_slice %[[S]][%[[I]], 0, 0] [1, 2, 4] [1, 1, 1] : tensor<7x2x4xf32> to tensor<2x4xf32>
//       CHECK:     linalg.matmul ins(%[[H]],
//       CHECK:     %[[T:.*]] = math.tanh
//       CHECK:     %[[INS:.*]] = tensor.insert_slice %[[T]] into %[[S]][%[[NEXT]], 0, 0] [1, 2, 4] [1, 1, 1]
//       CHECK:     scf.yield %[[INS]] : tensor<7x2x4xf32>
//       CHECK:   %[[HT:.*]] = tensor.extract_slice %[[R]][6, 0, 0] [1, 2, 4] [1, 1, 1] : tensor<7x2x4xf32> to tensor<2x4xf32>
//       CHECK:   %[[HP:.*]] = tensor.extract_slice %[[R]][0, 0, 0] [6, 2, 4] [1, 1, 1] : tensor<7x2x4xf32> to tensor<6x2x4xf32>
//       CHECK:   %[[HS:.*]] = tensor.extract_slice %[[R]][1, 0, 0] [6, 2, 4] [1, 1, 1] : tensor<7x2x4xf32> to tensor<6x2x4xf32>
//       CHECK:   return %[[HT]], %[[HP]], %[[HS]]
func.func @carry_stack(%x: tensor<6x2x4xf32>, %h0: tensor<2x4xf32>,
                       %w: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<6x2x4xf32>, tensor<6x2x4xf32>) {
  %z = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT, %hp, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<6x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<6x2x4xf32>, tensor<6x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
    %n = arith.addf %hw, %xt : tensor<2x4xf32>
    %t = math.tanh %n : tensor<2x4xf32>
    scan.yield %t, %h, %t : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %hp, %hs : tensor<2x4xf32>, tensor<6x2x4xf32>, tensor<6x2x4xf32>
}

// -----

// No carry stack in a reverse scan, nor for a carry passed through
// unchanged: the carry and the stacked output stay separate iter_args.
// CHECK-LABEL: func.func @no_carry_stack
//   CHECK-NOT:   tensor<7x2x4xf32>
//       CHECK:   scf.for {{.*}} -> (tensor<2x4xf32>, tensor<6x2x4xf32>)
//       CHECK:   scf.for {{.*}} -> (tensor<2x4xf32>, tensor<6x2x4xf32>)
//   CHECK-NOT:   tensor<7x2x4xf32>
func.func @no_carry_stack(%x: tensor<6x2x4xf32>, %h0: tensor<2x4xf32>,
                          %w: tensor<4x4xf32>)
    -> (tensor<6x2x4xf32>, tensor<6x2x4xf32>) {
  %z = arith.constant dense<0.0> : tensor<2x4xf32>
  %aT, %ap = scan.scan reverse carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<6x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<6x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %w : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
    %t = math.tanh %hw : tensor<2x4xf32>
    scan.yield %t, %h : tensor<2x4xf32>, tensor<2x4xf32>
  }
  %bT, %bp = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
      sequences(%xt = %x : tensor<6x2x4xf32>)
      -> (tensor<2x4xf32>, tensor<6x2x4xf32>) {
    scan.yield %h, %h : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %ap, %bp : tensor<6x2x4xf32>, tensor<6x2x4xf32>
}

// -----

// Without sequences the trip count comes from `length`; a carry that is
// passed through unchanged stays a plain iter_arg.
// CHECK-LABEL: func.func @length_only
//   CHECK-DAG:   %[[C3:.*]] = arith.constant 3 : index
//       CHECK:   scf.for %{{.*}} = %{{.*}} to %[[C3]] step %{{.*}} iter_args(%[[H:[a-z0-9_]+]] = %{{.*}}) -> (tensor<2xf32>)
//   CHECK-NOT:     tensor.extract_slice
//   CHECK-NOT:     tensor.insert_slice
//       CHECK:     scf.yield %[[H]] : tensor<2xf32>
func.func @length_only(%h0: tensor<2xf32>) -> tensor<2xf32> {
  %hT = scan.scan length(3) carries(%h = %h0 : tensor<2xf32>) -> tensor<2xf32> {
    scan.yield %h : tensor<2xf32>
  }
  return %hT : tensor<2xf32>
}

// -----

// A scan nested in a scan body lowers too, into a loop nested in the loop;
// the inner loop reads the slice the outer loop extracted.
// CHECK-LABEL: func.func @nested
//       CHECK:   scf.for %[[I:[a-z0-9_]+]] =
//       CHECK:     %[[XI:.*]] = tensor.extract_slice %{{.*}}[%[[I]], 0, 0] [1, 3, 2] [1, 1, 1] : tensor<4x3x2xf32> to tensor<3x2xf32>
//       CHECK:     scf.for %[[J:[a-z0-9_]+]] =
//       CHECK:       tensor.extract_slice %[[XI]][%[[J]], 0] [1, 2] [1, 1] : tensor<3x2xf32> to tensor<2xf32>
//       CHECK:       scf.yield
//       CHECK:     scf.yield
//   CHECK-NOT:   scan.
func.func @nested(%x: tensor<4x3x2xf32>, %h0: tensor<2xf32>) -> tensor<2xf32> {
  %hT = scan.scan carries(%h = %h0 : tensor<2xf32>)
      sequences(%xi = %x : tensor<4x3x2xf32>) -> tensor<2xf32> {
    %inner = scan.scan carries(%g = %h : tensor<2xf32>)
        sequences(%xij = %xi : tensor<3x2xf32>) -> tensor<2xf32> {
      %s = arith.addf %g, %xij : tensor<2xf32>
      scan.yield %s : tensor<2xf32>
    }
    scan.yield %inner : tensor<2xf32>
  }
  return %hT : tensor<2xf32>
}

// -----

// Functions without scans are left alone.
// CHECK-LABEL: func.func @negative_no_scan
//  CHECK-NEXT:   arith.addf
//  CHECK-NEXT:   return
func.func @negative_no_scan(%a: tensor<2xf32>) -> tensor<2xf32> {
  %s = arith.addf %a, %a : tensor<2xf32>
  return %s : tensor<2xf32>
}
