//===- Compile.cpp - diagnostics, pipelines and entry wrappers --*- C++ -*-===//
//
// The compile steps shared by the runner library and scan-run that do not
// touch the JIT: one-line errors, pipelines by name, the C-interface
// wrapper of an entry.
//
//===----------------------------------------------------------------------===//

#include "scan/Runner/Compile.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <mutex>
#include <unistd.h>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace mlir::scan::runner {

//===----------------------------------------------------------------------===//
// Errors and diagnostics
//===----------------------------------------------------------------------===//

Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string oneLine(StringRef s) {
  std::string out;
  for (char c : s.trim()) {
    if (c == '\n' || c == '\r' || c == '\t')
      out += ' ';
    else if (llvm::isPrint(c))
      out += c;
    else
      out += "\\x" + llvm::utohexstr(static_cast<uint8_t>(c), true, 2);
  }
  return out;
}

std::string locPrefix(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto fileLoc = loc->findInstanceOf<FileLineColLoc>())
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn() << ": ";
  return s;
}

std::string captureStderr(llvm::function_ref<void()> fn) {
  static std::mutex stderrMutex;
  std::lock_guard<std::mutex> lock(stderrMutex);
  llvm::errs().flush();
  FILE *capture = std::tmpfile();
  int saved = capture ? dup(2) : -1;
  if (saved < 0) {
    if (capture)
      std::fclose(capture);
    fn();
    return "";
  }
  dup2(fileno(capture), 2);
  fn();
  llvm::errs().flush();
  dup2(saved, 2);
  close(saved);
  std::string text;
  std::rewind(capture);
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), capture)) > 0)
    text.append(chunk, n);
  std::fclose(capture);
  return text;
}

std::string firstLine(StringRef text) {
  StringRef first = text.trim().split('\n').first;
  if (first.consume_front("scan-run:"))
    first = first.ltrim();
  return oneLine(first);
}

DiagnosticCollector::DiagnosticCollector(
    MLIRContext *context, std::function<void(const std::string &)> onWarning)
    : onWarning(std::move(onWarning)),
      handler(context, [this](Diagnostic &diag) {
        std::string line = oneLine(locPrefix(diag.getLocation()) + diag.str());
        if (diag.getSeverity() == DiagnosticSeverity::Error)
          errors.push_back(line);
        else if (diag.getSeverity() == DiagnosticSeverity::Warning &&
                 this->onWarning)
          this->onWarning(line);
        return success();
      }) {}

std::string DiagnosticCollector::take(StringRef fallback) {
  std::string s = errors.empty() ? fallback.str() : errors[0];
  errors.clear();
  return s;
}

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

std::optional<int64_t> denseByteSize(llvm::ArrayRef<int64_t> shape,
                                     int64_t elementBytes) {
  int64_t bytes = elementBytes;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(bytes, d, &bytes))
      return std::nullopt;
  return bytes;
}

int64_t physicalMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0)
    return INT64_MAX;
  int64_t bytes;
  if (__builtin_mul_overflow(int64_t(pages), int64_t(pageSize), &bytes))
    return INT64_MAX;
  return bytes;
}

std::string bytesStr(int64_t bytes) {
  return llvm::formatv("{0} bytes ({1:f1} GiB)", bytes,
                       static_cast<double>(bytes) / (1 << 30))
      .str();
}

/// Refuses an entry that uses (itself or through the functions it refers to)
/// a statically shaped value larger than memory: compiled code would fail to
/// allocate it (or overflow the stack) and crash.
Error checkValueSizes(ModuleOp module, func::FuncOp entry) {
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

//===----------------------------------------------------------------------===//
// Pipelines
//===----------------------------------------------------------------------===//

llvm::SmallVector<std::string> splitTopLevel(StringRef s) {
  llvm::SmallVector<std::string> parts;
  int depth = 0;
  std::string cur;
  for (char c : s) {
    if (c == '(' || c == '{' || c == '[')
      ++depth;
    else if (c == ')' || c == '}' || c == ']')
      --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(StringRef(cur).trim().str());
      cur.clear();
      continue;
    }
    cur += c;
  }
  parts.push_back(StringRef(cur).trim().str());
  return parts;
}

std::pair<std::string, std::string> splitLabel(StringRef v) {
  size_t eq = v.find('=');
  if (eq != StringRef::npos && eq > 0 && v.find_first_of("({") > eq)
    return {v.take_front(eq).trim().str(), v.drop_front(eq + 1).trim().str()};
  return {v.str(), v.str()};
}

