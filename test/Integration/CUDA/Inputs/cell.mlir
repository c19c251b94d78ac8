// A small recurrent cell for the CUDA runtime tests, already in the form
// scan-run hands to the lowering (scf.for on tensors plus the wrapper):
//   h_t = sigmoid(x_t + h W^T),  results (h_T, sum(h_T)).
// W is used transposed through indexing_maps, so the GEMM's transpose flag is
// exercised; the scalar result goes through a device-to-host copy.

func.func @cell(%x: tensor<5x8x16xf32>, %h0: tensor<8x16xf32>, %W: tensor<16x16xf32>) -> (tensor<8x16xf32>, f32) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<8x16xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %empty = tensor.empty() : tensor<8x16xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<8x16xf32>) -> tensor<8x16xf32>
  %hT = scf.for %t = %c0 to %c5 step %c1 iter_args(%h = %h0) -> tensor<8x16xf32> {
    %xt = tensor.extract_slice %x[%t, 0, 0] [1, 8, 16] [1, 1, 1] : tensor<5x8x16xf32> to tensor<8x16xf32>
    %hw = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                         affine_map<(m, n, k) -> (n, k)>,
                                         affine_map<(m, n, k) -> (m, n)>]
      ins(%h, %W : tensor<8x16xf32>, tensor<16x16xf32>) outs(%acc0 : tensor<8x16xf32>) -> tensor<8x16xf32>
    %a = arith.addf %xt, %hw : tensor<8x16xf32>
    %n = arith.negf %a : tensor<8x16xf32>
    %e = math.exp %n : tensor<8x16xf32>
    %d = arith.addf %one, %e : tensor<8x16xf32>
    %s = arith.divf %one, %d : tensor<8x16xf32>
    scf.yield %s : tensor<8x16xf32>
  }
  %sum0 = tensor.empty() : tensor<f32>
  %sumInit = linalg.fill ins(%zero : f32) outs(%sum0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<8x16xf32>) outs(%sumInit : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %cost = tensor.extract %sum[] : tensor<f32>
  return %hT, %cost : tensor<8x16xf32>, f32
}

func.func @_scan_run_cell(%x: tensor<5x8x16xf32>, %h0: tensor<8x16xf32>, %W: tensor<16x16xf32>)
    -> (tensor<8x16xf32>, tensor<f32>) attributes {llvm.emit_c_interface} {
  %h, %c = func.call @cell(%x, %h0, %W) : (tensor<5x8x16xf32>, tensor<8x16xf32>, tensor<16x16xf32>) -> (tensor<8x16xf32>, f32)
  %t = tensor.from_elements %c : tensor<f32>
  return %h, %t : tensor<8x16xf32>, tensor<f32>
}
