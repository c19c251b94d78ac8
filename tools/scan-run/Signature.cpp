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
using mlir::scan::runner::fail;
using mlir::scan::runner::oneLine;

Expected<ArraySpec> scanrun::specOf(Type t) {
  ArraySpec spec;
  Type elem = t;
  if (auto tensor = dyn_cast<RankedTensorType>(t)) {
    if (!tensor.hasStaticShape())
      return fail("dynamic shapes are not supported");
    spec.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    elem = tensor.getElementType();
  } else if (isa<ShapedType>(t)) {
    return fail("only ranked tensors and scalars are supported");
  } else {
    spec.scalar = true;
  }
  auto dtype = dtypeFromMLIR(elem);
  if (!dtype)
    return dtype.takeError();
  spec.dtype = *dtype;
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

/// "40000000000000 bytes (37.3 TB)"-style text for messages.
std::string scanrun::bytesStr(int64_t bytes) {
  return llvm::formatv("{0} bytes ({1:f1} GiB)", bytes,
                       static_cast<double>(bytes) / (1 << 30))
      .str();
}

/// Refuses an entry whose arguments or results do not fit in memory, before
/// anything is allocated.
Error scanrun::checkSignatureMemory(const Signature &sig, StringRef fn) {
  int64_t limit = physicalMemoryBytes(), total = 0;
  auto check = [&](ArrayRef<ArraySpec> specs, StringRef what) -> Error {
    for (auto [i, spec] : llvm::enumerate(specs)) {
      std::optional<int64_t> bytes =
          denseByteSize(spec.shape, dtypeSize(spec.dtype));
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

/// Refuses an entry that uses (itself or through the functions it refers to)
/// a statically shaped value larger than memory: compiled code would fail to
/// allocate it (or overflow the stack) and crash.
Error scanrun::checkValueSizes(ModuleOp module, func::FuncOp entry) {
  int64_t limit = physicalMemoryBytes();
  std::optional<std::string> error;
  auto check = [&](Type type, Location loc) {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasRank() || !shaped.hasStaticShape())
      return;
    Type elem = shaped.getElementType();
    int64_t elemBytes =
        elem.isIntOrIndexOrFloat()
            ? (elem.isIndex() ? 8 : (elem.getIntOrFloatBitWidth() + 7) / 8)
            : 1;
    std::optional<int64_t> bytes =
        denseByteSize(shaped.getShape(), std::max<int64_t>(elemBytes, 1));
    if (bytes && *bytes <= limit)
      return;
    std::string s;
    llvm::raw_string_ostream os(s);
    if (auto fileLoc = loc->findInstanceOf<FileLineColLoc>())
      os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
         << fileLoc.getColumn() << ": ";
    os << "a value of type " << type << " needs "
       << (bytes ? bytesStr(*bytes) : std::string("more than 2^63 bytes"))
       << ", more than the memory of this machine (" << bytesStr(limit)
       << ")";
    error = oneLine(s);
  };
  SmallVector<Operation *> worklist{entry};
  llvm::SmallPtrSet<Operation *, 8> seen{entry};
  while (!worklist.empty() && !error) {
    Operation *fn = worklist.pop_back_val();
    fn->walk([&](Operation *op) {
      for (Value v : op->getResults())
        check(v.getType(), op->getLoc());
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            check(arg.getType(), arg.getLoc());
      return error ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (auto uses = SymbolTable::getSymbolUses(fn))
      for (const SymbolTable::SymbolUse &use : *uses)
        if (Operation *callee =
                SymbolTable::lookupSymbolIn(module, use.getSymbolRef()))
          if (seen.insert(callee).second)
            worklist.push_back(callee);
  }
  if (error)
    return fail(*error);
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
    arrays.emplace_back(s.dtype, s.shape);
    if (!arrays.back().data())
      return fail("cannot allocate an array of " + s.str());
  }
  return arrays;
}
