//===- Compile.h - steps from a scan program to JIT'd code ------*- C++ -*-===//
//
// The steps the runner library (Runner.h) and scan-run share: pipelines by
// name, the input allowlist and the JIT symbol policy of docs/TrustModel.md,
// the C-interface wrapper of an entry, and the JIT itself. Every failure is
// an llvm::Error holding one line.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNNER_COMPILE_H
#define SCAN_RUNNER_COMPILE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir {
class ExecutionEngine;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::scan::runner {

/// An llvm::Error holding `msg`.
llvm::Error fail(const llvm::Twine &msg);

/// Collapses a message to one line of printable characters (other bytes are
/// written as \xNN).
std::string oneLine(llvm::StringRef s);

/// "file:line:col: " of `loc`, or "" when it has none.
std::string locPrefix(mlir::Location loc);

/// Runs `fn` with everything written to stderr (file descriptor 2) captured
/// and returned: LLVM's option parsers report bad values there directly.
/// Calls are serialised, since the descriptor is the process's.
std::string captureStderr(llvm::function_ref<void()> fn);

/// The first non-empty line of `text`, without a leading "scan-run:".
std::string firstLine(llvm::StringRef text);

/// Collects the error diagnostics of a context while alive, one line each
/// with its location; warnings go to `onWarning` (ignored when empty).
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(
      mlir::MLIRContext *context,
      std::function<void(const std::string &)> onWarning = {});
  /// The first error collected (or `fallback`), clearing the list.
  std::string take(llvm::StringRef fallback);

private:
  std::vector<std::string> errors;
  std::function<void(const std::string &)> onWarning;
  mlir::ScopedDiagnosticHandler handler;
};

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

/// Bytes of a dense array of `shape` with elements of `elementBytes` bytes;
/// nullopt if that exceeds INT64_MAX (or a dimension is negative).
std::optional<int64_t> denseByteSize(llvm::ArrayRef<int64_t> shape,
                                     int64_t elementBytes);

/// The physical memory of this machine in bytes: no single array larger than
/// this is allocated (an allocation that large would fail or be killed).
int64_t physicalMemoryBytes();

/// "40000000000000 bytes (37252.9 GiB)"-style text for messages.
std::string bytesStr(int64_t bytes);

/// Refuses an entry that uses (itself or through the functions it refers to)
/// a statically shaped value larger than memory: compiled code would fail to
/// allocate it (or overflow the stack) and crash.
llvm::Error checkValueSizes(mlir::ModuleOp module, mlir::func::FuncOp entry);

//===----------------------------------------------------------------------===//
// Pipelines
//===----------------------------------------------------------------------===//

/// Splits at commas not nested in (), {} or [].
llvm::SmallVector<std::string> splitTopLevel(llvm::StringRef s);

/// Splits "LABEL=PIPELINE" (a name for tables, before any '(' or '{') into
/// its parts; a variant without a label is its own label.
std::pair<std::string, std::string> splitLabel(llvm::StringRef v);

/// The textual module pipeline a variant stands for: "plain" (differentiate),
/// "optimized" (differentiate, then scan-optimize), "none" or "" (nothing),
/// or any pass pipeline, with or without "builtin.module(...)". A leading
/// "LABEL=" is dropped.
std::string variantPipeline(llvm::StringRef labelled);

/// Parses a `builtin.module(...)` pipeline; `what` names it in errors.
llvm::Expected<mlir::OpPassManager> parsePipeline(llvm::StringRef pipeline,
                                                  llvm::StringRef what);

/// Parses and runs `pipeline` (nothing when empty) on `module`; `what` names
/// it in errors, whose text comes from `diagnostics`. `configure` may add
/// instrumentation (timing, IR printing) to the pass manager.
llvm::Error
runPipeline(mlir::ModuleOp module, llvm::StringRef pipeline,
            llvm::StringRef what, DiagnosticCollector &diagnostics,
            llvm::function_ref<llvm::Error(mlir::PassManager &)> configure =
                nullptr);

