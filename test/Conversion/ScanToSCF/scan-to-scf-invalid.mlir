// RUN: scan-opt %s --split-input-file --convert-scan-to-scf --verify-diagnostics

// scan.grad must be expanded by scan-differentiate before lowering: the
// conversion refuses to leave it behind.
func.func @f(%x: f32) -> f32 {
  return %x : f32
}
func.func @grad_left(%x: f32) -> f32 {
  // expected-error @below {{failed to legalize operation 'scan.grad' that was explicitly marked illegal}}
  %g = scan.grad @f(%x) wrt [0] : (f32) -> (f32)
  return %g : f32
}
