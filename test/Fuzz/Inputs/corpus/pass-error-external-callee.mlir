
// A function without a body cannot be differentiated.
func.func private @external(f32) -> f32
func.func @external_grad(%x: f32) -> f32 {
  // expected-error @below {{scan-differentiate: cannot differentiate the external function @external}}
  %g = scan.grad @external(%x) wrt [0] : (f32) -> f32
  return %g : f32
}

