// A scan over an empty sequence (T = 0): rejected by the verifier.
func.func @f(%x: tensor<0x4xf32>, %h0: tensor<4xf32>) -> tensor<4xf32> {
  %hT = scan.scan carries(%h = %h0 : tensor<4xf32>)
                  sequences(%xt = %x : tensor<0x4xf32>) -> tensor<4xf32> {
    %n = arith.addf %h, %xt : tensor<4xf32>
    scan.yield %n : tensor<4xf32>
  }
  return %hT : tensor<4xf32>
}
