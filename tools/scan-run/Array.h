//===- Array.h - host arrays, .npy files and memref descriptors -*- C++ -*-===//
//
// The host side of scan-run: dense C-order arrays with 64-byte aligned
// storage, read from and written to NumPy .npy files, filled with seeded
// normal samples, compared element by element, and exposed to JIT-compiled
// code as standard MLIR ranked memref descriptors.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUN_ARRAY_H
#define SCAN_RUN_ARRAY_H

#include "scan/Runner/Compile.h"
#include "scan/Runner/Runner.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class Type;
} // namespace mlir

namespace scanrun {

/// Element types and array types are the runner library's, so scan-run
/// and the library accept the same signatures.
using mlir::scan::runner::ElementType;
using mlir::scan::runner::elementSize;
using mlir::scan::runner::elementTypeName;
using mlir::scan::runner::elementTypeOf;
/// The NumPy descriptor written to .npy files: '<f4', '<f8', '|i1', ...
llvm::StringRef npyDescr(ElementType t);
/// Dense sizes and the memory of this machine, as the runner library
/// computes them.
using mlir::scan::runner::denseByteSize;
using mlir::scan::runner::physicalMemoryBytes;
bool isFloat(ElementType t);

/// What an entry argument or result looks like on the host side: the
/// runner's array type, and whether the MLIR value is a scalar rather than
/// a rank-0 tensor (both are passed as rank-0 arrays).
struct ArraySpec : mlir::scan::runner::ArrayType {
  bool scalar = false;
};

/// A dense C-order array owning 64-byte aligned storage.
class Array {
public:
  Array() = default;
  /// Allocates zero-filled storage; data() is null if that failed or if the
  /// array would be larger than physicalMemoryBytes().
  Array(ElementType dtype, llvm::ArrayRef<int64_t> shape);

  ElementType dtype() const { return type; }
  llvm::ArrayRef<int64_t> shape() const { return dims; }
  int64_t rank() const { return dims.size(); }
  int64_t numElements() const { return count; }
  size_t byteSize() const { return count * elementSize(type); }
  void *data() { return storage.get(); }
  const void *data() const { return storage.get(); }

  /// Element `i` (flat C-order index) converted to double.
  double get(int64_t i) const;
  /// Stores `v` converted to the element type (integers truncate toward 0).
  void set(int64_t i, double v);

  /// A copy; its data() is null if the copy could not be allocated.
  Array clone() const;
  std::string specStr() const;

private:
  struct FreeDeleter {
    void operator()(void *p) const;
  };
  ElementType type = ElementType::F32;
  llvm::SmallVector<int64_t> dims;
  int64_t count = 0;
  std::unique_ptr<char, FreeDeleter> storage;
};

/// Reads a .npy file (format versions 1.0, 2.0 and 3.0, little-endian,
/// C order). Every failure is a one-line message naming the file.
llvm::Expected<Array> readNpy(llvm::StringRef path);

/// Writes `a` as a version 1.0 .npy file.
llvm::Error writeNpy(llvm::StringRef path, const Array &a);

/// Fills `a` with normal(0, scale) samples from std::mt19937_64 seeded with
/// `seed`, turned into normals by the Box-Muller transform written here, so
/// the values do not depend on the C++ library. Integer arrays get uniform
/// values in [0, 8), booleans 0 or 1.
void fillRandomNormal(Array &a, uint64_t seed, double scale);

/// The largest element-wise differences between `a` and the reference `ref`
/// (same shape required), and how many elements lie outside
/// |a - ref| <= atol + rtol * |ref| (NaNs always do).
struct Difference {
  double maxAbs = 0;
  double maxRel = 0;
  /// The largest |ref|, for normwise().
  double maxRef = 0;
  int64_t numOutside = 0;
  int64_t firstOutside = -1;
  /// Elements where `a` or `ref` is NaN.
  int64_t numNaN = 0;
  /// The normwise difference max|a - ref| / max|ref|: unlike maxRel, small
  /// when the elements that differ most relatively are tiny next to the
  /// largest (0 when a == ref, infinite when only ref is all zeros).
  double normwise() const;
};

/// NaN and infinite elements of a float array (both 0 for integers).
struct NonFinite {
  int64_t nan = 0, inf = 0, first = -1;
  bool any() const { return nan + inf != 0; }
};
NonFinite countNonFinite(const Array &a);
Difference compareArrays(const Array &a, const Array &ref, double rtol,
                         double atol);

/// A standard MLIR ranked memref descriptor for `a` (allocated and aligned
/// pointers, offset 0, sizes, C-order strides), as 64-bit words.
class MemRefDescriptor {
public:
  explicit MemRefDescriptor(Array &a);
  /// The same around any buffer of `shape`, e.g. device memory.
  MemRefDescriptor(void *data, llvm::ArrayRef<int64_t> shape);
  void *get() { return words.data(); }

private:
  std::vector<int64_t> words;
};

} // namespace scanrun

#endif // SCAN_RUN_ARRAY_H
