//===- scan-run.cpp - JIT runner for scan-mlir programs ---------*- C++ -*-===//
//
// Runs one function of a .mlir file on the CPU or, with --target=cuda, on an
// NVIDIA GPU: applies a variant pipeline (plain, optimized, or any pass
// pipeline), wraps the entry so every result is a tensor returned through an
// out-parameter, lowers with a lowering pipeline (scan-lower-to-cpu, or
// scan-lower-to-cuda for the GPU, by default), JIT-compiles the host code at
// -O3, and calls it on inputs read from .npy files or drawn from a seeded
// normal distribution. It times the call, counts GFLOP from the tensor IR,
// compares variants and reference arrays, writes outputs as .npy files and
// checks gradients against central finite differences (CPU only).
//
//===----------------------------------------------------------------------===//

#include "Array.h"
#include "Flops.h"

#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <optional>
#include <sys/resource.h>
#include <unistd.h>

using namespace mlir;
using namespace scanrun;
namespace cl = llvm::cl;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

static cl::OptionCategory runCat("scan-run options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir>"),
                                      cl::Required, cl::cat(runCat));
static cl::opt<std::string> entryName("entry", cl::desc("Function to run"),
                                      cl::value_desc("name"), cl::Required,
                                      cl::cat(runCat));
static cl::list<std::string>
    inputFiles("input",
               cl::desc("A .npy file per entry argument, in argument order "
                        "(repeat the option; omit all for random inputs)"),
               cl::value_desc("file.npy"), cl::cat(runCat));
static cl::opt<uint64_t>
    randomSeed("random-seed",
               cl::desc("Seed of the random inputs; argument i uses seed+i"),
               cl::init(0), cl::cat(runCat));
static cl::opt<std::string> randomScale(
    "random-scale",
    cl::desc("Standard deviation of the random normal inputs: one value, or "
             "one per argument separated by commas"),
    cl::init("1e-4"), cl::cat(runCat));
static cl::opt<std::string>
    outputDir("output-dir",
              cl::desc("Write the results of the first variant as "
                       "DIR/<entry>.<i>.npy"),
              cl::value_desc("dir"), cl::cat(runCat));
static cl::opt<std::string> variantOpt(
    "variant",
    cl::desc("plain = builtin.module(scan-differentiate), optimized = "
             "builtin.module(scan-differentiate,scan-optimize), none = no "
             "passes, or any pass pipeline (LABEL=PIPELINE names it)"),
    cl::init("plain"), cl::cat(runCat));
static cl::opt<std::string> compareOpt(
    "compare",
    cl::desc("Run several variants on the same inputs, comma-separated; the "
             "first is the reference; LABEL=PIPELINE names a variant"),
    cl::value_desc("V1,V2,..."), cl::cat(runCat));
enum class Target { CPU, CUDA };
static cl::opt<Target> targetOpt(
    "target", cl::desc("Where the compiled code runs"),
    cl::values(clEnumValN(Target::CPU, "cpu", "the host CPU (default)"),
               clEnumValN(Target::CUDA, "cuda",
                          "an NVIDIA GPU, through libScanCUDARuntime.so")),
    cl::init(Target::CPU), cl::cat(runCat));
static cl::opt<std::string> loweringOpt(
    "lowering",
    cl::desc("Pipeline that lowers the wrapped module to the LLVM dialect "
             "(default scan-lower-to-cpu, scan-lower-to-cuda with "
             "--target=cuda)"),
    cl::init("scan-lower-to-cpu"), cl::cat(runCat));
static cl::opt<bool> cudaWithoutDevice(
    "cuda-continue-without-device",
    cl::desc("With --target=cuda: go on after scancuda_init fails, so that "
             "lowering and JIT compilation can be tested without a GPU (the "
             "run then stops at the runtime's first recorded error)"),
    cl::Hidden, cl::cat(runCat));
static cl::opt<bool> cudaGraphs(
    "cuda-graphs",
    cl::desc("With --target=cuda: capture one call into a CUDA graph and "
             "time its replays (one launch per call instead of one per "
             "kernel and GEMM); a call that cannot be captured runs directly, "
             "and the report says which mode ran (default on)"),
    cl::init(true), cl::cat(runCat));
static cl::opt<bool> cudaGemmTime(
    "cuda-gemm-time",
    cl::desc("With --target=cuda: also time the cuBLAS GEMMs of one call "
             "alone (same shapes, scratch operands, replayed as one graph), "
             "the floor that the call's time is measured against"),
    cl::init(false), cl::cat(runCat));

/// The lowering pipeline: --lowering when given, else the target's.
static std::string loweringName() {
  if (loweringOpt.getNumOccurrences() || targetOpt != Target::CUDA)
    return loweringOpt;
  return "scan-lower-to-cuda";
}
static cl::list<std::string>
    extraLibs("shared-libs", cl::desc("Extra shared libraries for the JIT"),
              cl::CommaSeparated, cl::cat(runCat));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimisation level"),
                                  cl::init(3), cl::Prefix, cl::cat(runCat));
static cl::opt<unsigned> warmup("warmup", cl::desc("Untimed calls first"),
                                cl::init(1), cl::cat(runCat));
static cl::opt<unsigned> repeat("repeat", cl::desc("Timed calls"),
                                cl::init(5), cl::cat(runCat));
static cl::opt<bool> jsonOut("json",
                             cl::desc("Print one JSON object on stdout"),
                             cl::cat(runCat));
static cl::opt<double> rtolOpt("rtol",
                            cl::desc("Relative tolerance: |a-b| <= atol + "
                                     "rtol*|ref| (checked for --expect "
                                     "always, for --compare when given)"),
                            cl::init(1e-5), cl::cat(runCat));
static cl::opt<double> atolOpt("atol", cl::desc("Absolute tolerance"),
                            cl::init(1e-8), cl::cat(runCat));
static cl::list<std::string>
    expectFiles("expect",
                cl::desc("Reference .npy for result i, in result order "
                         "(repeat the option); a mismatch exits 1"),
                cl::value_desc("ref.npy"), cl::cat(runCat));
static cl::opt<bool> checkGrad(
    "check-grad",
    cl::desc("Check the entry's gradients (of its single scan.grad, or of "
             "--fd-callee) against central finite differences"),
    cl::cat(runCat));
static cl::opt<std::string> fdCallee(
    "fd-callee",
    cl::desc("With --check-grad: the entry takes the arguments of this "
             "function and returns its gradients w.r.t. --fd-wrt"),
    cl::value_desc("name"), cl::cat(runCat));
static cl::list<unsigned> fdWrt("fd-wrt",
                                cl::desc("Argument indices for --fd-callee"),
                                cl::CommaSeparated, cl::cat(runCat));
static cl::opt<double> fdRtol(
    "fd-rtol",
    cl::desc("Largest accepted max|g-fd|/max|fd| (default 1e-6 at f64, "
             "1e-2 at f32)"),
    cl::cat(runCat));
static cl::opt<double>
    fdStep("fd-step",
           cl::desc("Finite-difference step relative to max(1,|x|) (default "
                    "1e-6 at f64, 1e-2 at f32)"),
           cl::cat(runCat));
static cl::opt<bool> allowNonFinite(
    "allow-non-finite",
    cl::desc("Run on .npy inputs holding NaN or infinite values (refused "
             "otherwise)"),
    cl::cat(runCat));
static cl::opt<bool> allowAnyInput(
    "allow-any-input",
    cl::desc("Run a trusted program that holds ops outside the dialects of "
             "scan programs (llvm.*, memref.*, external declarations, ...); "
             "the compiled code still links only the runtime libraries and "
             "libm"),
    cl::cat(runCat));
static cl::opt<bool> allowInputWrites(
    "allow-input-writes",
    cl::desc("Run a variant whose compiled code writes into its input "
             "buffers (an error otherwise): the inputs are then restored "
             "before every call, outside the timed region"),
    cl::cat(runCat));
static cl::opt<unsigned> fdMaxElements(
    "fd-max-elements",
    cl::desc("Check at most this many evenly spaced elements per gradient "
             "(0: all)"),
    cl::init(0), cl::cat(runCat));

//===----------------------------------------------------------------------===//
// Errors and diagnostics
//===----------------------------------------------------------------------===//

static Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Collapses a message to one line of printable characters (bytes from a
/// garbled file are written as \xNN).
static std::string oneLine(StringRef s) {
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

/// Runs `fn` with everything written to stderr (file descriptor 2) captured
/// and returned: LLVM's option parsers report bad values there directly.
static std::string captureStderr(llvm::function_ref<void()> fn) {
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

/// The first non-empty line of `text`, without a leading "scan-run:".
static std::string firstLine(StringRef text) {
  StringRef first = text.trim().split('\n').first;
  if (first.consume_front("scan-run:"))
    first = first.ltrim();
  return oneLine(first);
}

/// Diagnostics of the context, one line each, kept until taken.
static std::vector<std::string> pendingErrors;

static std::string formatDiagnostic(Diagnostic &diag) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto loc = diag.getLocation()->findInstanceOf<FileLineColLoc>())
    os << loc.getFilename().getValue() << ":" << loc.getLine() << ":"
       << loc.getColumn() << ": ";
  os << diag.str();
  return oneLine(s);
}

/// The first pending error (or `fallback`), clearing the list.
static std::string takeDiagnostics(StringRef fallback) {
  std::string s = pendingErrors.empty() ? fallback.str() : pendingErrors[0];
  pendingErrors.clear();
  return s;
}

//===----------------------------------------------------------------------===//
// Pipelines
//===----------------------------------------------------------------------===//

/// Splits at commas not nested in (), {} or [].
static SmallVector<std::string> splitTopLevel(StringRef s) {
  SmallVector<std::string> parts;
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

/// Splits "LABEL=PIPELINE" (a name for the tables, before any '(' or '{')
/// into its parts; a variant without a label is its own label.
static std::pair<std::string, std::string> splitLabel(StringRef v) {
  size_t eq = v.find('=');
  if (eq != StringRef::npos && eq > 0 &&
      v.find_first_of("({") > eq)
    return {v.take_front(eq).trim().str(), v.drop_front(eq + 1).trim().str()};
  return {v.str(), v.str()};
}

/// The textual module pipeline a variant name or pipeline string stands for.
static std::string variantPipeline(StringRef labelled) {
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

/// Parses a `builtin.module(...)` pipeline; `what` names it in errors.
static Expected<OpPassManager> parsePipeline(StringRef pipeline,
                                             StringRef what) {
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

/// Parses and runs `pipeline` on `module`; `what` names it in errors.
static Error runPipeline(ModuleOp module, StringRef pipeline, StringRef what,
                         TimingScope &timing) {
  if (pipeline.empty())
    return Error::success();
  auto parsed = parsePipeline(pipeline, what);
  if (!parsed)
    return parsed.takeError();
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  static_cast<OpPassManager &>(pm) = std::move(*parsed);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail(what + ": bad pass manager options");
  pm.enableTiming(timing);
  if (failed(pm.run(module)))
    return fail(what + " failed: " +
                takeDiagnostics("a pass failed without a diagnostic"));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Entry signatures and wrappers
//===----------------------------------------------------------------------===//

static Expected<ArraySpec> specOf(Type t) {
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

struct Signature {
  SmallVector<ArraySpec> args, results;
};

static Expected<Signature> signatureOf(func::FuncOp fn) {
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
static std::string bytesStr(int64_t bytes) {
  return llvm::formatv("{0} bytes ({1:f1} GiB)", bytes,
                       static_cast<double>(bytes) / (1 << 30))
      .str();
}

/// Refuses an entry whose arguments or results do not fit in memory, before
/// anything is allocated.
static Error checkSignatureMemory(const Signature &sig, StringRef fn) {
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
static Error checkValueSizes(ModuleOp module, func::FuncOp entry) {
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
// What a program may hold and call
//===----------------------------------------------------------------------===//

/// The dialects scan programs are written in: what scan-run accepts without
/// --allow-any-input. None of their ops reaches memory other than its
/// tensors, or calls code that the module does not define.
static constexpr StringRef kInputDialects[] = {"scan",   "func",  "linalg",
                                               "tensor", "arith", "math"};

/// "file:line:col: " of `loc`, or "" when it has none.
static std::string locPrefix(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto fileLoc = loc->findInstanceOf<FileLineColLoc>())
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn() << ": ";
  return s;
}

/// Refuses a program holding an op outside kInputDialects (the top-level
/// module aside) or a function declaration, i.e. anything that could reach
/// native code or raw memory, unless --allow-any-input says it is trusted.
static Error checkInputAllowed(ModuleOp module) {
  if (allowAnyInput)
    return Error::success();
  std::optional<std::string> error;
  module.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op == module.getOperation())
      return WalkResult::advance();
    std::string why;
    StringRef ns = op->getName().getDialectNamespace();
    if (!llvm::is_contained(kInputDialects, ns)) {
      why = "'" + op->getName().getStringRef().str() +
            "' is not an op of the dialects scan programs are written in (" +
            llvm::join(std::begin(kInputDialects), std::end(kInputDialects),
                       ", ") +
            ")";
    } else if (auto fn = dyn_cast<func::FuncOp>(op); fn && fn.isExternal()) {
      why = "@" + fn.getSymName().str() +
            " is a function declaration: a scan program defines every "
            "function it calls";
    } else {
      return WalkResult::advance();
    }
    error = oneLine(locPrefix(op->getLoc()) + why +
                    "; pass --allow-any-input to run a trusted program");
    return WalkResult::interrupt();
  });
  if (error)
    return fail(*error);
  return Error::success();
}

/// Functions of the C library that lowered code calls directly: heap
/// buffers (finalize-memref-to-llvm without the runtime's allocator) and
/// memory copies.
static constexpr StringRef kLibcSymbols[] = {
    "malloc",         "calloc", "realloc", "free",  "aligned_alloc",
    "posix_memalign", "memcpy", "memmove", "memset"};

/// The real path of `path`, or `path` itself.
static std::string realPath(StringRef path) {
  SmallString<256> real;
  if (llvm::sys::fs::real_path(path, real))
    return path.str();
  return real.str().str();
}

/// Where compiled code may find the functions it declares: the runtime
/// libraries handed to the JIT (and --shared-libs), libm, the OpenMP runtime
/// that libScanRuntime.so brings (omp.parallel lowers to __kmpc_* calls), and
/// kLibcSymbols. Anything else, such as system() from the C library or a
/// function of libMLIR.so in the scan-run process, is refused before the JIT
/// links the code, so that a program never calls into code the runtime does
/// not provide.
class SymbolPolicy {
public:
  explicit SymbolPolicy(ArrayRef<std::string> libraries)
      : libs(libraries.begin(), libraries.end()) {
    for (const std::string &lib : libs) {
      dlopen(lib.c_str(), RTLD_NOW | RTLD_GLOBAL);
      allowedObjects.insert(realPath(lib));
    }
    dlopen("libm.so.6", RTLD_NOW | RTLD_GLOBAL);
  }

  /// Why the compiled code may not call `name`, or "" when it may.
  std::string refuse(StringRef name) const {
    if (name.starts_with("llvm.") || llvm::is_contained(kLibcSymbols, name))
      return "";
    std::string symbol = name.str();
    void *address = dlsym(RTLD_DEFAULT, symbol.c_str());
    if (!address)
      return "the program calls @" + symbol +
             ", which is defined neither in it nor in the runtime libraries "
             "(" +
             llvm::join(libs, ", ") + ")";
    Dl_info info;
    std::string object = dladdr(address, &info) && info.dli_fname
                             ? realPath(info.dli_fname)
                             : std::string("an unknown object");
    StringRef file = llvm::sys::path::filename(object);
    if (allowedObjects.count(object) || file.starts_with("libm.so") ||
        file.starts_with("libomp.so"))
      return "";
    return "the program calls @" + symbol + ", which only " + file.str() +
           " defines: compiled code may call the runtime libraries (" +
           llvm::join(libs, ", ") + ") and libm only";
  }

private:
  SmallVector<std::string> libs;
  llvm::StringSet<> allowedObjects;
};

/// Refuses a lowered module that calls a function it does not define and
/// the policy does not allow (the JIT would report a missing one on stderr
/// and fail later with a long message, and would find system() and the like
/// in the scan-run process).
static Error checkExternalSymbols(ModuleOp module, const SymbolPolicy &policy) {
  for (auto fn : module.getOps<LLVM::LLVMFuncOp>()) {
    if (!fn.isExternal() || SymbolTable::symbolKnownUseEmpty(fn, module))
      continue;
    std::string why = policy.refuse(fn.getName());
    if (!why.empty())
      return fail(why);
  }
  return Error::success();
}

/// The same check on the LLVM IR the JIT is about to compile: function and
/// global declarations that something uses.
static llvm::Error checkLinkedSymbols(llvm::Module &module,
                                      const SymbolPolicy &policy) {
  auto check = [&](llvm::GlobalValue &value) -> llvm::Error {
    if (!value.isDeclaration() || value.use_empty())
      return llvm::Error::success();
    if (auto *fn = dyn_cast<llvm::Function>(&value); fn && fn->isIntrinsic())
      return llvm::Error::success();
    std::string why = policy.refuse(value.getName());
    if (why.empty())
      return llvm::Error::success();
    return fail(why);
  };
  for (llvm::Function &fn : module)
    if (llvm::Error e = check(fn))
      return e;
  for (llvm::GlobalVariable &global : module.globals())
    if (llvm::Error e = check(global))
      return e;
  return llvm::Error::success();
}

static Expected<func::FuncOp> lookupFunc(ModuleOp module, StringRef name,
                                         StringRef where) {
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn)
    return fail("no function @" + name + where);
  if (fn.isExternal())
    return fail("@" + name + " is only a declaration" + where);
  return fn;
}

static std::string wrapperName(StringRef fn) {
  return ("_scan_run_" + fn).str();
}

/// Adds `@_scan_run_<fn>`: takes every argument as a tensor (scalars as
/// rank-0 tensors, read-only), calls `fn`, returns every result as a tensor
/// (scalars through tensor.from_elements), tagged llvm.emit_c_interface.
static Error buildWrapper(ModuleOp module, func::FuncOp fn) {
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

/// Checks that lowering produced `void _mlir_ciface__scan_run_<fn>(desc*...)`
/// with one pointer per argument and result.
static Error checkCInterface(ModuleOp module, StringRef fn, unsigned numArgs) {
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

//===----------------------------------------------------------------------===//
// CUDA runtime
//===----------------------------------------------------------------------===//

/// Directory of the scan-run binary; the runtime libraries are in ../lib.
static std::string exeDir;

/// build/lib/libScanCUDARuntime.so: ../lib/ from the scan-run binary, like
/// libScanRuntime.so.
static std::string cudaRuntimePath() {
  SmallString<256> path(exeDir);
  llvm::sys::path::append(path, "..", "lib", "libScanCUDARuntime.so");
  return path.str().str();
}

/// The entry points of lib/Runtime/CUDA/CUDARuntime.h that scan-run calls,
/// looked up in the library opened with dlopen: scan-run does not link it,
/// so it builds and runs where the CUDA toolkit is absent.
struct CUDARuntime {
  int (*init)(char *, size_t) = nullptr;
  const char *(*deviceName)() = nullptr;
  const char *(*lastError)() = nullptr;
  void *(*alloc)(int64_t) = nullptr;
  void (*free)(void *) = nullptr;
  int (*copyToDevice)(void *, const void *, int64_t) = nullptr;
  int (*copyToHost)(void *, const void *, int64_t) = nullptr;
  int (*synchronize)() = nullptr;
  void *(*eventCreate)() = nullptr;
  void (*eventRecord)(void *) = nullptr;
  float (*eventElapsedMs)(void *, void *) = nullptr;
  void (*eventDestroy)(void *) = nullptr;
  void (*clearError)() = nullptr;
  int (*captureBegin)(char *, size_t) = nullptr;
  void *(*captureEnd)(char *, size_t) = nullptr;
  int (*graphLaunch)(void *) = nullptr;
  void (*graphDestroy)(void *) = nullptr;
  void (*gemmLogBegin)() = nullptr;
  int (*gemmLogEnd)() = nullptr;
  float (*gemmLogReplayMs)(int) = nullptr;
  /// Name of the device, "" without one.
  std::string device;

  /// The first error the runtime recorded, "" if none.
  std::string error() const {
    const char *e = lastError();
    return e ? oneLine(e) : std::string();
  }
};
static std::optional<CUDARuntime> cuda;

/// Opens the CUDA runtime and initialises the device; a failure to do so is
/// "no CUDA device: <reason>".
static Error openCUDARuntime() {
  std::string path = cudaRuntimePath();
  if (!llvm::sys::fs::exists(path))
    return fail("--target=cuda needs the CUDA runtime '" + path +
                "', which is not there (it is built only where CMake finds "
                "the CUDA toolkit)");
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!handle)
    return fail("cannot load '" + path + "': " + oneLine(dlerror()));
  CUDARuntime rt;
  std::string missing;
  auto bind = [&](auto &fn, const char *name) {
    void *sym = dlsym(handle, name);
    if (!sym && missing.empty())
      missing = name;
    static_assert(sizeof(fn) == sizeof(sym));
    std::memcpy(&fn, &sym, sizeof(sym));
  };
  bind(rt.init, "scancuda_init");
  bind(rt.deviceName, "scancuda_device_name");
  bind(rt.lastError, "scancuda_last_error");
  bind(rt.alloc, "scancuda_alloc");
  bind(rt.free, "scancuda_free");
  bind(rt.copyToDevice, "scancuda_copy_to_device");
  bind(rt.copyToHost, "scancuda_copy_to_host");
  bind(rt.synchronize, "scancuda_synchronize");
  bind(rt.eventCreate, "scancuda_event_create");
  bind(rt.eventRecord, "scancuda_event_record");
  bind(rt.eventElapsedMs, "scancuda_event_elapsed_ms");
  bind(rt.eventDestroy, "scancuda_event_destroy");
  bind(rt.clearError, "scancuda_clear_error");
  bind(rt.captureBegin, "scancuda_capture_begin");
  bind(rt.captureEnd, "scancuda_capture_end");
  bind(rt.graphLaunch, "scancuda_graph_launch");
  bind(rt.graphDestroy, "scancuda_graph_destroy");
  bind(rt.gemmLogBegin, "scancuda_gemm_log_begin");
  bind(rt.gemmLogEnd, "scancuda_gemm_log_end");
  bind(rt.gemmLogReplayMs, "scancuda_gemm_log_replay_ms");
  if (!missing.empty())
    return fail("'" + path + "' does not define " + missing);
  char err[1024] = {0};
  if (rt.init(err, sizeof(err)) != 0) {
    std::string why = oneLine(err);
    if (why.empty())
      why = "scancuda_init failed without a message";
    if (!StringRef(why).starts_with("no CUDA device"))
      why = "no CUDA device: " + why;
    if (!cudaWithoutDevice)
      return fail(why);
    llvm::errs() << "scan-run: warning: " << why
                 << " (going on: --cuda-continue-without-device)\n";
  } else {
    rt.device = rt.deviceName();
  }
  cuda = rt;
  return Error::success();
}

/// Device buffers, freed together.
class DeviceBuffers {
public:
  DeviceBuffers() = default;
  DeviceBuffers(const DeviceBuffers &) = delete;
  DeviceBuffers &operator=(const DeviceBuffers &) = delete;
  ~DeviceBuffers() {
    for (void *p : ptrs)
      cuda->free(p);
  }
  Expected<void *> alloc(int64_t bytes, const llvm::Twine &what) {
    void *p = cuda->alloc(std::max<int64_t>(bytes, 1));
    if (!p) {
      std::string why = cuda->error();
      return fail("cannot allocate " + llvm::Twine(bytes) +
                  " bytes of device memory for " + what + ": " +
                  (why.empty() ? std::string("out of memory") : why));
    }
    ptrs.push_back(p);
    return p;
  }

private:
  std::vector<void *> ptrs;
};

/// A CUDA event of the runtime's stream.
class DeviceEvent {
public:
  DeviceEvent() : event(cuda->eventCreate()) {}
  DeviceEvent(const DeviceEvent &) = delete;
  DeviceEvent &operator=(const DeviceEvent &) = delete;
  ~DeviceEvent() {
    if (event)
      cuda->eventDestroy(event);
  }
  void record() { cuda->eventRecord(event); }
  void *get() { return event; }

private:
  void *event;
};

//===----------------------------------------------------------------------===//
// JIT
//===----------------------------------------------------------------------===//

static SmallVector<std::string> sharedLibraries() {
  SmallVector<std::string> libs;
  // The lowered code of the CUDA target calls the mgpu* functions and
  // scancuda_*gemm of the CUDA runtime; its module constructor loads the
  // kernels, so the library must be there before initialize().
  if (targetOpt == Target::CUDA)
    libs.push_back(cudaRuntimePath());
  SmallString<256> runtime(exeDir);
  llvm::sys::path::append(runtime, "..", "lib", "libScanRuntime.so");
  if (llvm::sys::fs::exists(runtime))
    libs.push_back(runtime.str().str());
  if (llvm::sys::fs::exists(SCAN_RUN_C_RUNNER_UTILS))
    libs.push_back(SCAN_RUN_C_RUNNER_UTILS);
  for (const std::string &l : extraLibs)
    libs.push_back(l);
  return libs;
}

/// A lowered module compiled by the JIT, with packed entry points looked up.
struct Jitted {
  std::unique_ptr<ExecutionEngine> engine;
  llvm::StringMap<void (*)(void **)> fns;
};

static Expected<Jitted> jitCompile(ModuleOp module,
                                   ArrayRef<std::string> wrapped) {
  for (const std::string &lib : extraLibs)
    if (!llvm::sys::fs::exists(lib))
      return fail("shared library '" + lib + "' does not exist");
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return fail("cannot target the host: " +
                llvm::toString(tmBuilder.takeError()));
  tmBuilder->setCodeGenOptLevel(optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
                                : optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                : optLevel == 1 ? llvm::CodeGenOptLevel::Less
                                                : llvm::CodeGenOptLevel::None);
  auto tm = tmBuilder->createTargetMachine();
  if (!tm)
    return fail("cannot create a target machine: " +
                llvm::toString(tm.takeError()));
  SmallVector<std::string> libs = sharedLibraries();
  SymbolPolicy policy(libs);
  if (Error e = checkExternalSymbols(module, policy))
    return std::move(e);
  // ExecutionEngineOptions holds a function_ref: keep the transformer alive.
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, tm->get());
  // The LLVM IR is checked again once translated, before the JIT sees it:
  // the JIT itself would resolve any symbol of the scan-run process. (An
  // error returned by the transformer would not stop the JIT: MLIR's
  // ExecutionEngine does not check it in release builds.)
  std::string refused;
  auto buildModule =
      [&](Operation *op,
          llvm::LLVMContext &llvmContext) -> std::unique_ptr<llvm::Module> {
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(op, llvmContext);
    if (!llvmModule)
      return nullptr;
    if (llvm::Error e = checkLinkedSymbols(*llvmModule, policy)) {
      refused = llvm::toString(std::move(e));
      return nullptr;
    }
    return llvmModule;
  };
  SmallVector<StringRef> libRefs(libs.begin(), libs.end());
  ExecutionEngineOptions options;
  options.llvmModuleBuilder = buildModule;
  options.transformer = transformer;
  options.sharedLibPaths = libRefs;
  options.enableGDBNotificationListener = false;
  options.enablePerfNotificationListener = false;
  auto engine = ExecutionEngine::create(module, options, std::move(*tm));
  if (!engine && !refused.empty()) {
    llvm::consumeError(engine.takeError());
    return fail(refused);
  }
  if (!engine)
    return fail("JIT compilation failed: " +
                oneLine(llvm::toString(engine.takeError())) + " " +
                takeDiagnostics(""));
  Jitted jit;
  jit.engine = std::move(*engine);
  jit.engine->initialize();
  for (const std::string &fn : wrapped) {
    std::string name = "_mlir_ciface_" + wrapperName(fn);
    auto packed = jit.engine->lookupPacked(name);
    if (!packed)
      return fail("cannot find " + name + " in the JIT-compiled code: " +
                  oneLine(llvm::toString(packed.takeError())));
    jit.fns[fn] = *packed;
  }
  // The module constructor has loaded the kernels on the device.
  if (targetOpt == Target::CUDA) {
    std::string err = cuda->error();
    if (!err.empty())
      return fail("loading the compiled code on the device failed: " + err);
  }
  return jit;
}

/// Calls a packed `_mlir_ciface__scan_run_<fn>` on `inputs`, writing into
/// `outputs` (already allocated with the result shapes).
class Invocation {
public:
  Invocation(void (*fn)(void **), MutableArrayRef<Array> inputs,
             MutableArrayRef<Array> outputs)
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

static Expected<std::vector<Array>> allocate(ArrayRef<ArraySpec> specs) {
  std::vector<Array> arrays;
  for (const ArraySpec &s : specs) {
    arrays.emplace_back(s.dtype, s.shape);
    if (!arrays.back().data())
      return fail("cannot allocate an array of " + s.str());
  }
  return arrays;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// Reads a "VmXXX:  N kB" line of /proc/self/status, in MiB.
static std::optional<double> procStatusMiB(StringRef key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    StringRef l(line);
    if (!l.consume_front(key) || !l.consume_front(":"))
      continue;
    uint64_t kb;
    if (l.trim().split(' ').first.getAsInteger(10, kb))
      return std::nullopt;
    return kb / 1024.0;
  }
  return std::nullopt;
}

/// Resets the peak resident set size of the process (Linux >= 4.0).
static bool resetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out)
    return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

static double maxRssMiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

//===----------------------------------------------------------------------===//
// Variants
//===----------------------------------------------------------------------===//

struct OutputDiff {
  Difference diff;
  bool checked = false;
};

/// The median of sorted, non-empty `v`.
static double medianOf(const std::vector<double> &v) {
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct VariantResult {
  std::string name, pipeline;
  double variantSec = 0, loweringSec = 0, jitSec = 0;
  double gflop = 0;
  std::vector<double> times; // seconds, sorted
  /// --target=cuda: how the calls ran ("graph", or "direct" with why), the
  /// time between CUDA events recorded on the stream around each call
  /// (seconds, sorted; the device's busy time plus any gaps in which it
  /// waited for the host), and the call's cuBLAS GEMMs alone.
  std::string cudaMode, cudaDirectWhy;
  std::vector<double> streamSpans;
  int gemmCount = -1;
  double gemmSec = -1;
  double peakRssMiB = 0, callExtraMiB = 0;
  bool peakIsPerVariant = false;
  std::vector<Array> outputs;
  std::vector<OutputDiff> vsRef;    // per output, vs the first variant
  std::vector<OutputDiff> vsExpect; // per --expect file
  bool inputsModified = false;
  double min() const { return times.front(); }
  double max() const { return times.back(); }
  double median() const { return medianOf(times); }
};

using Clock = std::chrono::steady_clock;
static double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// The error for a variant whose compiled code wrote into input `i`.
static Error inputWriteError(StringRef what, size_t i, const Array &input) {
  return fail(what + " wrote into input " + llvm::Twine(i) + " (" +
              input.specStr() + ") of @" + entryName +
              "; pass --allow-input-writes to run it anyway, with the inputs "
              "restored before every call");
}

/// Runs `fn` on the device: every input copied into a device buffer, every
/// output allocated there, the warm-up calls, then each timed call between
/// two CUDA events on the runtime's stream, the runtime's error checked after
/// each call. The outputs come back into `res.outputs` (host arrays of the
/// result shapes); the inputs come back too: code that wrote into them is
/// an error, as on the CPU, unless --allow-input-writes restores them before
/// every call.
static Error runOnDevice(void (*fn)(void **), ArrayRef<Array> inputs,
                         VariantResult &res, StringRef what) {
  DeviceBuffers buffers;
  std::vector<MemRefDescriptor> descs;
  std::vector<void *> inPtrs, outPtrs;
  for (auto [i, a] : llvm::enumerate(inputs)) {
    auto p = buffers.alloc(a.byteSize(), "input " + llvm::Twine(i));
    if (!p)
      return p.takeError();
    if (cuda->copyToDevice(*p, a.data(), a.byteSize()) != 0)
      return fail("copying input " + llvm::Twine(i) +
                  " to the device failed: " + cuda->error());
    inPtrs.push_back(*p);
    descs.emplace_back(*p, a.shape());
  }
  for (auto [i, a] : llvm::enumerate(res.outputs)) {
    auto p = buffers.alloc(a.byteSize(), "result " + llvm::Twine(i));
    if (!p)
      return p.takeError();
    outPtrs.push_back(*p);
    descs.emplace_back(*p, a.shape());
  }
  Invocation call(fn, std::move(descs));
  auto check = [&](StringRef when) -> Error {
    std::string err = cuda->error();
    if (err.empty())
      return Error::success();
    return fail(what + " failed on the device (" + when + "): " + err);
  };
  // With --allow-input-writes, every input is copied to the device again
  // before each call (synchronously, outside the timed region and never
  // inside a stream capture).
  auto restore = [&]() -> Error {
    if (!allowInputWrites)
      return Error::success();
    for (auto [i, a] : llvm::enumerate(inputs))
      if (cuda->copyToDevice(inPtrs[i], a.data(), a.byteSize()) != 0)
        return fail("restoring input " + llvm::Twine(i) +
                    " on the device failed: " + cuda->error());
    return Error::success();
  };

  // Direct warm-up calls first (at least one before a capture: the first
  // call pays for the memory pool and cuBLAS's first use).
  unsigned directWarmup = std::max(warmup.getValue(), cudaGraphs ? 1u : 0u);
  for (unsigned i = 0; i < directWarmup; ++i) {
    if (Error e = restore())
      return e;
    call();
    if (Error e = check("warm-up call"))
      return e;
  }
  if (cuda->synchronize() != 0)
    if (Error e = check("synchronising after the warm-up calls"))
      return e;

  // One call captured into a graph, whose replays are then timed.
  void *graph = nullptr;
  res.cudaMode = "direct";
  if (!cudaGraphs) {
    res.cudaDirectWhy = "--cuda-graphs=false";
  } else {
    char why[512] = {0};
    if (cuda->captureBegin(why, sizeof(why)) == 0) {
      call();
      graph = cuda->captureEnd(why, sizeof(why));
    }
    if (graph) {
      res.cudaMode = "graph";
    } else {
      res.cudaDirectWhy = oneLine(why);
      // What the refused capture recorded is not an error of the call,
      // which runs directly from here on.
      cuda->clearError();
      cuda->synchronize();
      cuda->clearError();
    }
  }
  llvm::scope_exit graphGuard([&] {
    if (graph)
      cuda->graphDestroy(graph);
  });
  auto callOnce = [&] {
    if (graph)
      cuda->graphLaunch(graph);
    else
      call();
  };
  if (graph) {
    if (Error e = restore())
      return e;
    callOnce(); // the graph's first launch uploads it
    if (cuda->synchronize() != 0)
      if (Error e = check("first launch of the captured graph"))
        return e;
  }

  // Each timed call: host latency (the call issued until the stream is idle)
  // and the span between CUDA events recorded around it on the stream.
  DeviceEvent start, stop;
  for (unsigned i = 0; i < std::max(1u, repeat.getValue()); ++i) {
    if (Error e = restore())
      return e;
    auto t0 = Clock::now();
    start.record();
    callOnce();
    stop.record();
    float ms = cuda->eventElapsedMs(start.get(), stop.get());
    double latency = since(t0);
    if (Error e = check("timed call"))
      return e;
    if (ms < 0)
      return fail(what + ": timing with CUDA events failed");
    res.times.push_back(latency);
    res.streamSpans.push_back(ms * 1e-3);
  }
  llvm::sort(res.streamSpans);

  // The call's GEMMs alone: one direct call with GEMM logging on, then the
  // logged GEMMs replayed by the runtime.
  if (cudaGemmTime) {
    if (Error e = restore())
      return e;
    cuda->gemmLogBegin();
    call();
    res.gemmCount = cuda->gemmLogEnd();
    if (Error e = check("call logging its GEMMs"))
      return e;
    if (res.gemmCount > 0) {
      float ms = cuda->gemmLogReplayMs(std::max(3u, repeat.getValue()));
      if (Error e = check("replaying the call's GEMMs"))
        return e;
      res.gemmSec = ms >= 0 ? ms * 1e-3 : -1;
    } else {
      res.gemmSec = 0;
    }
  }

  for (auto [i, a] : llvm::enumerate(res.outputs))
    if (cuda->copyToHost(a.data(), outPtrs[i], a.byteSize()) != 0)
      return fail("copying result " + llvm::Twine(i) +
                  " from the device failed: " + cuda->error());
  for (auto [i, a] : llvm::enumerate(inputs)) {
    Array back(a.dtype(), a.shape());
    if (!back.data())
      return fail("cannot allocate an array of " + a.specStr());
    if (cuda->copyToHost(back.data(), inPtrs[i], a.byteSize()) != 0)
      return fail("copying input " + llvm::Twine(i) +
                  " back from the device failed: " + cuda->error());
    if (std::memcmp(back.data(), a.data(), a.byteSize()) != 0) {
      res.inputsModified = true;
      if (!allowInputWrites)
        return inputWriteError(what, i, a);
    }
  }
  return Error::success();
}

/// Compiles and runs one variant.
static Expected<VariantResult> runVariant(ModuleOp source, StringRef variant,
                                          const Signature &sig,
                                          std::vector<Array> &inputs,
                                          TimingScope &timing) {
  VariantResult res;
  res.name = splitLabel(variant).first;
  res.pipeline = variantPipeline(variant);
  std::string what = "variant '" + res.name + "'";
  OwningOpRef<ModuleOp> module(source.clone());

  auto t0 = Clock::now();
  {
    TimingScope scope = timing.nest("variant " + res.name);
    if (Error e = runPipeline(*module, res.pipeline, what, scope))
      return std::move(e);
  }
  res.variantSec = since(t0);

  auto entry =
      lookupFunc(*module, entryName, " after the " + what + " pipeline");
  if (!entry)
    return entry.takeError();
  auto newSig = signatureOf(*entry);
  if (!newSig)
    return newSig.takeError();
  auto sameSpecs = [](ArrayRef<ArraySpec> a, ArrayRef<ArraySpec> b) {
    return a.size() == b.size() &&
           llvm::all_of(llvm::zip(a, b), [](auto p) {
             return std::get<0>(p).str() == std::get<1>(p).str() &&
                    std::get<0>(p).scalar == std::get<1>(p).scalar;
           });
  };
  if (!sameSpecs(newSig->args, sig.args) ||
      !sameSpecs(newSig->results, sig.results))
    return fail(what + " changed the signature of @" + entryName);
  if (Error e = checkValueSizes(*module, *entry))
    return std::move(e);
  res.gflop = countFlops(*entry) * 1e-9;
  if (Error e = buildWrapper(*module, *entry))
    return std::move(e);

  t0 = Clock::now();
  {
    TimingScope scope = timing.nest("lowering " + res.name);
    if (Error e = runPipeline(*module, variantPipeline(loweringName()),
                              "lowering '" + loweringName() + "'", scope))
      return std::move(e);
  }
  res.loweringSec = since(t0);
  if (Error e = checkCInterface(*module, entryName,
                                sig.args.size() + sig.results.size()))
    return std::move(e);

  t0 = Clock::now();
  Jitted jit;
  {
    TimingScope scope = timing.nest("JIT " + res.name);
    auto j = jitCompile(*module, {entryName.getValue()});
    if (!j)
      return j.takeError();
    jit = std::move(*j);
  }
  res.jitSec = since(t0);

  bool onDevice = targetOpt == Target::CUDA;
  std::vector<Array> pristine;
  if (!onDevice)
    for (const Array &a : inputs) {
      pristine.push_back(a.clone());
      if (!pristine.back().data())
        return fail("cannot allocate a copy of an input (" + a.specStr() +
                    ")");
    }
  // After every call: an input the call wrote into is an error, or, with
  // --allow-input-writes, is noted and restored, so that the next call sees
  // the same inputs as the first.
  auto checkInputs = [&]() -> Error {
    for (size_t i = 0; i < pristine.size(); ++i) {
      if (std::memcmp(inputs[i].data(), pristine[i].data(),
                      inputs[i].byteSize()) == 0)
        continue;
      res.inputsModified = true;
      std::memcpy(inputs[i].data(), pristine[i].data(), inputs[i].byteSize());
      if (!allowInputWrites)
        return inputWriteError(what, i, inputs[i]);
    }
    return Error::success();
  };
  auto outputs = allocate(sig.results);
  if (!outputs)
    return outputs.takeError();
  res.outputs = std::move(*outputs);

  double rssBefore = procStatusMiB("VmRSS").value_or(0);
  res.peakIsPerVariant = resetPeakRss();
  if (onDevice) {
    if (Error e = runOnDevice(jit.fns[entryName], inputs, res, what))
      return std::move(e);
  } else {
    Invocation call(jit.fns[entryName], inputs, res.outputs);
    for (unsigned i = 0; i < warmup; ++i) {
      call();
      if (Error e = checkInputs())
        return std::move(e);
    }
    for (unsigned i = 0; i < std::max(1u, repeat.getValue()); ++i) {
      auto start = Clock::now();
      call();
      res.times.push_back(since(start));
      if (Error e = checkInputs())
        return std::move(e);
    }
  }
  std::optional<double> hwm =
      res.peakIsPerVariant ? procStatusMiB("VmHWM") : std::nullopt;
  res.peakIsPerVariant = hwm.has_value();
  res.peakRssMiB = hwm ? *hwm : maxRssMiB();
  res.callExtraMiB = std::max(0.0, res.peakRssMiB - rssBefore);
  llvm::sort(res.times);
  return res;
}

//===----------------------------------------------------------------------===//
// Gradient check
//===----------------------------------------------------------------------===//

/// What --check-grad compares: entry result `resultIndex[k]` is the gradient
/// of `callee` w.r.t. its argument `wrt[k]`, at the point the entry passes.
struct GradSetup {
  std::string callee;
  SmallVector<int64_t> wrt;
  SmallVector<unsigned> resultIndex;
  /// Function computing the callee's arguments from the entry's inputs;
  /// empty when they are the entry's inputs.
  std::string argsFn;
  Signature calleeSig, argsSig;
  Jitted jit;
};

struct GradCheck {
  int64_t arg;
  std::string spec;
  double maxAbsErr = 0, maxFd = 0, relErr = 0;
  int64_t checked = 0;
  bool ok = false;
};

/// Removes every function containing a scan.grad or scan.vjp, except `keep`.
static void eraseGradUsers(ModuleOp module, StringRef keep) {
  SmallVector<func::FuncOp> dead;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.getSymName() == keep)
      continue;
    bool hasGrad = false;
    fn.walk([&](Operation *op) {
      hasGrad |= isa<scan::GradOp, scan::VjpOp>(op);
    });
    if (hasGrad)
      dead.push_back(fn);
  }
  for (auto fn : dead)
    fn.erase();
}

/// For --check-grad of a scan.vjp: adds to `module` the scalar function
/// whose gradient the vjp computes, `@_scan_run_vjp_cost_<f>(args..., cts...)
/// = sum_k <cts_k, f(args)_k>`, and returns its name. The cotangents are
/// the entry's values, so random inputs give random cotangents.
static Expected<std::string> buildVjpCost(ModuleOp module, scan::VjpOp vjp) {
  std::string name = "_scan_run_vjp_cost_" + vjp.getCallee().str();
  auto callee =
      lookupFunc(module, vjp.getCallee(), " (the function differentiated)");
  if (!callee)
    return callee.takeError();
  Type costType = getElementTypeOrSelf(vjp.getCotangents()[0].getType());
  for (Value ct : vjp.getCotangents())
    if (getElementTypeOrSelf(ct.getType()) != costType)
      return fail("--check-grad needs the results of @" +
                  vjp.getCallee().str() + " to have one element type");
  Location loc = vjp.getLoc();
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  SmallVector<Type> inputs(vjp.getOperandTypes());
  auto fn = func::FuncOp::create(b, loc, name,
                                 b.getFunctionType(inputs, {costType}));
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  unsigned numArgs = vjp.getArgs().size();
  auto call = func::CallOp::create(b, loc, *callee,
                                   body->getArguments().take_front(numArgs));
  Value total = arith::ConstantOp::create(b, loc, b.getFloatAttr(costType, 0));
  for (auto [result, ct] : llvm::zip_equal(
           call.getResults(), body->getArguments().drop_front(numArgs))) {
    Value product = arith::MulFOp::create(b, loc, result, ct);
    if (auto type = dyn_cast<RankedTensorType>(product.getType())) {
      auto scalarType = RankedTensorType::get({}, costType);
      Value init = tensor::FromElementsOp::create(
          b, loc, scalarType,
          ValueRange{arith::ConstantOp::create(
              b, loc, b.getFloatAttr(costType, 0))});
      auto sum = linalg::ReduceOp::create(
          b, loc, ValueRange{product}, ValueRange{init},
          llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            linalg::YieldOp::create(
                nb, nloc,
                ValueRange{arith::AddFOp::create(nb, nloc, args[0], args[1])});
          });
      product = tensor::ExtractOp::create(b, loc, sum.getResult(0),
                                          ValueRange{});
    }
    total = arith::AddFOp::create(b, loc, total, product);
  }
  func::ReturnOp::create(b, loc, total);
  return name;
}

/// Builds and JIT-compiles the finite-difference module: the callee and the
/// function giving its arguments, lowered without any variant pipeline.
static Expected<GradSetup> prepareGradCheck(ModuleOp source,
                                            const Signature &entrySig,
                                            TimingScope &timing) {
  GradSetup g;
  OwningOpRef<ModuleOp> module(source.clone());
  auto entry = lookupFunc(*module, entryName, "");
  if (!entry)
    return entry.takeError();

  if (!fdCallee.empty()) {
    g.callee = fdCallee;
    g.wrt.assign(fdWrt.begin(), fdWrt.end());
    if (g.wrt.empty())
      return fail("--fd-callee needs --fd-wrt");
    if (entrySig.results.size() < g.wrt.size())
      return fail("@" + entryName + " returns " +
                  llvm::Twine(entrySig.results.size()) + " results but " +
                  llvm::Twine(g.wrt.size()) + " gradients were asked for");
    for (unsigned k = 0; k < g.wrt.size(); ++k)
      g.resultIndex.push_back(k);
    eraseGradUsers(*module, g.callee);
  } else {
    // The scan.grad, or a scan.vjp whose gradients are those of the inner
    // product of its cotangents with the callee's results.
    SmallVector<Operation *> grads;
    entry->walk([&](Operation *op) {
      if (isa<scan::GradOp, scan::VjpOp>(op))
        grads.push_back(op);
    });
    if (grads.size() != 1)
      return fail("--check-grad needs exactly one scan.grad in @" + entryName +
                  ", found " + llvm::Twine(grads.size()) +
                  " (or name the gradient function with --fd-callee)");
    Operation *grad = grads[0];
    if (grad->getBlock() != &entry->getBody().front())
      return fail("the scan.grad must be at the top level of @" + entryName);
    ValueRange gradients = grad->getResults();
    if (auto vjp = dyn_cast<scan::VjpOp>(grad)) {
      auto cost = buildVjpCost(*module, vjp);
      if (!cost)
        return cost.takeError();
      g.callee = *cost;
      g.wrt.assign(vjp.getWrt().begin(), vjp.getWrt().end());
      gradients = vjp.getGradients();
    } else {
      auto gradOp = cast<scan::GradOp>(grad);
      g.callee = gradOp.getCallee().str();
      g.wrt.assign(gradOp.getWrt().begin(), gradOp.getWrt().end());
    }
    auto ret = cast<func::ReturnOp>(entry->getBody().front().getTerminator());
    for (Value r : gradients) {
      auto it = llvm::find(ret.getOperands(), r);
      if (it == ret.getOperands().end())
        return fail("@" + entryName +
                    " must return every result of its scan.grad");
      g.resultIndex.push_back(it - ret.getOperands().begin());
    }
    // @_scan_run_args_<entry>: the entry up to the scan.grad, returning the
    // grad's arguments (and a vjp's cotangents).
    g.argsFn = "_scan_run_args_" + entryName;
    auto argsFn = cast<func::FuncOp>(entry->clone());
    argsFn.setSymName(g.argsFn);
    argsFn.setPrivate();
    module->getBody()->push_back(argsFn);
    Operation *cloneGrad = nullptr;
    argsFn.walk([&](Operation *op) {
      if (isa<scan::GradOp, scan::VjpOp>(op))
        cloneGrad = op;
    });
    OpBuilder b(cloneGrad);
    auto newRet = func::ReturnOp::create(b, cloneGrad->getLoc(),
                                         cloneGrad->getOperands());
    Block *block = newRet->getBlock();
    while (&block->back() != newRet.getOperation())
      block->back().erase();
    // The scan.grad and the old return went with the ops after newRet.
    argsFn.setFunctionType(FunctionType::get(module->getContext(),
                                             argsFn.getArgumentTypes(),
                                             newRet.getOperandTypes()));
    eraseGradUsers(*module, "");
  }

  auto callee = lookupFunc(*module, g.callee, " (the function differentiated)");
  if (!callee)
    return callee.takeError();
  auto calleeSig = signatureOf(*callee);
  if (!calleeSig)
    return calleeSig.takeError();
  g.calleeSig = *calleeSig;
  if (g.calleeSig.results.size() != 1 ||
      !isFloat(g.calleeSig.results[0].dtype) ||
      g.calleeSig.results[0].numElements() != 1)
    return fail("@" + g.callee + " must return one float scalar");
  for (auto [k, w] : llvm::enumerate(g.wrt)) {
    if (w < 0 || w >= static_cast<int64_t>(g.calleeSig.args.size()))
      return fail("gradient index " + llvm::Twine(w) + " is out of range for @" +
                  g.callee);
    if (!isFloat(g.calleeSig.args[w].dtype))
      return fail("argument " + llvm::Twine(w) + " of @" + g.callee +
                  " is not a float");
    const ArraySpec &r = entrySig.results[g.resultIndex[k]];
    if (r.str() != g.calleeSig.args[w].str())
      return fail("result " + llvm::Twine(g.resultIndex[k]) + " of @" +
                  entryName + " (" + r.str() +
                  ") does not match argument " + llvm::Twine(w) + " of @" +
                  g.callee + " (" + g.calleeSig.args[w].str() + ")");
  }
  SmallVector<std::string> wrapped{g.callee};
  if (g.argsFn.empty()) {
    if (entrySig.args.size() != g.calleeSig.args.size() ||
        !llvm::all_of(llvm::zip(entrySig.args, g.calleeSig.args), [](auto p) {
          return std::get<0>(p).str() == std::get<1>(p).str();
        }))
      return fail("@" + entryName + " must take the arguments of @" +
                  g.callee);
  } else {
    auto argsFn = lookupFunc(*module, g.argsFn, "");
    if (!argsFn)
      return argsFn.takeError();
    auto argsSig = signatureOf(*argsFn);
    if (!argsSig)
      return argsSig.takeError();
    g.argsSig = *argsSig;
    if (Error e = buildWrapper(*module, *argsFn))
      return std::move(e);
    wrapped.push_back(g.argsFn);
  }
  if (Error e = buildWrapper(*module, *callee))
    return std::move(e);

  TimingScope scope = timing.nest("finite differences");
  if (Error e = runPipeline(*module, variantPipeline(loweringName()),
                            "lowering '" + loweringName() +
                                "' (finite-difference module)",
                            scope))
    return std::move(e);
  auto jit = jitCompile(*module, wrapped);
  if (!jit)
    return jit.takeError();
  g.jit = std::move(*jit);
  return g;
}

/// Central finite differences of the callee at the point given by `inputs`.
/// Returns one array per wrt argument (f64), with NaN where not checked.
static Expected<std::vector<Array>>
finiteDifferences(GradSetup &g, std::vector<Array> &inputs) {
  std::vector<Array> point;
  if (g.argsFn.empty()) {
    for (const Array &a : inputs) {
      point.push_back(a.clone());
      if (!point.back().data())
        return fail("cannot allocate a copy of an input (" + a.specStr() +
                    ")");
    }
  } else {
    auto p = allocate(g.argsSig.results);
    if (!p)
      return p.takeError();
    point = std::move(*p);
    Invocation(g.jit.fns[g.argsFn], inputs, point)();
  }
  auto costOr = allocate(g.calleeSig.results);
  if (!costOr)
    return costOr.takeError();
  std::vector<Array> cost = std::move(*costOr);
  Invocation evalCallee(g.jit.fns[g.callee], point, cost);

  bool anyF32 = false;
  for (int64_t w : g.wrt)
    anyF32 |= g.calleeSig.args[w].dtype == DType::F32;
  anyF32 |= g.calleeSig.results[0].dtype == DType::F32;
  // At f32 a larger step keeps the rounding error of the cost, divided by
  // the step, below the truncation error.
  double step = fdStep.getNumOccurrences() ? fdStep : anyF32 ? 1e-2 : 1e-6;

  std::vector<Array> fds;
  for (int64_t w : g.wrt) {
    Array &x = point[w];
    Array fd(DType::F64, x.shape());
    int64_t n = x.numElements();
    int64_t m = fdMaxElements && n > fdMaxElements ? fdMaxElements : n;
    for (int64_t i = 0; i < n; ++i)
      fd.set(i, NAN);
    for (int64_t s = 0; s < m; ++s) {
      int64_t i = m == n ? s : s * n / m;
      double v = x.get(i);
      double h = step * std::max(1.0, std::fabs(v));
      x.set(i, v + h);
      double up = x.get(i);
      evalCallee();
      double fUp = cost[0].get(0);
      x.set(i, v - h);
      double down = x.get(i);
      evalCallee();
      double fDown = cost[0].get(0);
      x.set(i, v);
      fd.set(i, (fUp - fDown) / (up - down));
    }
    fds.push_back(std::move(fd));
  }
  return fds;
}

static std::vector<GradCheck> compareGradients(const GradSetup &g,
                                               const std::vector<Array> &fds,
                                               const VariantResult &v,
                                               double tol) {
  std::vector<GradCheck> checks;
  for (auto [k, w] : llvm::enumerate(g.wrt)) {
    const Array &grad = v.outputs[g.resultIndex[k]];
    const Array &fd = fds[k];
    GradCheck c;
    c.arg = w;
    c.spec = grad.specStr();
    bool nan = false;
    for (int64_t i = 0, e = fd.numElements(); i < e; ++i) {
      double f = fd.get(i);
      if (std::isnan(f))
        continue;
      double gi = grad.get(i);
      nan |= std::isnan(gi) || std::isinf(f);
      c.maxAbsErr = std::max(c.maxAbsErr, std::fabs(gi - f));
      c.maxFd = std::max(c.maxFd, std::fabs(f));
      ++c.checked;
    }
    c.relErr = nan ? NAN : c.maxAbsErr / std::max(c.maxFd, 1e-12);
    c.ok = !nan && c.relErr < tol;
    checks.push_back(c);
  }
  return checks;
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

static Expected<std::vector<Array>> makeInputs(const Signature &sig,
                                               std::vector<std::string> &src) {
  std::vector<Array> inputs;
  size_t n = sig.args.size();
  if (!inputFiles.empty()) {
    if (inputFiles.size() != n)
      return fail("@" + entryName + " takes " + llvm::Twine(n) +
                  " arguments but " + llvm::Twine(inputFiles.size()) +
                  " --input files were given");
    for (size_t i = 0; i < n; ++i) {
      auto a = readNpy(inputFiles[i]);
      if (!a)
        return a.takeError();
      const ArraySpec &spec = sig.args[i];
      if (a->dtype() != spec.dtype)
        return fail("'" + inputFiles[i] + "' holds " + dtypeName(a->dtype()) +
                    " but argument " + llvm::Twine(i) + " of @" + entryName +
                    " is " + spec.str());
      if (a->shape() != ArrayRef<int64_t>(spec.shape))
        return fail("'" + inputFiles[i] + "' has shape " + a->specStr() +
                    " but argument " + llvm::Twine(i) + " of @" + entryName +
                    " is " + spec.str());
      NonFinite nf = countNonFinite(*a);
      if (nf.any() && !allowNonFinite)
        return fail("'" + inputFiles[i] + "' holds non-finite values (" +
                    llvm::Twine(nf.nan) + " NaN, " + llvm::Twine(nf.inf) +
                    " infinite, the first at flat index " +
                    llvm::Twine(nf.first) +
                    "); pass --allow-non-finite to run on them anyway");
      inputs.push_back(std::move(*a));
      src.push_back(inputFiles[i]);
    }
    return inputs;
  }
  SmallVector<double> scales;
  for (StringRef s : llvm::split(StringRef(randomScale), ',')) {
    double d;
    if (s.trim().getAsDouble(d))
      return fail("--random-scale: '" + s + "' is not a number");
    if (!std::isfinite(d) || d < 0)
      return fail("--random-scale: '" + s +
                  "' is not a finite non-negative number");
    scales.push_back(d);
  }
  if (scales.size() != 1 && scales.size() != n)
    return fail("--random-scale has " + llvm::Twine(scales.size()) +
                " values but @" + entryName + " takes " + llvm::Twine(n) +
                " arguments");
  for (size_t i = 0; i < n; ++i) {
    Array a(sig.args[i].dtype, sig.args[i].shape);
    if (!a.data())
      return fail("cannot allocate argument " + llvm::Twine(i) + " of @" +
                  entryName + " (" + sig.args[i].str() + ")");
    double scale = scales[scales.size() == 1 ? 0 : i];
    fillRandomNormal(a, randomSeed + i, scale);
    inputs.push_back(std::move(a));
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "normal(0, " << scale << "), seed " << randomSeed + i;
    src.push_back(s);
  }
  return inputs;
}

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

static llvm::json::Value jsonNumber(double d) {
  if (std::isnan(d) || std::isinf(d))
    return nullptr;
  return d;
}

static llvm::json::Array jsonShape(ArrayRef<int64_t> shape) {
  llvm::json::Array a;
  for (int64_t d : shape)
    a.push_back(d);
  return a;
}

static std::string fmt(double d, const char *f = "%.4g") {
  if (std::isnan(d))
    return "nan";
  return llvm::formatv("{0}", llvm::format(f, d)).str();
}

//===----------------------------------------------------------------------===//
// main
//===----------------------------------------------------------------------===//

/// Refuses option values that parse but make no sense.
static Error checkOptionValues() {
  auto nonNegative = [](cl::opt<double> &o) -> Error {
    if (std::isfinite(o) && o >= 0)
      return Error::success();
    return fail("--" + o.ArgStr + "=" + fmt(o) +
                ": must be a finite non-negative number");
  };
  auto positive = [](cl::opt<double> &o) -> Error {
    if (!o.getNumOccurrences() || (std::isfinite(o) && o > 0))
      return Error::success();
    return fail("--" + o.ArgStr + "=" + fmt(o) +
                ": must be a finite positive number");
  };
  if (Error e = nonNegative(rtolOpt))
    return e;
  if (Error e = nonNegative(atolOpt))
    return e;
  if (Error e = positive(fdRtol))
    return e;
  if (Error e = positive(fdStep))
    return e;
  if (optLevel > 3)
    return fail("-O" + llvm::Twine(optLevel.getValue()) +
                ": the optimisation level must be 0, 1, 2 or 3");
  if (!fdWrt.empty() && fdCallee.empty())
    return fail("--fd-wrt needs --fd-callee");
  return Error::success();
}

static Error run(int &exitCode) {
  auto tStart = Clock::now();
  if (Error e = checkOptionValues())
    return e;
  // The output directory is made first, so a bad one fails before the run.
  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    if (!llvm::sys::fs::is_directory(outputDir))
      return fail("--output-dir '" + outputDir + "' is not a directory");
  }
  if (targetOpt == Target::CUDA) {
    if (checkGrad)
      return fail("--check-grad runs on the CPU only (--target=cpu); on "
                  "CUDA, compare the gradients with --expect against a CPU "
                  "run");
    if (Error e = openCUDARuntime())
      return e;
  }
  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  TimingScope timing = tm.getRootScope();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  scan::registerAllScanDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler diagHandler(&context, [](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      pendingErrors.push_back(formatDiagnostic(diag));
    else if (diag.getSeverity() == DiagnosticSeverity::Warning)
      llvm::errs() << "scan-run: warning: " << formatDiagnostic(diag) << "\n";
    return success();
  });

  // Parse.
  OwningOpRef<ModuleOp> source;
  {
    TimingScope scope = timing.nest("parse");
    std::string errorMessage;
    auto file = openInputFile(inputFile, &errorMessage);
    if (!file)
      return fail("cannot read '" + inputFile + "': " + oneLine(errorMessage));
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    source = parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
    if (!source)
      return fail("cannot parse '" + inputFile +
                  "': " + takeDiagnostics("parse error"));
  }
  auto entry = lookupFunc(*source, entryName, " in '" + inputFile + "'");
  if (!entry)
    return entry.takeError();
  auto sig = signatureOf(*entry);
  if (!sig)
    return sig.takeError();
  if (Error e = checkInputAllowed(*source))
    return e;
  if (Error e = checkSignatureMemory(*sig, entryName))
    return e;
  if (Error e = checkValueSizes(*source, *entry))
    return e;

  // Inputs.
  std::vector<std::string> inputSources;
  auto inputsOr = makeInputs(*sig, inputSources);
  if (!inputsOr)
    return inputsOr.takeError();
  std::vector<Array> inputs = std::move(*inputsOr);

  std::vector<Array> expected;
  if (expectFiles.size() > sig->results.size())
    return fail(llvm::Twine(expectFiles.size()) +
                " --expect files but @" + entryName + " has " +
                llvm::Twine(sig->results.size()) + " results");
  for (auto [i, path] : llvm::enumerate(expectFiles)) {
    auto a = readNpy(path);
    if (!a)
      return a.takeError();
    const ArraySpec &spec = sig->results[i];
    if (a->dtype() != spec.dtype ||
        a->shape() != ArrayRef<int64_t>(spec.shape))
      return fail("'" + path + "' is " + a->specStr() + " but result " +
                  llvm::Twine(i) + " of @" + entryName + " is " + spec.str());
    expected.push_back(std::move(*a));
  }

  // Variants.
  SmallVector<std::string> variants =
      compareOpt.empty() ? SmallVector<std::string>{variantOpt.getValue()}
                         : splitTopLevel(compareOpt);
  // Check every pipeline parses before compiling anything.
  for (const std::string &v : variants) {
    if (variantPipeline(v).empty())
      continue;
    auto parsed = parsePipeline(variantPipeline(v), "variant '" + v + "'");
    if (!parsed)
      return parsed.takeError();
  }
  if (!variantPipeline(loweringName()).empty()) {
    auto parsed = parsePipeline(variantPipeline(loweringName()),
                                "lowering '" + loweringName() + "'");
    if (!parsed)
      return parsed.takeError();
  }

  std::optional<GradSetup> grad;
  std::vector<Array> fds;
  double gradTol = 0;
  if (checkGrad) {
    auto g = prepareGradCheck(*source, *sig, timing);
    if (!g)
      return g.takeError();
    grad = std::move(*g);
    bool anyF32 = grad->calleeSig.results[0].dtype == DType::F32;
    for (int64_t w : grad->wrt)
      anyF32 |= grad->calleeSig.args[w].dtype == DType::F32;
    gradTol = fdRtol.getNumOccurrences() ? fdRtol : anyF32 ? 1e-2 : 1e-6;
    if (anyF32)
      llvm::errs() << "scan-run: warning: finite differences in f32 are "
                      "loose; use f64 programs for tight checks\n";
    TimingScope scope = timing.nest("finite differences");
    auto f = finiteDifferences(*grad, inputs);
    if (!f)
      return f.takeError();
    fds = std::move(*f);
  }

  std::vector<VariantResult> results;
  bool compareChecked =
      rtolOpt.getNumOccurrences() > 0 || atolOpt.getNumOccurrences() > 0;
  bool failed = false;
  std::vector<std::string> failures;
  for (const std::string &v : variants) {
    auto r = runVariant(*source, v, *sig, inputs, timing);
    if (!r)
      return r.takeError();
    VariantResult &res = *r;
    if (!results.empty()) {
      for (size_t i = 0; i < res.outputs.size(); ++i) {
        OutputDiff d;
        d.diff = compareArrays(res.outputs[i], results[0].outputs[i], rtolOpt,
                               atolOpt);
        d.checked = compareChecked;
        if (d.diff.numNaN) {
          // NaN equals nothing: with or without tolerances, the variants
          // cannot be said to agree.
          failed = true;
          failures.push_back("result " + std::to_string(i) + " of variant '" +
                             res.name + "' and of variant '" +
                             results[0].name + "' cannot be compared: " +
                             std::to_string(d.diff.numNaN) +
                             " elements are NaN in one of them");
        } else if (d.checked && d.diff.numOutside) {
          failed = true;
          failures.push_back("result " + std::to_string(i) + " of variant '" +
                             res.name + "' differs from variant '" +
                             results[0].name + "' in " +
                             std::to_string(d.diff.numOutside) +
                             " elements beyond the tolerance (max abs diff " +
                             fmt(d.diff.maxAbs) + ")");
        }
        res.vsRef.push_back(d);
      }
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      OutputDiff d;
      d.diff = compareArrays(res.outputs[i], expected[i], rtolOpt, atolOpt);
      d.checked = true;
      if (d.diff.numOutside) {
        failed = true;
        failures.push_back("result " + std::to_string(i) + " of variant '" +
                           res.name + "' differs from '" + expectFiles[i] +
                           "' in " + std::to_string(d.diff.numOutside) +
                           " elements (first at flat index " +
                           std::to_string(d.diff.firstOutside) +
                           ", max abs diff " + fmt(d.diff.maxAbs) + ")");
      }
      res.vsExpect.push_back(d);
    }
    if (res.inputsModified)
      llvm::errs() << "scan-run: warning: variant '" << res.name
                   << "' wrote into its input buffers (restored before "
                      "every call: --allow-input-writes)\n";
    results.push_back(std::move(res));
  }

  // Non-finite results are reported, except NaNs already named by a failed
  // comparison.
  for (const VariantResult &res : results)
    for (auto [i, a] : llvm::enumerate(res.outputs)) {
      NonFinite nf = countNonFinite(a);
      if (!nf.any() || (results.size() > 1 && nf.inf == 0))
        continue;
      llvm::errs() << "scan-run: warning: result " << i << " of variant '"
                   << res.name << "' has non-finite values (" << nf.nan
                   << " NaN, " << nf.inf << " infinite, of "
                   << a.numElements() << " elements)\n";
    }

  std::vector<std::vector<GradCheck>> gradChecks;
  if (grad) {
    for (const VariantResult &res : results) {
      gradChecks.push_back(compareGradients(*grad, fds, res, gradTol));
      for (const GradCheck &c : gradChecks.back())
        if (!c.ok) {
          failed = true;
          failures.push_back("gradient w.r.t. argument " +
                             std::to_string(c.arg) + " of @" + grad->callee +
                             " (variant '" + res.name +
                             "') disagrees with finite differences: "
                             "relative error " +
                             fmt(c.relErr) + " >= " + fmt(gradTol));
        }
    }
  }

  // Outputs.
  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    for (auto [i, a] : llvm::enumerate(results[0].outputs)) {
      SmallString<256> path(outputDir);
      llvm::sys::path::append(path, entryName + "." + std::to_string(i) +
                                        ".npy");
      if (Error e = writeNpy(path, a))
        return e;
    }
  }

  // Report.
  double refMedian = results[0].median();
  if (jsonOut) {
    llvm::json::Object root;
    root["file"] = inputFile;
    root["entry"] = entryName;
    root["lowering"] = variantPipeline(loweringName());
    root["target"] = targetOpt == Target::CUDA ? "cuda" : "cpu";
    if (targetOpt == Target::CUDA)
      root["device"] = cuda->device;
    root["warmup"] = static_cast<int64_t>(warmup);
    root["repeat"] = static_cast<int64_t>(std::max(1u, repeat.getValue()));
    llvm::json::Array ins;
    for (auto [i, a] : llvm::enumerate(inputs))
      ins.push_back(llvm::json::Object{{"index", static_cast<int64_t>(i)},
                                       {"dtype", dtypeName(a.dtype())},
                                       {"shape", jsonShape(a.shape())},
                                       {"source", inputSources[i]}});
    root["inputs"] = std::move(ins);
    llvm::json::Array vars;
    for (auto [vi, res] : llvm::enumerate(results)) {
      llvm::json::Array outs;
      for (auto [i, a] : llvm::enumerate(res.outputs)) {
        llvm::json::Object o{{"index", static_cast<int64_t>(i)},
                             {"dtype", dtypeName(a.dtype())},
                             {"shape", jsonShape(a.shape())}};
        if (a.numElements() == 1)
          o["value"] = jsonNumber(a.get(0));
        NonFinite nf = countNonFinite(a);
        o["nan_elements"] = nf.nan;
        o["inf_elements"] = nf.inf;
        if (vi > 0) {
          o["max_abs_diff"] = jsonNumber(res.vsRef[i].diff.maxAbs);
          o["max_rel_diff"] = jsonNumber(res.vsRef[i].diff.maxRel);
          o["elements_outside_tolerance"] = res.vsRef[i].diff.numOutside;
        }
        if (i < res.vsExpect.size()) {
          o["expect_max_abs_diff"] = jsonNumber(res.vsExpect[i].diff.maxAbs);
          o["expect_elements_outside_tolerance"] =
              res.vsExpect[i].diff.numOutside;
        }
        outs.push_back(std::move(o));
      }
      llvm::json::Array times;
      for (double t : res.times)
        times.push_back(t);
      llvm::json::Object var{
          {"name", res.name},
          {"pipeline", res.pipeline},
          {"compile_s",
           llvm::json::Object{{"variant", res.variantSec},
                              {"lowering", res.loweringSec},
                              {"jit", res.jitSec}}},
          {"time_s", llvm::json::Object{{"min", res.min()},
                                        {"median", res.median()},
                                        {"max", res.max()},
                                        {"all", std::move(times)}}},
          {"gflop", res.gflop},
          {"gflops", jsonNumber(res.gflop / res.median())},
          {"speedup", jsonNumber(refMedian / res.median())},
          {"peak_rss_mib", res.peakRssMiB},
          {"peak_rss_per_variant", res.peakIsPerVariant},
          {"call_extra_mib", res.callExtraMiB},
          {"inputs_modified", res.inputsModified},
          {"outputs", std::move(outs)}};
      if (!res.cudaMode.empty()) {
        llvm::json::Array spans;
        for (double t : res.streamSpans)
          spans.push_back(t);
        llvm::json::Object c{
            {"mode", res.cudaMode},
            {"stream_span_s",
             llvm::json::Object{{"min", res.streamSpans.front()},
                                {"median", medianOf(res.streamSpans)},
                                {"all", std::move(spans)}}}};
        if (!res.cudaDirectWhy.empty())
          c["direct_because"] = res.cudaDirectWhy;
        if (res.gemmCount >= 0) {
          c["gemms"] = res.gemmCount;
          c["gemms_alone_s"] = jsonNumber(res.gemmSec);
        }
        var["cuda"] = std::move(c);
      }
      if (grad) {
        llvm::json::Array gs;
        for (const GradCheck &c : gradChecks[vi])
          gs.push_back(llvm::json::Object{{"arg", c.arg},
                                          {"shape", c.spec},
                                          {"max_abs_err", jsonNumber(c.maxAbsErr)},
                                          {"max_abs_fd", jsonNumber(c.maxFd)},
                                          {"rel_err", jsonNumber(c.relErr)},
                                          {"elements", c.checked},
                                          {"ok", c.ok}});
        var["check_grad"] = std::move(gs);
      }
      vars.push_back(std::move(var));
    }
    root["variants"] = std::move(vars);
    if (grad) {
      root["fd_callee"] = grad->callee;
      root["fd_rtol"] = gradTol;
    }
    llvm::json::Array fails;
    for (const std::string &f : failures)
      fails.push_back(f);
    root["failures"] = std::move(fails);
    root["ok"] = !failed;
    root["total_s"] = since(tStart);
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
                 << "\n";
  } else {
    llvm::raw_ostream &os = llvm::outs();
    os << "scan-run: " << inputFile << " @" << entryName << ", "
       << inputs.size() << " inputs ("
       << (inputFiles.empty()
               ? "random normal, seed " + std::to_string(randomSeed) +
                     ", scale " + randomScale
               : std::string(".npy files"))
       << "), warmup " << warmup << ", repeat "
       << std::max(1u, repeat.getValue());
    if (targetOpt == Target::CUDA)
      os << ", CUDA device "
         << (cuda->device.empty() ? std::string("(none)") : cuda->device)
         << " (times: call latency on the host, the call issued until its "
            "stream is idle)";
    os << "\n";
    size_t width = 8;
    for (const VariantResult &res : results)
      width = std::max(width, res.name.size());
    auto row = [&](StringRef name, ArrayRef<std::string> cols) {
      os << name;
      os.indent(width - name.size());
      static const unsigned widths[] = {11, 11, 11, 10, 10, 9, 9, 10};
      for (auto [c, w] : llvm::zip(cols, widths)) {
        os.indent(w > c.size() ? w - c.size() : 1);
        os << c;
      }
      os << "\n";
    };
    row("variant", {"min ms", "median ms", "max ms", "GFLOP", "GFLOP/s",
                    "speed-up", "RSS MiB", "+call MiB"});
    for (const VariantResult &res : results)
      row(res.name,
          {fmt(res.min() * 1e3, "%.5g"), fmt(res.median() * 1e3, "%.5g"),
           fmt(res.max() * 1e3, "%.5g"),
           fmt(res.gflop), fmt(res.gflop / res.median()),
           fmt(refMedian / res.median(), "%.3fx"), fmt(res.peakRssMiB, "%.1f"),
           fmt(res.callExtraMiB, "%.1f")});
    for (const VariantResult &res : results) {
      if (res.cudaMode.empty())
        continue;
      os << "  " << res.name << " on CUDA: " << res.cudaMode;
      if (!res.cudaDirectWhy.empty())
        os << " (" << res.cudaDirectWhy << ")";
      os << ", stream span median " << fmt(medianOf(res.streamSpans) * 1e3, "%.5g")
         << " ms (events around the call on the stream)";
      if (res.gemmCount >= 0)
        os << ", its " << res.gemmCount << " GEMMs alone "
           << fmt(res.gemmSec * 1e3, "%.5g") << " ms";
      os << "\n";
    }
    for (const VariantResult &res : results)
      if (res.name != res.pipeline)
        os << "  " << res.name << " = "
           << (res.pipeline.empty() ? "(no passes)" : res.pipeline) << "\n";
    os << "  compile (s):";
    for (const VariantResult &res : results)
      os << " " << res.name << " " << fmt(res.variantSec, "%.3f") << "+"
         << fmt(res.loweringSec, "%.3f") << "+" << fmt(res.jitSec, "%.3f");
    os << " (variant+lowering+JIT)\n";
    for (auto [i, a] : llvm::enumerate(results[0].outputs)) {
      os << "result " << i << ": " << a.specStr();
      if (a.numElements() == 1)
        os << " = " << llvm::format("%.9g", a.get(0));
      os << "\n";
      for (size_t v = 1; v < results.size(); ++v)
        os << "  " << results[v].name << " vs " << results[0].name
           << ": max abs diff " << fmt(results[v].vsRef[i].diff.maxAbs)
           << ", max rel diff " << fmt(results[v].vsRef[i].diff.maxRel)
           << "\n";
      for (const VariantResult &res : results)
        if (i < res.vsExpect.size())
          os << "  " << res.name << " vs " << expectFiles[i]
             << ": max abs diff " << fmt(res.vsExpect[i].diff.maxAbs)
             << ", " << res.vsExpect[i].diff.numOutside
             << " elements outside tolerance\n";
    }
    if (grad)
      for (auto [vi, res] : llvm::enumerate(results))
        for (const GradCheck &c : gradChecks[vi])
          os << "check-grad " << res.name << ": d@" << grad->callee
             << "/darg" << c.arg << " " << c.spec << ": max |g - fd| "
             << fmt(c.maxAbsErr) << ", max |fd| " << fmt(c.maxFd)
             << ", relative error " << fmt(c.relErr) << " over " << c.checked
             << " elements " << (c.ok ? "< " : ">= ") << fmt(gradTol) << ": "
             << (c.ok ? "ok" : "FAILED") << "\n";
  }
  llvm::outs().flush();
  for (const std::string &f : failures)
    llvm::errs() << "scan-run: error: " << f << "\n";
  exitCode = failed ? 1 : 0;
  return Error::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();

  registerAllPasses();
  scan::registerAllScanPasses();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  cl::HideUnrelatedOptions(runCat);
  // Command-line errors become one `scan-run: error:` line like the others.
  // The parser reports some errors to the stream given here and bad option
  // values straight to stderr, sometimes over several lines: both are
  // captured while parsing.
  std::string cliErrors;
  llvm::raw_string_ostream cliErrorStream(cliErrors);
  bool parsed = false;
  std::string direct = captureStderr([&] {
    parsed = cl::ParseCommandLineOptions(
        argc, argv,
        "scan-run: JIT-compile and run a function of a scan-mlir program\n\n"
        "  --help-hidden also lists the MLIR options, e.g. --mlir-timing "
        "and\n  --mlir-print-ir-after-all.\n",
        &cliErrorStream);
  });
  if (!parsed) {
    std::string why = firstLine(direct);
    if (why.empty())
      why = firstLine(cliErrors);
    llvm::errs() << "scan-run: error: " << why << "\n";
    return 1;
  }
  llvm::errs() << direct;
  exeDir = llvm::sys::path::parent_path(llvm::sys::fs::getMainExecutable(
                                            argv[0], (void *)&main))
               .str();

  int exitCode = 0;
  if (Error e = run(exitCode)) {
    llvm::handleAllErrors(std::move(e), [](const llvm::ErrorInfoBase &info) {
      llvm::errs() << "scan-run: error: " << oneLine(info.message()) << "\n";
    });
    return 1;
  }
  return exitCode;
}
