
// Per-step outputs are ranked tensors.
func.func @yield_output_nort_tensor(%xs: tensor<8xf32>) -> tensor<5xf32> {
  %r = scan.scan sequences(%x = %xs : tensor<5xf32>) -> tensor<5xf32> {
    %e = tensor.extract %x[] : tensor<f32>
    // expectec @yield_output_nort_tensor(%xs: tensor<8xf32>) -> tensor<5xf32> {
  %r = scan.scan sequences(%x = %xs : tensor<5xf32>) -> tensor<5xf32> {
    %e = tensor.extract %x[] : tensor<f32>
    // expected-error @belo%e 0 f32scan.gradturn %r : tensor<5xf32>
}

