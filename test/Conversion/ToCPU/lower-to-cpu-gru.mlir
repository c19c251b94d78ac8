// scan-lower-to-cpu end to end on examples/gru.mlir at a small shape
// (T = 5, B = 2, D = 3): three BLAS matmuls and two fused elementwise loops
// per step (sigmoid through exp, tanh, both as polynomials), compared with a
// NumPy (f64) reference of the same cost, sum(h_T) = 0.40319640.
//
// RUN: scan-opt %s --scan-lower-to-cpu \
// RUN: | mlir-runner -e main -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s

// CHECK: 1

func.func private @gru_cost(%x: tensor<5x2x3xf32>, %ri: tensor<5x2x3xf32>,
                    %zi: tensor<5x2x3xf32>, %h0: tensor<2x3xf32>,
                    %U: tensor<3x3xf32>, %V: tensor<3x3xf32>,
                    %W: tensor<3x3xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<2x3xf32>
  %empty = tensor.empty() : tensor<2x3xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x3xf32>) -> tensor<2x3xf32>
  %hT = scan.scan carries(%h = %h0 : tensor<2x3xf32>)
                  sequences(%xt = %x : tensor<5x2x3xf32>,
                            %rit = %ri : tensor<5x2x3xf32>,
                            %zit = %zi : tensor<5x2x3xf32>)
                  -> tensor<2x3xf32> {
    // r = sigmoid(ri_t + h U), with sigmoid(a) = 1 / (1 + exp(-a))
    %hU = linalg.matmul ins(%h, %U : tensor<2x3xf32>, tensor<3x3xf32>)
                        outs(%acc0 : tensor<2x3xf32>) -> tensor<2x3xf32>
    %ra = arith.addf %rit, %hU : tensor<2x3xf32>
    %rn = arith.negf %ra : tensor<2x3xf32>
    %re = math.exp %rn : tensor<2x3xf32>
    %rd = arith.addf %one, %re : tensor<2x3xf32>
    %r = arith.divf %one, %rd : tensor<2x3xf32>
    // z = sigmoid(zi_t + h V)
    %hV = linalg.matmul ins(%h, %V : tensor<2x3xf32>, tensor<3x3xf32>)
                        outs(%acc0 : tensor<2x3xf32>) -> tensor<2x3xf32>
    %za = arith.addf %zit, %hV : tensor<2x3xf32>
    %zn = arith.negf %za : tensor<2x3xf32>
    %ze = math.exp %zn : tensor<2x3xf32>
    %zd = arith.addf %one, %ze : tensor<2x3xf32>
    %z = arith.divf %one, %zd : tensor<2x3xf32>
    // new_h = tanh(x_t + (r * h) W)
    %rh = arith.mulf %r, %h : tensor<2x3xf32>
    %rhW = linalg.matmul ins(%rh, %W : tensor<2x3xf32>, tensor<3x3xf32>)
                         outs(%acc0 : tensor<2x3xf32>) -> tensor<2x3xf32>
    %na = arith.addf %xt, %rhW : tensor<2x3xf32>
    %newh = math.tanh %na : tensor<2x3xf32>
    // h_t = z * new_h + (1 - z) * h
    %zh = arith.mulf %z, %newh : tensor<2x3xf32>
    %omz = arith.subf %one, %z : tensor<2x3xf32>
    %keep = arith.mulf %omz, %h : tensor<2x3xf32>
    %hn = arith.addf %zh, %keep : tensor<2x3xf32>
    scan.yield %hn : tensor<2x3xf32>
  }
  %sum0 = tensor.empty() : tensor<f32>
  %sumInit = linalg.fill ins(%zero : f32) outs(%sum0 : tensor<f32>) -> tensor<f32>
  %sum = linalg.reduce ins(%hT : tensor<2x3xf32>) outs(%sumInit : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %cost = tensor.extract %sum[] : tensor<f32>
  return %cost : f32
}

func.func private @printI64(i64)
func.func private @printNewline()

func.func @main() {
  %x = arith.constant dense<[[[1.02045953, -1.27783251, 0.20904942], [-0.28388479, -0.22632465, -0.10779858]], [[-1.00999308, -0.11596619, -0.43260655], [1.66149974, 0.11289331, -0.17631540]], [[-0.14064372, -0.33402318, -0.52757525], [-0.19540049, 0.24097270, -0.11927681]], [[0.47887936, -0.09990107, 0.01212978], [0.77291042, 0.27255276, -0.25261438]], [[-0.09141949, 0.27026257, 0.96754402], [-0.13481016, -0.12177934, 0.50115681]]]> : tensor<5x2x3xf32>
  %ri = arith.constant dense<[[[-0.44322997, -0.14586012, 0.44126949], [0.29017502, 0.04575835, 0.33505219]], [[-1.41408110, 0.51065344, -0.47982237], [-0.83430994, 0.13822287, 0.35027245]], [[-0.22238372, -0.53820294, 0.01306242], [-0.02637365, 0.70279908, 0.37370399]], [[0.09690782, 0.55581659, -0.10276152], [-0.46294978, 0.29202914, 0.29126921]], [[-0.10741445, -0.39140430, 0.11457695], [-1.24694717, 0.34506238, 0.24568413]]]> : tensor<5x2x3xf32>
  %zi = arith.constant dense<[[[-0.81942856, 0.03067675, -0.48204982], [0.37861052, -1.01708364, -0.45724726]], [[0.35479000, 0.57820052, -1.07900274], [-0.24901992, 0.16401005, -0.30460808]], [[0.79532009, -0.59561336, 0.17726597], [-0.52420276, 0.70298147, -0.01082561]], [[-0.18612528, -0.85909247, 0.84091276], [0.37638929, 0.37678191, 0.56894064]], [[0.17461328, -0.31962329, -0.40012062], [-0.40009999, 0.68503618, -0.73019058]]]> : tensor<5x2x3xf32>
  %h0 = arith.constant dense<[[-0.29818475, -0.16062196, 0.11230952], [0.28767470, -0.62454849, -0.86500674]]> : tensor<2x3xf32>
  %U = arith.constant dense<[[-0.00220712, 0.60678190, 0.37852904], [0.10782539, -0.15857781, 0.14661685], [-0.12166754, 0.40860328, -0.39722368]]> : tensor<3x3xf32>
  %V = arith.constant dense<[[0.06711997, -0.05539007, 0.27167970], [0.11231926, 1.27501726, 0.74932736], [0.74836856, -1.01975191, -0.17015831]]> : tensor<3x3xf32>
  %W = arith.constant dense<[[-0.30430532, 0.26636079, -1.13951325], [0.58724934, 0.53349167, -0.65103543], [-0.48927426, -0.40058601, 0.02164795]]> : tensor<3x3xf32>
  %cost = call @gru_cost(%x, %ri, %zi, %h0, %U, %V, %W)
      : (tensor<5x2x3xf32>, tensor<5x2x3xf32>, tensor<5x2x3xf32>, tensor<2x3xf32>, tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x3xf32>) -> f32
  %ref = arith.constant 0.40319640 : f32
  %d = arith.subf %cost, %ref : f32
  %ad = math.absf %d : f32
  %tol = arith.constant 1.0e-5 : f32
  %ok = arith.cmpf olt, %ad, %tol : f32
  %oki = arith.extui %ok : i1 to i64
  call @printI64(%oki) : (i64) -> ()
  call @printNewline() : () -> ()
  return
}
