// The gated RNN of gru.mlir with its state update masked per step and
// element, as for padded sequences of different lengths: B = 80, T = 50,
// D = 1000, float32. The mask is one more sequence, boolean for the select
// form, 0/1 floats for the arithmetic blend.

// The cost of one forward pass, masked with a select per element: where
// the mask is false the state is carried over unchanged.
func.func @gru_select_cost(%x: tensor<50x80x1000xf32>, %ri: tensor<50x80x1000xf32>,
                           %zi: tensor<50x80x1000xf32>, %h0: tensor<80x1000xf32>,
                           %U: tensor<1000x1000xf32>, %V: tensor<1000x1000xf32>,
                           %W: tensor<1000x1000xf32>, %m: tensor<50x80x1000xi1>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<80x1000xf32>
  %empty = tensor.empty() : tensor<80x1000xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<80x1000xf32>)
                  sequences(%xt = %x : tensor<50x80x1000xf32>,
                            %rit = %ri : tensor<50x80x1000xf32>,
                            %zit = %zi : tensor<50x80x1000xf32>,
                            %mt = %m : tensor<50x80x1000xi1>)
                  -> tensor<80x1000xf32> {
    // r = sigmoid(ri_t + h U), with sigmoid(a) = 1 / (1 + exp(-a))
    %hU = linalg.matmul ins(%h, %U : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                        outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %ra = arith.addf %rit, %hU : tensor<80x1000xf32>
    %rn = arith.negf %ra : tensor<80x1000xf32>
    %re = math.exp %rn : tensor<80x1000xf32>
    %rd = arith.addf %one, %re : tensor<80x1000xf32>
    %r = arith.divf %one, %rd : tensor<80x1000xf32>
    // z = sigmoid(zi_t + h V)
    %hV = linalg.matmul ins(%h, %V : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                        outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %za = arith.addf %zit, %hV : tensor<80x1000xf32>
    %zn = arith.negf %za : tensor<80x1000xf32>
    %ze = math.exp %zn : tensor<80x1000xf32>
    %zd = arith.addf %one, %ze : tensor<80x1000xf32>
    %z = arith.divf %one, %zd : tensor<80x1000xf32>
    // new_h = tanh(x_t + (r * h) W)
    %rh = arith.mulf %r, %h : tensor<80x1000xf32>
    %rhW = linalg.matmul ins(%rh, %W : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %na = arith.addf %xt, %rhW : tensor<80x1000xf32>
    %newh = math.tanh %na : tensor<80x1000xf32>
    // h_t = z * new_h + (1 - z) * h
    %zh = arith.mulf %z, %newh : tensor<80x1000xf32>
    %omz = arith.subf %one, %z : tensor<80x1000xf32>
    %keep = arith.mulf %omz, %h : tensor<80x1000xf32>
    %hn = arith.addf %zh, %keep : tensor<80x1000xf32>
    // h_t = mask_t ? h_new : h_prev (steps past a sequence's end keep h)
    %hm = arith.select %mt, %hn, %h : tensor<80x1000xi1>, tensor<80x1000xf32>
    scan.yield %hm : tensor<80x1000xf32>
  }
  %sum0 = tensor.empty() : tensor<f32>
  %sumInit = linalg.fill ins(%zero : f32) outs(%sum0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<80x1000xf32>) outs(%sumInit : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %cost = tensor.extract %sum[] : tensor<f32>
  return %cost : f32
}

// The gradients of the gru_select cost w.r.t. the weights U, V and W.
func.func @gru_select_grad(%x: tensor<50x80x1000xf32>, %ri: tensor<50x80x1000xf32>,
    %zi: tensor<50x80x1000xf32>, %h0: tensor<80x1000xf32>,
    %U: tensor<1000x1000xf32>, %V: tensor<1000x1000xf32>,
    %W: tensor<1000x1000xf32>, %m: tensor<50x80x1000xi1>)
    -> (tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>) {
  %dU, %dV, %dW = scan.grad @gru_select_cost(%x, %ri, %zi, %h0, %U, %V, %W, %m) wrt [4, 5, 6]
      : (tensor<50x80x1000xf32>, tensor<50x80x1000xf32>, tensor<50x80x1000xf32>,
         tensor<80x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
         tensor<1000x1000xf32>, tensor<50x80x1000xi1>)
      -> (tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>)
  return %dU, %dV, %dW : tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>
}

// The same with the arithmetic blend of a float mask m in {0, 1}.
func.func @gru_blend_cost(%x: tensor<50x80x1000xf32>, %ri: tensor<50x80x1000xf32>,
                          %zi: tensor<50x80x1000xf32>, %h0: tensor<80x1000xf32>,
                          %U: tensor<1000x1000xf32>, %V: tensor<1000x1000xf32>,
                          %W: tensor<1000x1000xf32>, %m: tensor<50x80x1000xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<80x1000xf32>
  %empty = tensor.empty() : tensor<80x1000xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<80x1000xf32>)
                  sequences(%xt = %x : tensor<50x80x1000xf32>,
                            %rit = %ri : tensor<50x80x1000xf32>,
                            %zit = %zi : tensor<50x80x1000xf32>,
                            %mt = %m : tensor<50x80x1000xf32>)
                  -> tensor<80x1000xf32> {
    // r = sigmoid(ri_t + h U), with sigmoid(a) = 1 / (1 + exp(-a))
    %hU = linalg.matmul ins(%h, %U : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                        outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %ra = arith.addf %rit, %hU : tensor<80x1000xf32>
    %rn = arith.negf %ra : tensor<80x1000xf32>
    %re = math.exp %rn : tensor<80x1000xf32>
    %rd = arith.addf %one, %re : tensor<80x1000xf32>
    %r = arith.divf %one, %rd : tensor<80x1000xf32>
    // z = sigmoid(zi_t + h V)
    %hV = linalg.matmul ins(%h, %V : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                        outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %za = arith.addf %zit, %hV : tensor<80x1000xf32>
    %zn = arith.negf %za : tensor<80x1000xf32>
    %ze = math.exp %zn : tensor<80x1000xf32>
    %zd = arith.addf %one, %ze : tensor<80x1000xf32>
    %z = arith.divf %one, %zd : tensor<80x1000xf32>
    // new_h = tanh(x_t + (r * h) W)
    %rh = arith.mulf %r, %h : tensor<80x1000xf32>
    %rhW = linalg.matmul ins(%rh, %W : tensor<80x1000xf32>, tensor<1000x1000xf32>)
                         outs(%acc0 : tensor<80x1000xf32>) -> tensor<80x1000xf32>
    %na = arith.addf %xt, %rhW : tensor<80x1000xf32>
    %newh = math.tanh %na : tensor<80x1000xf32>
    // h_t = z * new_h + (1 - z) * h
    %zh = arith.mulf %z, %newh : tensor<80x1000xf32>
    %omz = arith.subf %one, %z : tensor<80x1000xf32>
    %keep = arith.mulf %omz, %h : tensor<80x1000xf32>
    %hn = arith.addf %zh, %keep : tensor<80x1000xf32>
    // h_t = m_t * h_new + (1 - m_t) * h_prev
    %mh = arith.mulf %mt, %hn : tensor<80x1000xf32>
    %omm = arith.subf %one, %mt : tensor<80x1000xf32>
    %mk = arith.mulf %omm, %h : tensor<80x1000xf32>
    %hm = arith.addf %mh, %mk : tensor<80x1000xf32>
    scan.yield %hm : tensor<80x1000xf32>
  }
  %sum0 = tensor.empty() : tensor<f32>
  %sumInit = linalg.fill ins(%zero : f32) outs(%sum0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<80x1000xf32>) outs(%sumInit : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %cost = tensor.extract %sum[] : tensor<f32>
  return %cost : f32
}

// The gradients of the gru_blend cost w.r.t. the weights U, V and W.
func.func @gru_blend_grad(%x: tensor<50x80x1000xf32>, %ri: tensor<50x80x1000xf32>,
    %zi: tensor<50x80x1000xf32>, %h0: tensor<80x1000xf32>,
    %U: tensor<1000x1000xf32>, %V: tensor<1000x1000xf32>,
    %W: tensor<1000x1000xf32>, %m: tensor<50x80x1000xf32>)
    -> (tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>) {
  %dU, %dV, %dW = scan.grad @gru_blend_cost(%x, %ri, %zi, %h0, %U, %V, %W, %m) wrt [4, 5, 6]
      : (tensor<50x80x1000xf32>, tensor<50x80x1000xf32>, tensor<50x80x1000xf32>,
         tensor<80x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>,
         tensor<1000x1000xf32>, tensor<50x80x1000xf32>)
      -> (tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>)
  return %dU, %dV, %dW : tensor<1000x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>
}
