//===- Signature.h - entry signatures, checks and calls ---------*- C++ -*-===//
//
// What an entry takes and returns as host arrays, the checks that refuse an
// entry too large for this machine, and the call of a JIT-compiled wrapper
// (scan/Runner/Compile.h) on host arrays or any descriptors.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUN_SIGNATURE_H
#define SCAN_RUN_SIGNATURE_H

#include "Array.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace scanrun {

/// The host arrays an entry takes and returns.
struct Signature {
  llvm::SmallVector<ArraySpec> args, results;
};

llvm::Expected<ArraySpec> specOf(mlir::Type t);
llvm::Expected<Signature> signatureOf(mlir::func::FuncOp fn);

/// Refuses an entry whose arguments or results do not fit in memory, before
/// anything is allocated.
llvm::Error checkSignatureMemory(const Signature &sig, llvm::StringRef fn);

/// The function @`name` with a body; `where` ends the error message.
llvm::Expected<mlir::func::FuncOp> lookupFunc(mlir::ModuleOp module,
                                              llvm::StringRef name,
                                              llvm::StringRef where);

/// Zero-filled arrays of `specs`.
llvm::Expected<std::vector<Array>> allocate(llvm::ArrayRef<ArraySpec> specs);

/// Calls a packed `_mlir_ciface__scan_run_<fn>` on `inputs`, writing into
/// `outputs` (already allocated with the result shapes).
class Invocation {
public:
  Invocation(void (*fn)(void **), llvm::MutableArrayRef<Array> inputs,
             llvm::MutableArrayRef<Array> outputs)
      : fn(fn) {
    for (Array &a : inputs)
      descs.emplace_back(a);
    for (Array &a : outputs)
      descs.emplace_back(a);
    bind();
  }
  /// With descriptors built by the caller (inputs, then outputs).
  Invocation(void (*fn)(void **), std::vector<MemRefDescriptor> descriptors)
      : fn(fn), descs(std::move(descriptors)) {
    bind();
  }
  void operator()() { fn(args.data()); }

private:
  void bind() {
    for (MemRefDescriptor &d : descs)
      ptrs.push_back(d.get());
    for (void *&p : ptrs)
      args.push_back(&p);
  }
  void (*fn)(void **);
  std::vector<MemRefDescriptor> descs;
  std::vector<void *> ptrs;
  std::vector<void *> args;
};

} // namespace scanrun

#endif // SCAN_RUN_SIGNATURE_H
