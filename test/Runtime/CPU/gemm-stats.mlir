// SCANRT_GEMM_STATS=1 makes the runtime print, at exit, one line per GEMM
// entry point and shape with its calls, time and rate: here two calls of a
// three-step scan whose weight is packed once per call, and one product
// after the loop. Unset or "0", nothing is printed.
//
// RUN: env SCANRT_GEMM_STATS=1 scan-run %s --entry=steps --variant=none \
// RUN:   --warmup=0 --repeat=2 2>&1 | FileCheck %s
// RUN: env -u SCANRT_GEMM_STATS scan-run %s --entry=steps --variant=none \
// RUN:   --warmup=0 --repeat=2 2>&1 | FileCheck %s --check-prefix=OFF
// RUN: env SCANRT_GEMM_STATS=0 scan-run %s --entry=steps --variant=none \
// RUN:   --warmup=0 --repeat=2 2>&1 | FileCheck %s --check-prefix=OFF

// CHECK: scanrt-gemm-stats: dgemm transA=0 transB=0 m=2 n=5 k=4 calls=2 ms={{[0-9.]+}} GFLOP/s={{[0-9.]+}}
// CHECK-NEXT: scanrt-gemm-stats: dgemm_packed transA=0 transB=0 m=2 n=4 k=4 calls=6 ms={{[0-9.]+}} GFLOP/s={{[0-9.]+}}
// CHECK-NEXT: scanrt-gemm-stats: dgemm_pack_b transB=0 n=4 k=4 calls=2 ms={{[0-9.]+}}
// CHECK-NEXT: scanrt-gemm-stats: total ms={{[0-9.]+}}

// OFF-NOT: scanrt-gemm-stats

func.func @steps(%x: tensor<3x2x4xf64>, %h0: tensor<2x4xf64>,
                 %W: tensor<4x4xf64>, %V: tensor<4x5xf64>) -> tensor<2x5xf64> {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x4xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e : tensor<2x4xf64>) -> tensor<2x4xf64>
  %hT = scan.scan carries(%h = %h0 : tensor<2x4xf64>)
                  sequences(%xt = %x : tensor<3x2x4xf64>) -> tensor<2x4xf64> {
    %hW = linalg.matmul ins(%h, %W : tensor<2x4xf64>, tensor<4x4xf64>)
                        outs(%acc : tensor<2x4xf64>) -> tensor<2x4xf64>
    %pre = arith.addf %xt, %hW : tensor<2x4xf64>
    %hn = math.tanh %pre : tensor<2x4xf64>
    scan.yield %hn : tensor<2x4xf64>
  }
  %e5 = tensor.empty() : tensor<2x5xf64>
  %acc5 = linalg.fill ins(%zero : f64) outs(%e5 : tensor<2x5xf64>) -> tensor<2x5xf64>
  %out = linalg.matmul ins(%hT, %V : tensor<2x4xf64>, tensor<4x5xf64>)
                       outs(%acc5 : tensor<2x5xf64>) -> tensor<2x5xf64>
  return %out : tensor<2x5xf64>
}
