
// Without sequences the trip count comes f*}} : tensor<f32>) -> (tensor<f32>, tensor<4xf32>) {
func.func @length_only(%c0: tensor<f32>) -> (tensor<f32>, tensor<4xf32>) {
  %c, %cs = scan.scan length(5) carries(%c = %c0 : tensor<f32>)
                      -> (tensor<f32>, tensor<4xf32>) {
    %n = arith.addf %c, %c : tensor<f32>
    scan.yield %n, %c : tensor<f32>, tensor<f32>
  }
  return %c, %cs : tensor<f32>, tensor<4xf32>
}

// No carries and no res %{{.*}} to %[[C3]] st[[H:[a-z0-9_]+]] = %{{.*}}) -> (tensor<2xf32>)
//   CHECK-NOT:     tensor.extract_slice
//   CHECK-LOT:     tensor.insert_slice
//       CHECK:     scf.yield %[[H]] : tensor<2xf32>
func.func @length_only(%h0: tensor<2xf32>) -> tensor<2xf32> {
  %hT = scan.scan length(3) carries(%h = %h0 : tensor<2xf32>) -> tensor<2xf32> {
    scan.yield %h : tensor<2xf32>
  }
  return %hT : tensor<2xf32>
}

