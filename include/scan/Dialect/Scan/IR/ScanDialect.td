//===- ScanDialect.td - scan dialect definition -------------*- tablegen -*-===//
//
// The scan dialect: loops over the leading dimension of tensors (the forward
// and backward passes of recurrent networks) and requests for their gradients.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_DIALECT_SCAN_IR_SCANDIALECT_TD
#define SCAN_DIALECT_SCAN_IR_SCANDIALECT_TD

include "mlir/IR/OpBase.td"

def Scan_Dialect : Dialect {
  let name = "scan";
  let cppNamespace = "::mlir::scan";
  let summary = "Scan loops over sequences and their reverse-mode gradients";
  let description = [{
    The `scan` dialect holds recurrent computations: a loop that walks the
    leading (time) dimension of its sequences, threads loop-carried state
    (the hidden state of an RNN) from one step to the next, and stacks
    per-step outputs. Loop bodies are written with upstream operations on
    tensors (`linalg.matmul`, elementwise `arith`/`math`, `tensor` slicing),
    so every upstream analysis and pass can read them. The dialect adds only
    what upstream lacks:

    * `scan.scan`: the loop itself, forward or in reverse;
    * `scan.yield`: its terminator;
    * `scan.grad`: a request for the reverse-mode gradient of a function with
      a scalar result, expanded by `scan-differentiate`.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

class Scan_Op<string mnemonic, list<Trait> traits = []>
    : Op<Scan_Dialect, mnemonic, traits>;

#endif // SCAN_DIALECT_SCAN_IR_SCANDIALECT_TD
