//===- Runner.h - compile a scan program and call it in-process -*- C++ -*-===//
//
// The runner library: a Program is a module taken through a pipeline
// ("plain", "optimized" or any pass pipeline), the input allowlist and the
// JIT symbol policy of docs/TrustModel.md, the CPU lowering and MLIR's
// ExecutionEngine; an Entry is one of its public functions, called on
// caller-owned dense buffers. Both are immutable once made, so entries may
// be called from several threads at once. The C API over it is
// include/scan-c/Runner.h; docs/Runner.md describes both.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUNNER_RUNNER_H
#define SCAN_RUNNER_RUNNER_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace mlir::scan::runner {

struct Jitted;

/// Element types of entry arguments and results; the values are the C API's
/// SCAN_RUNNER_* codes. I1 is stored as one byte per element.
enum class ElementType {
  F32 = 0,
  F64 = 1,
  I32 = 2,
  I64 = 3,
  I1 = 4,
  I8 = 5,
  I16 = 6
};

/// Bytes per element.
size_t elementSize(ElementType type);
/// "f32", "f64", "i32", "i64", "i1", "i8", "i16".
llvm::StringRef elementTypeName(ElementType type);

/// A dense row-major array type; a scalar has rank 0.
struct ArrayType {
  ElementType element = ElementType::F32;
  llvm::SmallVector<int64_t> shape;
  int64_t numElements() const;
  int64_t byteSize() const;
  /// "f32[4x5]", "f64[]".
  std::string str() const;
};

/// The element type of an MLIR scalar type, or why there is none.
llvm::Expected<ElementType> elementTypeOf(mlir::Type type);
/// The array type of an entry argument or result (a static ranked tensor
/// or a scalar), or why it has none.
llvm::Expected<ArrayType> arrayTypeOf(mlir::Type type);

struct RunnerOptions {
  /// "plain", "optimized", "none", or a pass pipeline run before lowering.
  std::string pipeline = "optimized";
  /// Only "cpu" for now.
  std::string target = "cpu";
  /// LLVM optimisation level, 0..3.
  unsigned optLevel = 3;
  /// Skip the input allowlist (the symbol policy applies anyway).
  bool allowAnyInput = false;
  /// Runtime worker threads (scanrt_set_num_threads); 0 leaves them as they
  /// are.
  int numThreads = 0;
  /// Ends the allowlist's message: how to run a trusted program anyway.
  std::string trustedHint = "compile with allow_any_input to run a trusted "
                            "program";
};

/// One public function of a Program, callable on caller-owned buffers.
class Entry {
public:
  Entry(std::string name, llvm::SmallVector<ArrayType> inputs,
        llvm::SmallVector<ArrayType> outputs, void (*fn)(void **));

  llvm::StringRef name() const { return entryName; }
  llvm::ArrayRef<ArrayType> inputs() const { return inputTypes; }
  llvm::ArrayRef<ArrayType> outputs() const { return outputTypes; }

  /// Calls the function: inputs[i] holds dense row-major data of input i's
  /// type (read only), outputs[j] a buffer of output j's type, which the
  /// call fills. Inputs go to the compiled code as memref descriptors over
  /// the given pointers; results are its out-parameters, pointing at the
  /// output buffers (written in place, or copied there once by the compiled
  /// code). Inputs overlapping an earlier input are copied first (compiled
  /// code assumes distinct arguments do not alias); an output overlapping
  /// an input or another output is an error. Thread-safe.
  llvm::Error call(llvm::ArrayRef<const void *> inputs,
                   llvm::ArrayRef<void *> outputs) const;

private:
  std::string entryName;
  llvm::SmallVector<ArrayType> inputTypes, outputTypes;
  void (*fn)(void **);
};

/// A compiled module and its entries.
class Program {
public:
  /// Parses `source` (named `sourceName` in messages) and compiles it.
  static llvm::Expected<std::unique_ptr<Program>>
  compile(llvm::StringRef source, llvm::StringRef sourceName,
          const RunnerOptions &options);
  /// Compiles a copy of `module`, whose context must have the dialects of
  /// registerRunnerDialects (Compile.h) registered.
  static llvm::Expected<std::unique_ptr<Program>>
  compile(ModuleOp module, const RunnerOptions &options);

  ~Program();

  /// The entry for public function `name`, or why there is none.
  llvm::Expected<const Entry *> lookup(llvm::StringRef name) const;

private:
  Program();
  std::unique_ptr<Jitted> jit;
  llvm::StringMap<std::unique_ptr<Entry>> entries;
  /// Public functions that cannot be entries, and why.
  llvm::StringMap<std::string> unsupported;
};

} // namespace mlir::scan::runner

#endif // SCAN_RUNNER_RUNNER_H
