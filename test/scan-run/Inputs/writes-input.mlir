// Compiled code that writes into its input: `read_only` promises the
// bufferization that the buffer of %x is only read, and the store below
// breaks the promise. Each call adds 1 to x[0, 0] and returns the new value,
// so the result tells how many calls saw a modified input.
func.func @bump(%x: tensor<4x3xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %m = bufferization.to_buffer %x read_only : tensor<4x3xf32> to memref<4x3xf32>
  %old = memref.load %m[%c0, %c0] : memref<4x3xf32>
  %new = arith.addf %old, %one : f32
  memref.store %new, %m[%c0, %c0] : memref<4x3xf32>
  return %new : f32
}
