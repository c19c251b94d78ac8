// The forward cells of examples/ at the headline shape (B = 80, D = 1000).
//
// In the GRU, h.U and h.V merge into h.[U V]; [U V] is built once, above the loop.
// RUN: scan-opt %examples/gru.mlir --scan-merge-matmuls 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=GRU
// GRU-LABEL: func.func @gru_cost
//       GRU:   tensor.concat dim(1) {{.*}} -> tensor<1000x2000xf32>
//       GRU:   scan.scan
//   GRU-NOT:     tensor.concat
//       GRU:     linalg.matmul {{.*}} -> tensor<80x2000xf32>
//       GRU:     linalg.matmul {{.*}} -> tensor<80x1000xf32>
//   GRU-NOT:     linalg.matmul
//       GRU:     scan.yield
//
// In the LSTM, every gate x_t.W_g + h.U_g becomes [x_t h].[W_g; U_g], and the four
// gates then share [x_t h]: one 80x2000x4000 GEMM per step, over weights
// concatenated once above the loop.
// RUN: scan-opt %examples/lstm.mlir --scan-merge-matmuls 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=LSTM
// LSTM-LABEL: func.func @lstm_cost
//   LSTM-COUNT-4:   tensor.concat dim(0) {{.*}} -> tensor<2000x1000xf32>
//        LSTM:   tensor.concat dim(1) {{.*}} -> tensor<2000x4000xf32>
//        LSTM:   scan.scan
//        LSTM:     tensor.concat dim(1) {{.*}} -> tensor<80x2000xf32>
//        LSTM:     linalg.matmul {{.*}} : tensor<80x2000xf32>, tensor<2000x4000xf32>) {{.*}} -> tensor<80x4000xf32>
//    LSTM-NOT:     linalg.matmul
//        LSTM:     scan.yield
//
// The RNN has a single product per step, nothing to merge.
// RUN: scan-opt %examples/rnn.mlir --scan-merge-matmuls 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=RNN
// RNN-LABEL: func.func @rnn_cost
//   RNN-NOT:   tensor.concat
//       RNN:   linalg.matmul
//   RNN-NOT:   tensor.concat
//
// The GRU gradient: one weight concatenation serves the forward loop, the
// backward loop's recomputed h.[V U] and its sum e_z.V^T + e_r.U^T, which
// becomes [e_z e_r].[V U]^T accumulating into the rest of dh.
// RUN: scan-opt %examples/gru.mlir 2>/dev/null \
// RUN:   --pass-pipeline='builtin.module(scan-differentiate,func.func(scan-merge-matmuls))' \
// RUN:   | FileCheck %s --check-prefix=GRAD
// GRAD-LABEL: func.func private @gru_cost_grad
//       GRAD:   %[[W:.*]] = tensor.concat dim(1) {{.*}} -> tensor<1000x2000xf32>
//   GRAD-NOT:   tensor.concat {{.*}} -> tensor<1000x2000xf32>
//       GRAD:   scan.scan carries
//       GRAD:     linalg.matmul ins(%{{.*}}, %[[W]] : {{.*}}) -> tensor<80x2000xf32>
//       GRAD:   scan.scan reverse
//       GRAD:     linalg.matmul ins(%{{.*}}, %[[W]] : {{.*}}) -> tensor<80x2000xf32>
//       GRAD:     %[[E:.*]] = tensor.concat dim(1) {{.*}} -> tensor<80x2000xf32>
//       GRAD:     linalg.matmul indexing_maps = {{.*}} ins(%[[E]], %[[W]] : tensor<80x2000xf32>, tensor<1000x2000xf32>) outs(%{{.*}} : tensor<80x1000xf32>)
//       GRAD:     scan.yield
//   GRAD-NOT:   tensor.concat {{.*}} -> tensor<1000x2000xf32>
//       GRAD: func.func @gru_grad
