func.func @cost(%x: tensor<6x2x4xf32>, %h0: tensor<2x4xf32>, %U: tensor<4x4xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf32>) sequences(%xt = %x : tensor<6x2x4xf32>) -> tensor<2x4xf32> {
    %hU = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
                        ins(%h, %U : tensor<2x4xf32>, tensor<4x4xf32>) outs(%acc0 : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hU : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn : tensor<2x4xf32>
  }
  %s0 = tensor.empty() : tensor<f32>
  %si = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<2x4xf32>) outs(%si : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %a: f32) {
      %s = arith.addf %in, %a : f32
      linalg.yield %s : f32
    }
  %c = tensor.extract %sum[] : tensor<f32>
  return %c : f32
}
func.func @grad(%x: tensor<6x2x4xf32>, %h0: tensor<2x4xf32>, %U: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %dU = scan.grad @cost(%x, %h0, %U) wrt [2] : (tensor<6x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %dU : tensor<4x4xf32>
}
