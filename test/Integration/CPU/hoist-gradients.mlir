// The gradients scan-differentiate emits for small f64 versions of the three
// examples (T = 5, B = 3, D = 4; the same cells as examples/*.mlir) keep their
// numbers when both hoisting passes rewrite them: plain against hoisted on
// random normal inputs of scale 1, and the hoisted gradients against central
// finite differences. IR checks show that the passes fired: weight
// gradients become one GEMM after the backward loop with inner dimension
// T*B = 15, and projections of stored sequences one GEMM before a loop.

// DEFINE: %{hoisted} = builtin.module(scan-differentiate,func.func(scan-hoist-accumulated-matmuls,scan-hoist-input-projections))
// DEFINE: %{compare} = --compare='plain,%{hoisted}' --random-scale=1 --random-seed=5 \
// DEFINE:   --rtol=1e-10 --atol=1e-12 --warmup=0 --repeat=1
// RUN: scan-opt %s --scan-differentiate --scan-hoist-accumulated-matmuls \
// RUN:   --scan-hoist-input-projections 2>/dev/null | FileCheck %s --check-prefix=IR
// RUN: scan-run %s --entry=rnn_grad %{compare} | FileCheck %s --check-prefix=RNN
// RUN: scan-run %s --entry=gru_grad %{compare} | FileCheck %s --check-prefix=GRU
// RUN: scan-run %s --entry=lstm_grad %{compare} | FileCheck %s --check-prefix=LSTM
// RUN: scan-run %s --entry=rnn_grad --variant='%{hoisted}' --check-grad --random-scale=1 | FileCheck %s --check-prefix=FDRNN
// RUN: scan-run %s --entry=gru_grad --variant='%{hoisted}' --check-grad --random-scale=1 | FileCheck %s --check-prefix=FDGRU
// RUN: scan-run %s --entry=lstm_grad --variant='%{hoisted}' --check-grad --random-scale=1 | FileCheck %s --check-prefix=FDLSTM

// IR-LABEL: func.func private @rnn_cost_grad
//       IR:   linalg.matmul ins(%{{.*}} : tensor<15x4xf64>, tensor<4x4xf64>) outs(%{{.*}} : tensor<15x4xf64>)
//       IR:   scan.scan reverse
// IR-COUNT-1:   linalg.matmul {{.*}} : tensor<15x4xf64>, tensor<15x4xf64>) outs(%{{.*}} : tensor<4x4xf64>)
//   IR-NOT:   linalg.matmul
//       IR:   return
// IR-LABEL: func.func private @gru_cost_grad
//       IR:   scan.scan reverse
// IR-COUNT-3:   linalg.matmul {{.*}} : tensor<15x4xf64>, tensor<15x4xf64>) outs(%{{.*}} : tensor<4x4xf64>)
//   IR-NOT:   linalg.matmul
//       IR:   return
// IR-LABEL: func.func private @lstm_cost_grad
//       IR:   scan.scan reverse
// IR-COUNT-8:   linalg.matmul {{.*}} : tensor<15x4xf64>, tensor<15x4xf64>) outs(%{{.*}} : tensor<4x4xf64>)
//   IR-NOT:   linalg.matmul
//       IR:   return

// RNN-COUNT-1: hoist-input-projections)) vs plain: max abs diff
// GRU-COUNT-3: hoist-input-projections)) vs plain: max abs diff
// LSTM-COUNT-8: hoist-input-projections)) vs plain: max abs diff
// FDRNN-COUNT-1: check-grad {{.*}} d@rnn_cost/darg{{[0-9]+}} f64[4x4]: {{.*}} < 1e-06: ok
// FDGRU-COUNT-3: check-grad {{.*}} d@gru_cost/darg{{[0-9]+}} f64[4x4]: {{.*}} < 1e-06: ok
// FDLSTM-COUNT-8: check-grad {{.*}} d@lstm_cost/darg{{[0-9]+}} f64[4x4]: {{.*}} < 1e-06: ok


