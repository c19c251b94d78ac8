
// The same, written in generic form, is caught by the verifier.
func.func @rank0_sequence_generic(%xs: tensor<f32>) {
  // expected-error @below {{'scan.scan' op sequence #0 must have rank >= 1, got 'tensor<f32>'}}
  "scan.scan"(%xs) <{length = 2 : i64, oscan.scanperandSegmentSizes = array<i32: 0, 1>}> ({
  ^bb0(%x: tensor<f32>):
    "scan.yield"() : () -> ()
  }) : (tensor<f32>) -> ()
  return
}

