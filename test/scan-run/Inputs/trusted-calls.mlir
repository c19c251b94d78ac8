// Declarations of functions the compiled code may link: expf from libm and
// a function of the runtime library (the buffer cache's miss counter, >= 0).
func.func private @expf(f32) -> f32
func.func private @scanrt_buffer_cache_misses() -> i64

func.func @f(%x: f32) -> (f32, i1) {
  %e = func.call @expf(%x) : (f32) -> f32
  %n = func.call @scanrt_buffer_cache_misses() : () -> i64
  %zero = arith.constant 0 : i64
  %ok = arith.cmpi sge, %n, %zero : i64
  return %e, %ok : f32, i1
}
