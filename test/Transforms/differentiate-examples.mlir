// The plain gradients of the three example cells at their headline shapes.
// RUN: scan-opt %examples/rnn.mlir --scan-differentiate | FileCheck %s --check-prefix=RNN
// RUN: scan-opt %examples/gru.mlir --scan-differentiate | FileCheck %s --check-prefix=GRU
// RUN: scan-opt %examples/lstm.mlir --scan-differentiate | FileCheck %s --check-prefix=LSTM

// The forward scan stacks h; the backward scan carries dh and dW and reads
// the stacked h and x; dW is updated once per step by a matmul into itself.
// RNN-LABEL: func.func private @rnn_cost_grad_2(
//       RNN:   %[[F:.+]]:2 = scan.scan carries(%[[H:.+]] = %{{.+}} : tensor<80x1000xf32>) sequences({{.*}}) -> (tensor<80x1000xf32>, tensor<50x80x1000xf32>)
//       RNN:     scan.yield %{{.+}}, %[[H]] :
//       RNN:   %[[B:.+]]:2 = scan.scan reverse carries(%{{.+}} : tensor<80x1000xf32>, %[[DW:.+]] = %{{.+}} : tensor<1000x1000xf32>) sequences(%[[HT:.+]] = %[[F]]#1 : tensor<50x80x1000xf32>, %{{.+}} : tensor<50x80x1000xf32>) -> (tensor<80x1000xf32>, tensor<1000x1000xf32>)
//       RNN:     %[[DWN:.+]] = linalg.matmul indexing_maps = {{.*}} ins(%[[HT]], %{{.+}}) outs(%[[DW]] : tensor<1000x1000xf32>)
//       RNN:     scan.yield %{{.+}}, %[[DWN]] :
//       RNN:   return %[[B]]#1 : tensor<1000x1000xf32>
// RNN-LABEL: func.func @rnn_grad(
//       RNN:   call @rnn_cost_grad_2(

// For the GRU, the backward scan carries dh, dU, dV, dW and reads the stacked h and
// the three input sequences.
// GRU-LABEL: func.func private @gru_cost_grad_4_5_6(
//       GRU:   %[[F:.+]]:2 = scan.scan carries
//       GRU:   %[[B:.+]]:4 = scan.scan reverse carries(%{{.+}} : tensor<80x1000xf32>, %[[DU:.+]] = %{{.+}} : tensor<1000x1000xf32>, %[[DV:.+]] = %{{.+}} : tensor<1000x1000xf32>, %[[DW:.+]] = %{{.+}} : tensor<1000x1000xf32>) sequences(%[[HT:.+]] = %[[F]]#1 : tensor<50x80x1000xf32>, %{{.+}} : tensor<50x80x1000xf32>, %{{.+}} : tensor<50x80x1000xf32>, %{{.+}} : tensor<50x80x1000xf32>)
//   GRU-DAG:     %[[DWN:.+]] = linalg.matmul indexing_maps = {{.*}} outs(%[[DW]] : tensor<1000x1000xf32>)
//   GRU-DAG:     %[[DVN:.+]] = linalg.matmul indexing_maps = {{.*}} ins(%[[HT]], %{{.+}}) outs(%[[DV]] : tensor<1000x1000xf32>)
//   GRU-DAG:     %[[DUN:.+]] = linalg.matmul indexing_maps = {{.*}} ins(%[[HT]], %{{.+}}) outs(%[[DU]] : tensor<1000x1000xf32>)
//       GRU:     scan.yield %{{.+}}, %[[DUN]], %[[DVN]], %[[DWN]] :
//       GRU:   return %[[B]]#1, %[[B]]#2, %[[B]]#3
// GRU-LABEL: func.func @gru_grad(
//       GRU:   call @gru_cost_grad_4_5_6(

// For the LSTM, both carries are stacked; the backward scan carries dh, dc and one
// accumulator per weight (eight), and reads the stacked h, c and x.
// LSTM-LABEL: func.func private @lstm_cost_grad_3_4_5_6_7_8_9_10(
//       LSTM:   %[[F:.+]]:4 = scan.scan carries(%[[H:.+]] = %{{.+}} : tensor<80x1000xf32>, %[[C:.+]] = %{{.+}} : tensor<80x1000xf32>)
//       LSTM:     scan.yield %{{.+}}, %{{.+}}, %[[H]], %[[C]] :
//       LSTM:   %[[B:.+]]:10 = scan.scan reverse carries({{.*}}) sequences(%{{.+}} = %[[F]]#2 : tensor<50x80x1000xf32>, %{{.+}} = %[[F]]#3 : tensor<50x80x1000xf32>, %{{.+}} : tensor<50x80x1000xf32>) -> (tensor<80x1000xf32>, tensor<80x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>)
//  LSTM-COUNT-8:     linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%{{.+}}, %{{.+}} : tensor<80x1000xf32>, tensor<80x1000xf32>)
//       LSTM:     scan.yield
//       LSTM:   return %[[B]]#2, %[[B]]#4, %[[B]]#6, %[[B]]#8, %[[B]]#3, %[[B]]#5, %[[B]]#7, %[[B]]#9
