// An entry that is only a declaration.
func.func private @declared(tensor<4xf32>) -> tensor<4xf32>