//===----------------------------------------------------------------------===//
// Trust model (docs/TrustModel.md)
//===----------------------------------------------------------------------===//

/// The dialects scan programs are written in.
llvm::ArrayRef<llvm::StringRef> inputDialects();

/// Refuses a program holding an op outside inputDialects() (the top-level
/// module aside) or a function declaration. `trustedHint` ends the message
/// (how to run a trusted program anyway).
llvm::Error checkInputAllowed(mlir::ModuleOp module,
                              llvm::StringRef trustedHint);

/// Where compiled code may find the functions it declares: the runtime
/// libraries given (opened here, RTLD_GLOBAL), libm, the OpenMP runtime and
/// a few C library functions of known meaning.
class SymbolPolicy {
public:
  explicit SymbolPolicy(llvm::ArrayRef<std::string> libraries);
  /// Why compiled code may not call `name`, or "" when it may.
  std::string refuse(llvm::StringRef name) const;

private:
  llvm::SmallVector<std::string> libs;
  llvm::StringSet<> allowedObjects;
};

/// Refuses a lowered module declaring (and using) a function the policy
/// does not allow.
llvm::Error checkExternalSymbols(mlir::ModuleOp module,
                                 const SymbolPolicy &policy);

/// The same check on translated LLVM IR: used function and global
/// declarations.
llvm::Error checkLinkedSymbols(llvm::Module &module,
                               const SymbolPolicy &policy);

//===----------------------------------------------------------------------===//
// Entry wrappers
//===----------------------------------------------------------------------===//

/// `_scan_run_<fn>`: the wrapper buildWrapper adds.
std::string wrapperName(llvm::StringRef fn);

/// Adds `@_scan_run_<fn>`: takes every argument as a tensor (scalars as
/// rank-0 tensors, read-only), calls `fn`, returns every result as a tensor,
/// tagged llvm.emit_c_interface.
llvm::Error buildWrapper(mlir::ModuleOp module, mlir::func::FuncOp fn);

/// Checks that lowering produced `void _mlir_ciface__scan_run_<fn>(desc*...)`
/// with one pointer per argument and result (results as out-parameters).
llvm::Error checkCInterface(mlir::ModuleOp module, llvm::StringRef fn,
                            unsigned numArgs);

//===----------------------------------------------------------------------===//
// JIT
//===----------------------------------------------------------------------===//

/// libScanRuntime.so (found where this library is loaded from) and MLIR's
/// libmlir_c_runner_utils.so: the libraries lowered CPU code may call.
llvm::SmallVector<std::string> cpuRuntimeLibraries();

/// A lowered module compiled by the JIT, with packed entry points looked up.
struct Jitted {
  Jitted();
  Jitted(Jitted &&);
  Jitted &operator=(Jitted &&);
  ~Jitted();
  std::unique_ptr<mlir::ExecutionEngine> engine;
  llvm::StringMap<void (*)(void **)> fns;
  /// Instructions of the LLVM module as translated and after LLVM's
  /// optimisation: what code generation, most of the JIT's time, works on.
  unsigned translatedInstructions = 0, optimizedInstructions = 0;
};

/// JIT-compiles `module` (lowered to the LLVM dialect) at `optLevel` with
/// `libraries` as the only ones its code may call (SymbolPolicy), and looks
/// up `_mlir_ciface__scan_run_<fn>` for each of `wrapped`.
llvm::Expected<Jitted> jitCompile(mlir::ModuleOp module,
                                  llvm::ArrayRef<std::string> wrapped,
                                  llvm::ArrayRef<std::string> libraries,
                                  unsigned optLevel,
                                  DiagnosticCollector &diagnostics);

/// Initialises LLVM's native target and registers every dialect pipeline and
/// pass scan programs use; once per process, thread-safe.
void initializeOnce();

/// A registry with every dialect, extension and LLVM IR translation the
/// runner needs.
void registerRunnerDialects(mlir::DialectRegistry &registry);

} // namespace mlir::scan::runner

#endif // SCAN_RUNNER_COMPILE_H