func.func @rnn_cost(%x: tensor<5x3x4xf64>, %h0: tensor<3x4xf64>,
                    %W: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %empty = tensor.empty() : tensor<3x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<3x4xf64>) -> tensor<3x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<3x4xf64>)
                  sequences(%xt = %x : tensor<5x3x4xf64>)
                  -> tensor<3x4xf64> {
    %hW = linalg.matmul ins(%h, %W : tensor<3x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %pre = arith.addf %xt, %hW : tensor<3x4xf64>
    %hn = math.tanh %pre : tensor<3x4xf64>
    scan.yield %hn : tensor<3x4xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<3x4xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

func.func @rnn_grad(%x: tensor<5x3x4xf64>, %h0: tensor<3x4xf64>,
                    %W: tensor<4x4xf64>) -> tensor<4x4xf64> {
  %dW = scan.grad @rnn_cost(%x, %h0, %W) wrt [2]
      : (tensor<5x3x4xf64>, tensor<3x4xf64>, tensor<4x4xf64>)
      -> tensor<4x4xf64>
  return %dW : tensor<4x4xf64>
}

func.func @gru_cost(%x: tensor<5x3x4xf64>, %ri: tensor<5x3x4xf64>,
                    %zi: tensor<5x3x4xf64>, %h0: tensor<3x4xf64>,
                    %U: tensor<4x4xf64>, %V: tensor<4x4xf64>,
                    %W: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<3x4xf64>
  %empty = tensor.empty() : tensor<3x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<3x4xf64>) -> tensor<3x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<3x4xf64>)
                  sequences(%xt = %x : tensor<5x3x4xf64>,
                            %rit = %ri : tensor<5x3x4xf64>,
                            %zit = %zi : tensor<5x3x4xf64>)
                  -> tensor<3x4xf64> {
    // r = sigmoid(ri_t + h U), with sigmoid(a) = 1 / (1 + exp(-a))
    %hU = linalg.matmul ins(%h, %U : tensor<3x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %ra = arith.addf %rit, %hU : tensor<3x4xf64>
    %rn = arith.negf %ra : tensor<3x4xf64>
    %re = math.exp %rn : tensor<3x4xf64>
    %rd = arith.addf %one, %re : tensor<3x4xf64>
    %r = arith.divf %one, %rd : tensor<3x4xf64>
    // z = sigmoid(zi_t + h V)
    %hV = linalg.matmul ins(%h, %V : tensor<3x4xf64>, tensor<4x4xf64>)
                        outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %za = arith.addf %zit, %hV : tensor<3x4xf64>
    %zn = arith.negf %za : tensor<3x4xf64>
    %ze = math.exp %zn : tensor<3x4xf64>
    %zd = arith.addf %one, %ze : tensor<3x4xf64>
    %z = arith.divf %one, %zd : tensor<3x4xf64>
    // new_h = tanh(x_t + (r * h) W)
    %rh = arith.mulf %r, %h : tensor<3x4xf64>
    %rhW = linalg.matmul ins(%rh, %W : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %na = arith.addf %xt, %rhW : tensor<3x4xf64>
    %newh = math.tanh %na : tensor<3x4xf64>
    // h_t = z * new_h + (1 - z) * h
    %zh = arith.mulf %z, %newh : tensor<3x4xf64>
    %omz = arith.subf %one, %z : tensor<3x4xf64>
    %keep = arith.mulf %omz, %h : tensor<3x4xf64>
    %hn = arith.addf %zh, %keep : tensor<3x4xf64>
    scan.yield %hn : tensor<3x4xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<3x4xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

func.func @gru_grad(%x: tensor<5x3x4xf64>, %ri: tensor<5x3x4xf64>,
                    %zi: tensor<5x3x4xf64>, %h0: tensor<3x4xf64>,
                    %U: tensor<4x4xf64>, %V: tensor<4x4xf64>,
                    %W: tensor<4x4xf64>)
    -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>) {
  %dU, %dV, %dW = scan.grad @gru_cost(%x, %ri, %zi, %h0, %U, %V, %W) wrt [4, 5, 6]
      : (tensor<5x3x4xf64>, tensor<5x3x4xf64>, tensor<5x3x4xf64>,
         tensor<3x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
         tensor<4x4xf64>)
      -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>)
  return %dU, %dV, %dW : tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>
}

func.func @lstm_cost(%x: tensor<5x3x4xf64>, %h0: tensor<3x4xf64>,
                     %c0: tensor<3x4xf64>,
                     %Wi: tensor<4x4xf64>, %Wf: tensor<4x4xf64>,
                     %Wo: tensor<4x4xf64>, %Wg: tensor<4x4xf64>,
                     %Ui: tensor<4x4xf64>, %Uf: tensor<4x4xf64>,
                     %Uo: tensor<4x4xf64>, %Ug: tensor<4x4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant dense<1.0> : tensor<3x4xf64>
  %empty = tensor.empty() : tensor<3x4xf64>
  %acc0 = linalg.fill ins(%zero : f64) outs(%empty : tensor<3x4xf64>) -> tensor<3x4xf64>
  %hT, %cT = scan.scan carries(%h = %h0 : tensor<3x4xf64>, %c = %c0 : tensor<3x4xf64>)
                       sequences(%xt = %x : tensor<5x3x4xf64>)
                       -> (tensor<3x4xf64>, tensor<3x4xf64>) {
    // input gate
    %xWi = linalg.matmul ins(%xt, %Wi : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %hUi = linalg.matmul ins(%h, %Ui : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %ia = arith.addf %xWi, %hUi : tensor<3x4xf64>
    %in = arith.negf %ia : tensor<3x4xf64>
    %ie = math.exp %in : tensor<3x4xf64>
    %id = arith.addf %one, %ie : tensor<3x4xf64>
    %i = arith.divf %one, %id : tensor<3x4xf64>
    // forget gate
    %xWf = linalg.matmul ins(%xt, %Wf : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %hUf = linalg.matmul ins(%h, %Uf : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %fa = arith.addf %xWf, %hUf : tensor<3x4xf64>
    %fn = arith.negf %fa : tensor<3x4xf64>
    %fe = math.exp %fn : tensor<3x4xf64>
    %fd = arith.addf %one, %fe : tensor<3x4xf64>
    %f = arith.divf %one, %fd : tensor<3x4xf64>
    // output gate
    %xWo = linalg.matmul ins(%xt, %Wo : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %hUo = linalg.matmul ins(%h, %Uo : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %oa = arith.addf %xWo, %hUo : tensor<3x4xf64>
    %on = arith.negf %oa : tensor<3x4xf64>
    %oe = math.exp %on : tensor<3x4xf64>
    %od = arith.addf %one, %oe : tensor<3x4xf64>
    %o = arith.divf %one, %od : tensor<3x4xf64>
    // candidate
    %xWg = linalg.matmul ins(%xt, %Wg : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %hUg = linalg.matmul ins(%h, %Ug : tensor<3x4xf64>, tensor<4x4xf64>)
                         outs(%acc0 : tensor<3x4xf64>) -> tensor<3x4xf64>
    %ga = arith.addf %xWg, %hUg : tensor<3x4xf64>
    %g = math.tanh %ga : tensor<3x4xf64>
    // state update
    %fc = arith.mulf %f, %c : tensor<3x4xf64>
    %ig = arith.mulf %i, %g : tensor<3x4xf64>
    %cn = arith.addf %fc, %ig : tensor<3x4xf64>
    %tc = math.tanh %cn : tensor<3x4xf64>
    %hn = arith.mulf %o, %tc : tensor<3x4xf64>
    scan.yield %hn, %cn : tensor<3x4xf64>, tensor<3x4xf64>
  }
  %sum0 = tensor.empty() : tensor<f64>
  %sumInit = linalg.fill ins(%zero : f64) outs(%sum0 : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%hT : tensor<3x4xf64>) outs(%sumInit : tensor<f64>) dimensions = [0, 1]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %cost = tensor.extract %sum[] : tensor<f64>
  return %cost : f64
}

func.func @lstm_grad(%x: tensor<5x3x4xf64>, %h0: tensor<3x4xf64>,
                     %c0: tensor<3x4xf64>,
                     %Wi: tensor<4x4xf64>, %Wf: tensor<4x4xf64>,
                     %Wo: tensor<4x4xf64>, %Wg: tensor<4x4xf64>,
                     %Ui: tensor<4x4xf64>, %Uf: tensor<4x4xf64>,
                     %Uo: tensor<4x4xf64>, %Ug: tensor<4x4xf64>)
    -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>) {
  %dWi, %dWf, %dWo, %dWg, %dUi, %dUf, %dUo, %dUg =
      scan.grad @lstm_cost(%x, %h0, %c0, %Wi, %Wf, %Wo, %Wg, %Ui, %Uf, %Uo, %Ug)
      wrt [3, 4, 5, 6, 7, 8, 9, 10]
      : (tensor<5x3x4xf64>, tensor<3x4xf64>, tensor<3x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
         tensor<4x4xf64>, tensor<4x4xf64>)
      -> (tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
          tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
          tensor<4x4xf64>, tensor<4x4xf64>)
  return %dWi, %dWf, %dWo, %dWg, %dUi, %dUf, %dUo, %dUg
      : tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>,
        tensor<4x4xf64>, tensor<4x4xf64>
}
