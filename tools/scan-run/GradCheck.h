//===- GradCheck.h - gradients against finite differences -------*- C++ -*-===//
//
// --check-grad: a separate module holding the differentiated function (and
// the part of the entry computing its arguments), lowered without any
// variant pipeline, gives central finite differences that every variant's
// gradients are compared with.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUN_GRADCHECK_H
#define SCAN_RUN_GRADCHECK_H

#include "Array.h"
#include "Options.h"
#include "Signature.h"

#include "scan/Runner/Compile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include <string>
#include <vector>

namespace scanrun {

struct VariantResult;

/// What --check-grad compares: entry result `resultIndex[k]` is the gradient
/// of `callee` w.r.t. its argument `wrt[k]`, at the point the entry passes.
struct GradSetup {
  std::string callee;
  llvm::SmallVector<int64_t> wrt;
  llvm::SmallVector<unsigned> resultIndex;
  /// Function computing the callee's arguments from the entry's inputs;
  /// empty when they are the entry's inputs.
  std::string argsFn;
  Signature calleeSig, argsSig;
  mlir::scan::runner::Jitted jit;
};

struct GradCheck {
  int64_t arg;
  std::string spec;
  /// relErr is normwise, max|g - fd| / max|fd|; maxRelDiff element-wise,
  /// max |g - fd| / |fd|.
  double maxAbsErr = 0, maxFd = 0, relErr = 0, maxRelDiff = 0;
  int64_t checked = 0;
  bool ok = false;
};

/// Builds and JIT-compiles the finite-difference module: the callee and the
/// function giving its arguments, lowered without any variant pipeline.
llvm::Expected<GradSetup> prepareGradCheck(RunContext &ctx,
                                           mlir::ModuleOp source,
                                           const Signature &entrySig,
                                           mlir::TimingScope &timing);

/// Central finite differences of the callee at the point given by `inputs`.
/// Returns one array per wrt argument (f64), with NaN where not checked.
llvm::Expected<std::vector<Array>>
finiteDifferences(const RunOptions &options, GradSetup &g,
                  std::vector<Array> &inputs);

/// Each gradient of variant `v` against the finite differences `fds`;
/// `tol` bounds the normwise difference.
std::vector<GradCheck> compareGradients(const GradSetup &g,
                                        const std::vector<Array> &fds,
                                        const VariantResult &v, double tol);

} // namespace scanrun

#endif // SCAN_RUN_GRADCHECK_H
