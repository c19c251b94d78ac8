// RUN: scan-opt %s --split-input-file --verify-diagnostics \
// RUN:   --scan-checkpoint-gradients=segment-length=2 | FileCheck %s
// RUN: scan-opt %s --split-input-file --scan-checkpoint-gradients \
// RUN:   | FileCheck %s --check-prefix=OFF

// Without a budget or a segment length nothing changes.
// OFF-NOT: scan.checkpoint_segments

// A plain gradient pair over 6 steps becomes 3 segments of 2: the forward
// scan stacks only the carry each segment starts from, the reverse scan
// recomputes a segment's stacks from it and walks the segment backwards.
// CHECK-LABEL: func.func @pair_six_steps
//       CHECK:   %[[XS:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] output_shape [3, 2, 2, 3] : tensor<6x2x3xf32> into tensor<3x2x2x3xf32>
//       CHECK:   %[[F:.*]]:2 = scan.scan carries(%[[H:.*]] = %{{.*}} : tensor<2x3xf32>) sequences(%[[XSEG:.*]] = %[[XS]] : tensor<3x2x2x3xf32>) -> (tensor<2x3xf32>, tensor<3x2x3xf32>) {
//       CHECK:     %[[IN:.*]]:2 = scan.scan carries(%{{.*}} = %[[H]] : tensor<2x3xf32>) sequences(%{{.*}} = %[[XSEG]] : tensor<2x2x3xf32>) -> (tensor<2x3xf32>, tensor<2x2x3xf32>)
//       CHECK:     scan.yield %[[IN]]#0, %[[H]] : tensor<2x3xf32>, tensor<2x3xf32>
//  CHECK-NEXT:   } attributes {scan.checkpoint_segments}
//       CHECK:   %[[B:.*]] = scan.scan reverse carries(%[[A:.*]] = %[[F]]#0 : tensor<2x3xf32>) sequences(%[[C:.*]] = %[[F]]#1 : tensor<3x2x3xf32>, %[[XR:.*]] = %[[XS]] : tensor<3x2x2x3xf32>) -> tensor<2x3xf32> {
//       CHECK:     %[[RE:.*]]:2 = scan.scan carries(%{{.*}} = %[[C]] : tensor<2x3xf32>) sequences(%{{.*}} = %[[XR]] : tensor<2x2x3xf32>) -> (tensor<2x3xf32>, tensor<2x2x3xf32>)
//       CHECK:     %[[BI:.*]] = scan.scan reverse carries(%{{.*}} = %[[A]] : tensor<2x3xf32>) sequences(%{{.*}} = %[[RE]]#1 : tensor<2x2x3xf32>) -> tensor<2x3xf32>
//       CHECK:     scan.yield %[[BI]] : tensor<2x3xf32>
//  CHECK-NEXT:   } attributes {scan.checkpoint_segments}
//       CHECK:   return %[[B]]
func.func @pair_six_steps(%x: tensor<6x2x3xf32>, %h0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-remark @below {{checkpointed gradient: 3 x 2 steps (1 level)}}
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x3xf32>) sequences(%xt = %x : tensor<6x2x3xf32>)
      -> (tensor<2x3xf32>, tensor<6x2x3xf32>) {
    %n = arith.addf %h, %xt : tensor<2x3xf32>
    %t = math.tanh %n : tensor<2x3xf32>
    scan.yield %t, %h : tensor<2x3xf32>, tensor<2x3xf32>
  }
  %d = scan.scan reverse carries(%a = %hT : tensor<2x3xf32>) sequences(%hp = %hs : tensor<6x2x3xf32>)
      -> tensor<2x3xf32> {
    %m = arith.mulf %a, %hp : tensor<2x3xf32>
    scan.yield %m : tensor<2x3xf32>
  }
  return %d : tensor<2x3xf32>
}

// -----

