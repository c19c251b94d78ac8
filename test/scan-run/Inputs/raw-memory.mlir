// Raw memory: a memref op in a tensor program.
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %m = memref.alloc() : memref<2xf32>
  memref.dealloc %m : memref<2xf32>
  return %x : tensor<2xf32>
}
