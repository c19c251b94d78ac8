//===- Signature.cpp - entry signatures, checks and calls -------*- C++ -*-===//

#include "Signature.h"

#include "scan/Runner/Compile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace scanrun;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using mlir::scan::runner::bytesStr;
using mlir::scan::runner::fail;
using mlir::scan::runner::oneLine;

Expected<ArraySpec> scanrun::specOf(Type t) {
  auto type = mlir::scan::runner::arrayTypeOf(t);
  if (!type)
    return type.takeError();
  ArraySpec spec;
  static_cast<mlir::scan::runner::ArrayType &>(spec) = std::move(*type);
  spec.scalar = !isa<ShapedType>(t);
  return spec;
}

Expected<Signature> scanrun::signatureOf(func::FuncOp fn) {
  Signature sig;
  for (auto [i, t] : llvm::enumerate(fn.getArgumentTypes())) {
    auto spec = specOf(t);
    if (!spec)
      return fail("argument " + llvm::Twine(i) + " of @" + fn.getSymName() +
                  ": " + llvm::toString(spec.takeError()));
    sig.args.push_back(*spec);
  }
  for (auto [i, t] : llvm::enumerate(fn.getResultTypes())) {
    auto spec = specOf(t);
    if (!spec)
      return fail("result " + llvm::Twine(i) + " of @" + fn.getSymName() +
                  ": " + llvm::toString(spec.takeError()));
    sig.results.push_back(*spec);
  }
  return sig;
}

Error scanrun::checkSignatureMemory(const Signature &sig, StringRef fn) {
  int64_t limit = physicalMemoryBytes(), total = 0;
  auto check = [&](ArrayRef<ArraySpec> specs, StringRef what) -> Error {
    for (auto [i, spec] : llvm::enumerate(specs)) {
      std::optional<int64_t> bytes =
          denseByteSize(spec.shape, elementSize(spec.element));
      if (!bytes)
        return fail(what + " " + llvm::Twine(i) + " of @" + fn + " (" +
                    spec.str() + ") has more than 2^63 bytes");
      if (*bytes > limit)
        return fail(what + " " + llvm::Twine(i) + " of @" + fn + " (" +
                    spec.str() + ") needs " + bytesStr(*bytes) +
                    ", more than the memory of this machine (" +
                    bytesStr(limit) + ")");
      if (__builtin_add_overflow(total, *bytes, &total))
        total = INT64_MAX;
    }
    return Error::success();
  };
  if (Error e = check(sig.args, "argument"))
    return e;
  if (Error e = check(sig.results, "result"))
    return e;
  if (total > limit)
    return fail("the arguments and results of @" + fn + " need " +
                bytesStr(total) + " together, more than the memory of this "
                "machine (" + bytesStr(limit) + ")");
  return Error::success();
}

Expected<func::FuncOp> scanrun::lookupFunc(ModuleOp module, StringRef name,
                                         StringRef where) {
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn)
    return fail("no function @" + name + where);
  if (fn.isExternal())
    return fail("@" + name + " is only a declaration" + where);
  return fn;
}

Expected<std::vector<Array>> scanrun::allocate(ArrayRef<ArraySpec> specs) {
  std::vector<Array> arrays;
  for (const ArraySpec &s : specs) {
    arrays.emplace_back(s.element, s.shape);
    if (!arrays.back().data())
      return fail("cannot allocate an array of " + s.str());
  }
  return arrays;
}
