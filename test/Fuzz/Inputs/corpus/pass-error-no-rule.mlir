// A gradient through math.atan, which scan-differentiate has no rule for.
func.func @cost(%x: f32) -> f32 {
  %s = math.atan %x : f32
  return %s : f32
}
func.func @grad(%x: f32) -> f32 {
  %g = scan.grad @cost(%x) wrt [0] : (f32) -> f32
  return %g : f32
}