// 7 steps (prime): the first step keeps its stack and runs backwards last,
// after 3 segments of 2; the per-step outputs of the reverse scan are merged
// back into 7 steps, the first step's in front.
// CHECK-LABEL: func.func @pair_prime_steps
//   CHECK-DAG:   %[[HEADX:.*]] = tensor.extract_slice %[[X:.*]][0, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<7x2x3xf32> to tensor<1x2x3xf32>
//   CHECK-DAG:   %[[TAILX:.*]] = tensor.extract_slice %[[X]][1, 0, 0] [6, 2, 3] [1, 1, 1] : tensor<7x2x3xf32> to tensor<6x2x3xf32>
//       CHECK:   %[[HEAD:.*]]:2 = scan.scan carries({{.*}}) sequences(%{{.*}} = %[[HEADX]] : tensor<1x2x3xf32>) -> (tensor<2x3xf32>, tensor<1x2x3xf32>)
//       CHECK:   %[[F:.*]]:2 = scan.scan carries(%{{.*}} = %[[HEAD]]#0 : tensor<2x3xf32>)
//       CHECK:   } attributes {scan.checkpoint_segments}
//       CHECK:   %[[B:.*]]:2 = scan.scan reverse {{.*}} -> (tensor<2x3xf32>, tensor<3x2x2x3xf32>)
//       CHECK:   } attributes {scan.checkpoint_segments}
//       CHECK:   %[[BH:.*]]:2 = scan.scan reverse carries(%{{.*}} = %[[B]]#0 : tensor<2x3xf32>) sequences(%{{.*}} = %[[HEAD]]#1 : tensor<1x2x3xf32>{{.*}}) -> (tensor<2x3xf32>, tensor<1x2x3xf32>)
//       CHECK:   %[[MERGED:.*]] = tensor.collapse_shape %[[B]]#1 {{\[\[}}0, 1], [2], [3]] : tensor<3x2x2x3xf32> into tensor<6x2x3xf32>
//       CHECK:   %[[ALL:.*]] = tensor.concat dim(0) %[[BH]]#1, %[[MERGED]]
//       CHECK:   return %[[BH]]#0, %[[ALL]]
func.func @pair_prime_steps(%x: tensor<7x2x3xf32>, %h0: tensor<2x3xf32>)
    -> (tensor<2x3xf32>, tensor<7x2x3xf32>) {
  // expected-remark @below {{checkpointed gradient: 1 x 1 + 3 x 2 steps (1 level)}}
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x3xf32>) sequences(%xt = %x : tensor<7x2x3xf32>)
      -> (tensor<2x3xf32>, tensor<7x2x3xf32>) {
    %n = arith.addf %h, %xt : tensor<2x3xf32>
    %t = math.tanh %n : tensor<2x3xf32>
    scan.yield %t, %h : tensor<2x3xf32>, tensor<2x3xf32>
  }
  %d, %dxs = scan.scan reverse carries(%a = %hT : tensor<2x3xf32>)
      sequences(%hp = %hs : tensor<7x2x3xf32>, %xt = %x : tensor<7x2x3xf32>)
      -> (tensor<2x3xf32>, tensor<7x2x3xf32>) {
    %m = arith.mulf %a, %hp : tensor<2x3xf32>
    %dx = arith.mulf %m, %xt : tensor<2x3xf32>
    scan.yield %m, %dx : tensor<2x3xf32>, tensor<2x3xf32>
  }
  return %d, %dxs : tensor<2x3xf32>, tensor<7x2x3xf32>
}

// -----

// The forward scan's stack is also returned: storing it is required anyway,
// so the pair is left alone.
// CHECK-LABEL: func.func @negative_stack_returned
//   CHECK-NOT:   scan.checkpoint_segments
//       CHECK:   return
func.func @negative_stack_returned(%x: tensor<6x2x3xf32>, %h0: tensor<2x3xf32>)
    -> (tensor<2x3xf32>, tensor<6x2x3xf32>) {
  // expected-remark @below {{gradient not checkpointed: a stacked output has users other than one reverse scan's sequences}}
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x3xf32>) sequences(%xt = %x : tensor<6x2x3xf32>)
      -> (tensor<2x3xf32>, tensor<6x2x3xf32>) {
    %n = arith.addf %h, %xt : tensor<2x3xf32>
    scan.yield %n, %h : tensor<2x3xf32>, tensor<2x3xf32>
  }
  %d = scan.scan reverse carries(%a = %hT : tensor<2x3xf32>) sequences(%hp = %hs : tensor<6x2x3xf32>)
      -> tensor<2x3xf32> {
    %m = arith.mulf %a, %hp : tensor<2x3xf32>
    scan.yield %m : tensor<2x3xf32>
  }
  return %d, %hs : tensor<2x3xf32>, tensor<6x2x3xf32>
}

// -----

// The stack feeds a forward scan, which does not walk it backwards.
// CHECK-LABEL: func.func @negative_forward_reader
//   CHECK-NOT:   scan.checkpoint_segments
//       CHECK:   return
func.func @negative_forward_reader(%x: tensor<6x2x3xf32>, %h0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-remark @below {{gradient not checkpointed: a stacked output has users other than one reverse scan's sequences}}
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x3xf32>) sequences(%xt = %x : tensor<6x2x3xf32>)
      -> (tensor<2x3xf32>, tensor<6x2x3xf32>) {
    %n = arith.addf %h, %xt : tensor<2x3xf32>
    scan.yield %n, %h : tensor<2x3xf32>, tensor<2x3xf32>
  }
  %d = scan.scan carries(%a = %hT : tensor<2x3xf32>) sequences(%hp = %hs : tensor<6x2x3xf32>)
      -> tensor<2x3xf32> {
    %m = arith.mulf %a, %hp : tensor<2x3xf32>
    scan.yield %m : tensor<2x3xf32>
  }
  return %d : tensor<2x3xf32>
}

// -----

// Two steps at most per segment and two steps in all: nothing to split.
// CHECK-LABEL: func.func @negative_short
//   CHECK-NOT:   scan.checkpoint_segments
//       CHECK:   return
func.func @negative_short(%x: tensor<2x2x3xf32>, %h0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x3xf32>) sequences(%xt = %x : tensor<2x2x3xf32>)
      -> (tensor<2x3xf32>, tensor<2x2x3xf32>) {
    %n = arith.addf %h, %xt : tensor<2x3xf32>
    scan.yield %n, %h : tensor<2x3xf32>, tensor<2x3xf32>
  }
  %d = scan.scan reverse carries(%a = %hT : tensor<2x3xf32>) sequences(%hp = %hs : tensor<2x2x3xf32>)
      -> tensor<2x3xf32> {
    %m = arith.mulf %a, %hp : tensor<2x3xf32>
    scan.yield %m : tensor<2x3xf32>
  }
  return %d : tensor<2x3xf32>
}