std::string variantPipeline(StringRef labelled) {
  std::string body = splitLabel(labelled).second;
  StringRef v = body;
  if (v == "plain")
    return "builtin.module(scan-differentiate)";
  if (v == "optimized")
    return "builtin.module(scan-differentiate,scan-optimize)";
  if (v == "none" || v.empty())
    return "";
  if (v.starts_with("builtin.module("))
    return v.str();
  return ("builtin.module(" + v + ")").str();
}

Expected<OpPassManager> parsePipeline(StringRef pipeline, StringRef what) {
  std::string parseErr;
  llvm::raw_string_ostream errOs(parseErr);
  FailureOr<OpPassManager> pm = failure();
  std::string direct =
      captureStderr([&] { pm = parsePassPipeline(pipeline, errOs); });
  if (failed(pm) && !StringRef(direct).trim().empty())
    return fail(what + ": " + firstLine(direct));
  if (!direct.empty())
    llvm::errs() << direct;
  if (failed(pm)) {
    // The parser prints "<source>:1:N: error: message" then the pipeline and
    // a caret; keep the message.
    StringRef first = StringRef(parseErr).split('\n').first;
    size_t pos = first.find("error: ");
    if (pos != StringRef::npos)
      first = first.drop_front(pos + 7);
    return fail(what + ": " + oneLine(first));
  }
  if (pm->getOpAnchorName() != ModuleOp::getOperationName())
    return fail(what + ": the pipeline must be anchored on builtin.module");
  return std::move(*pm);
}

Error runPipeline(ModuleOp module, StringRef pipeline, StringRef what,
                  DiagnosticCollector &diagnostics,
                  llvm::function_ref<Error(PassManager &)> configure) {
  if (pipeline.empty())
    return Error::success();
  auto parsed = parsePipeline(pipeline, what);
  if (!parsed)
    return parsed.takeError();
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  static_cast<OpPassManager &>(pm) = std::move(*parsed);
  if (configure)
    if (Error e = configure(pm))
      return e;
  if (failed(pm.run(module)))
    return fail(what + " failed: " +
                diagnostics.take("a pass failed without a diagnostic"));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Entry wrappers
//===----------------------------------------------------------------------===//

std::string wrapperName(StringRef fn) { return ("_scan_run_" + fn).str(); }

Error buildWrapper(ModuleOp module, func::FuncOp fn) {
  std::string name = wrapperName(fn.getSymName());
  if (module.lookupSymbol(name))
    return fail("the module already defines @" + name);
  MLIRContext *ctx = module.getContext();
  Location loc = fn.getLoc();
  auto asTensor = [](Type t) -> Type {
    return isa<RankedTensorType>(t) ? t : RankedTensorType::get({}, t);
  };
  SmallVector<Type> argTypes, resultTypes;
  for (Type t : fn.getArgumentTypes())
    argTypes.push_back(asTensor(t));
  for (Type t : fn.getResultTypes())
    resultTypes.push_back(asTensor(t));

  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  auto wrapper = func::FuncOp::create(
      b, loc, name, FunctionType::get(ctx, argTypes, resultTypes));
  wrapper->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  // The caller's buffers are inputs: compiled code must not write to them.
  for (unsigned i = 0; i < argTypes.size(); ++i)
    wrapper.setArgAttr(i, "bufferization.writable", b.getBoolAttr(false));
  Block *body = wrapper.addEntryBlock();
  b.setInsertionPointToStart(body);
  SmallVector<Value> args;
  for (auto [arg, t] : llvm::zip(body->getArguments(), fn.getArgumentTypes()))
    args.push_back(isa<RankedTensorType>(t)
                       ? Value(arg)
                       : Value(tensor::ExtractOp::create(b, loc, arg,
                                                         ValueRange{})));
  auto call = func::CallOp::create(b, loc, fn, args);
  SmallVector<Value> results;
  for (Value r : call.getResults())
    results.push_back(
        isa<RankedTensorType>(r.getType())
            ? r
            : Value(tensor::FromElementsOp::create(
                  b, loc, RankedTensorType::get({}, r.getType()), r)));
  func::ReturnOp::create(b, loc, results);
  return Error::success();
}

Error checkCInterface(ModuleOp module, StringRef fn, unsigned numArgs) {
  std::string name = "_mlir_ciface_" + wrapperName(fn);
  auto llvmFn = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
  if (!llvmFn)
    return fail("the lowering produced no llvm.func @" + name +
                " (does it convert func to the LLVM dialect?)");
  auto type = llvmFn.getFunctionType();
  if (!isa<LLVM::LLVMVoidType>(type.getReturnType()) ||
      type.getNumParams() != numArgs)
    return fail("@" + name + " does not take its results as out-parameters "
                "(the lowering must run buffer-results-to-out-params with "
                "modify-public-functions and hoist-static-allocs)");
  return Error::success();
}

} // namespace mlir::scan::runner
