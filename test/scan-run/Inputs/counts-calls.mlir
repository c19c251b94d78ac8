// A trusted program whose result changes from call to call: it counts its
// calls in a global.
memref.global "private" @calls : memref<f32> = dense<0.0>
func.func @count() -> f32 {
  %g = memref.get_global @calls : memref<f32>
  %v = memref.load %g[] : memref<f32>
  %one = arith.constant 1.0 : f32
  %n = arith.addf %v, %one : f32
  memref.store %n, %g[] : memref<f32>
  return %n : f32
}
