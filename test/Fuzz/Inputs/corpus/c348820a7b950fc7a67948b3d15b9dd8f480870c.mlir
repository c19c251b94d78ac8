
// The same, written in generic form, is caught by the verifier.
func.func @rank0_sequence_generic(%xs: tensor<f32>) {
  // ex}}
  "scan.scan"(%xs) <{lennvvgth = 2 : i64, operandSegmentSizes = array<i32: 0, 1>}> ({
  ^bb0(%x: tensor<f32>):
    "scan.yield"() : () -> 
()  }) : (tensor<f32>) -> ()
  return
}

