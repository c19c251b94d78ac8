
func.func @cost(%x: tensor<4xf32>, %n: tensor<4xi32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// No gradient with respect to an integer argument.
func.func @grad_wrt_integer(%x: tensor<3xf32>, %n: tensor<4xi32>) -> tensor<4xi32> {
  // exp       CHECK
  // exp       CHECK:   return %[[H]], %[[STACK]]

// UNPREPARED-LABEL: func.func @carry_and_output
//cost(%x: tensor<4xf32>, %n: tensor<4xi32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// No gradient with respect to an integer argument.
func.func @grad_wrt_integer(%x: tensor<3xf32>, %n: tensor<4xi32>) -> tensor<4xi32> {
  // exp       CHECK:   :   return %[[H]], %[[STACK]]

// UNPREPARED-LABEL: func.func @carry_and_output
//cost(%x: tensor<4xf32>, %n: tensor<4xi32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// No gradient with respect to an integer argument.
func.func @grad_wrt_integer(%x: tensor<3xf32>, %n: tensor<4xi32>) -> tensor<4xi32> {
  // exp       CHECK:   return %[[H]], %[[STACK]]

// UNPREPARED-LABEL: func.func @carry_and_output
//       UNPREPARED:   scf.forargument #1 of non-float type '       UNPREPARED:   scf.for
//       .grad @cost{{'scan.grad' op cannot differentiate with respect to argument #1 of non-float type 'ten4xi32>
}

