// Calls a function that nothing defines.
func.func private @nowhere(tensor<4xf32>) -> tensor<4xf32>
func.func @calls_nowhere(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = func.call @nowhere(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
