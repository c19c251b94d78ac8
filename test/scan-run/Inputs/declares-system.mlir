// The same through a func.func declaration of system(), called with an
// integer where it expects a pointer.
func.func private @system(i64) -> i32

func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c = arith.constant 0 : i64
  %r = func.call @system(%c) : (i64) -> i32
  return %x : tensor<2xf32>
}
