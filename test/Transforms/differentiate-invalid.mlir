// RUN: scan-opt %s --split-input-file --verify-diagnostics --scan-differentiate

// An op without a reverse rule on the path from the argument to the cost.
func.func @atan_cost(%x: f32) -> f32 {
  // expected-error @below {{scan-differentiate: cannot differentiate 'math.atan'}}
  %s = math.atan %x : f32
  return %s : f32
}
func.func @atan_grad(%x: f32) -> f32 {
  %g = scan.grad @atan_cost(%x) wrt [0] : (f32) -> f32
  return %g : f32
}

// -----

// The same inside a scan body: reported at the op of the cost function.
func.func @atan_in_scan(%x: tensor<3x2xf32>, %h0: tensor<2xf32>) -> tensor<f32> {
  %hT = scan.scan carries(%h = %h0 : tensor<2xf32>) sequences(%xt = %x : tensor<3x2xf32>) -> tensor<2xf32> {
    %a = arith.addf %h, %xt : tensor<2xf32>
    // expected-error @below {{scan-differentiate: cannot differentiate 'math.atan'}}
    %s = math.atan %a : tensor<2xf32>
    scan.yield %s : tensor<2xf32>
  }
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.reduce ins(%hT : tensor<2xf32>) outs(%i : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %r : tensor<f32>
}
func.func @atan_in_scan_grad(%x: tensor<3x2xf32>, %h0: tensor<2xf32>) -> tensor<2xf32> {
  %g = scan.grad @atan_in_scan(%x, %h0) wrt [1] : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %g : tensor<2xf32>
}

// -----

// Calls are not differentiated through.
func.func private @other(f32) -> f32
func.func @call_cost(%x: f32) -> f32 {
  // expected-error @below {{scan-differentiate: cannot differentiate 'func.call'}}
  %y = func.call @other(%x) : (f32) -> f32
  return %y : f32
}
func.func @call_grad(%x: f32) -> f32 {
  %g = scan.grad @call_cost(%x) wrt [0] : (f32) -> f32
  return %g : f32
}

// -----

// A reduction other than a sum, product, maximum or minimum.
func.func @subf_cost(%x: tensor<4xf32>) -> tensor<f32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%one : f32) outs(%e : tensor<f32>) -> tensor<f32>
  // expected-error @below {{scan-differentiate: cannot differentiate 'linalg.reduce' other than a sum, product, maximum or minimum}}
  %r = linalg.reduce ins(%x : tensor<4xf32>) outs(%i : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %t = arith.subf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %r : tensor<f32>
}
func.func @subf_grad(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = scan.grad @subf_cost(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// A function without a body cannot be differentiated.
func.func private @external(f32) -> f32
func.func @external_grad(%x: f32) -> f32 {
  // expected-error @below {{scan-differentiate: cannot differentiate the external function @external}}
  %g = scan.grad @external(%x) wrt [0] : (f32) -> f32
  return %g : f32
}

// -----

// Rejected by the scan.grad verifier before the pass runs: the callee must
// return one scalar float.
func.func @vector_cost(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @vector_grad(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'scan.grad' op @vector_cost must return a single scalar float}}
  %g = scan.grad @vector_cost(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// Rejected by the scan.grad verifier before the pass runs: no gradient with
// respect to an integer argument.
func.func @int_cost(%x: tensor<4xf32>, %n: tensor<4xi32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}
func.func @int_grad(%x: tensor<4xf32>, %n: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @below {{'scan.grad' op cannot differentiate with respect to argument #1 of non-float type 'tensor<4xi32>'}}
  %g = scan.grad @int_cost(%x, %n) wrt [1] : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi32>
  return %g : tensor<4xi32>
}

// -----

// A function asking for its own gradient.
func.func @self_cost(%x: f32) -> f32 {
  // expected-error @below {{scan-differentiate: @self_cost differentiates @self_cost, which reaches @self_cost again (@self_cost -> @self_cost): a derivative cannot contain itself}}
  %g = scan.grad @self_cost(%x) wrt [0] : (f32) -> f32
  %y = arith.mulf %g, %x : f32
  return %y : f32
}

// -----

// A cycle through another function and a call: @outer's vjp of @middle,
// which calls @inner, which differentiates @outer.
func.func @outer(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{scan-differentiate: @outer differentiates @middle, which reaches @outer again (@outer -> @middle -> @inner -> @outer): a derivative cannot contain itself}}
  %y, %dx = scan.vjp @middle(%x) cotangents(%x) wrt [0] : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %dx : tensor<4xf32>
}
func.func @middle(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = call @inner(%x) : (tensor<4xf32>) -> f32
  %e = tensor.empty() : tensor<4xf32>
  %b = linalg.fill ins(%s : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %y = arith.mulf %b, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
func.func @inner(%x: tensor<4xf32>) -> f32 {
  %g = func.call @outer(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %c = arith.constant 0 : index
  %s = tensor.extract %g[%c] : tensor<4xf32>
  return %s : f32
}

// -----

// A recursive function cannot be inlined into the gradient.
func.func private @recursive(%x: f32) -> f32 {
  // expected-error @below {{scan-differentiate: calls nested more than 64 deep (a recursive function?) cannot be differentiated}}
  %y = func.call @recursive(%x) : (f32) -> f32
  return %y : f32
}
func.func @calls_recursive(%x: f32) -> f32 {
  %y = func.call @recursive(%x) : (f32) -> f32
  return %y : f32
}
func.func @calls_recursive_grad(%x: f32) -> f32 {
  %g = scan.grad @calls_recursive(%x) wrt [0] : (f32) -> f32
  return %g : f32
}

// -----

// A callee with several blocks is not inlined.
func.func private @branchy(%x: f32) -> f32 {
  cf.br ^next(%x : f32)
^next(%y: f32):
  return %y : f32
}
func.func @calls_branchy(%x: f32) -> f32 {
  // expected-error @below {{scan-differentiate: cannot differentiate through the call of @branchy: it has more than one block}}
  %y = func.call @branchy(%x) : (f32) -> f32
  return %y : f32
}
func.func @calls_branchy_grad(%x: f32) -> f32 {
  %g = scan.grad @calls_branchy(%x) wrt [0] : (f32) -> f32
  return %g : f32
}

// -----

// An external callee has no body to differentiate.
func.func private @external(f32) -> f32
func.func @calls_external(%x: f32) -> f32 {
  // expected-error @below {{scan-differentiate: cannot differentiate 'func.call'}}
  %y = func.call @external(%x) : (f32) -> f32
  return %y : f32
}
func.func @calls_external_grad(%x: f32) -> f32 {
  %g = scan.grad @calls_external(%x) wrt [0] : (f32) -> f32
  return %g : f32
}
