//===- Jit.cpp - trust checks and the JIT -----------------------*- C++ -*-===//
//
// The input allowlist and the symbol policy of docs/TrustModel.md, and the
// JIT compilation of a lowered module with MLIR's ExecutionEngine.
//
//===----------------------------------------------------------------------===//

#include "scan/Runner/Compile.h"

#include "scan/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"

#include "scan/Runtime/CPURuntime.h"

#include <dlfcn.h>
#include <mutex>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace mlir::scan::runner {

//===----------------------------------------------------------------------===//
// What a program may hold
//===----------------------------------------------------------------------===//

/// None of these dialects' ops reaches memory other than its tensors, or
/// calls code that the module does not define.
static constexpr StringRef kInputDialects[] = {"scan",   "func",  "linalg",
                                               "tensor", "arith", "math"};

llvm::ArrayRef<StringRef> inputDialects() { return kInputDialects; }

Error checkInputAllowed(ModuleOp module, StringRef trustedHint) {
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
    error = oneLine(locPrefix(op->getLoc()) + why + "; " + trustedHint.str());
    return WalkResult::interrupt();
  });
  if (error)
    return fail(*error);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// What compiled code may call
//===----------------------------------------------------------------------===//

/// Functions of the C library that lowered code calls directly: heap
/// buffers (finalize-memref-to-llvm without the runtime's allocator) and
/// memory copies.
static constexpr StringRef kLibcSymbols[] = {
    "malloc",         "calloc", "realloc", "free",  "aligned_alloc",
    "posix_memalign", "memcpy", "memmove", "memset"};

/// The real path of `path`, or `path` itself.
static std::string realPath(StringRef path) {
  llvm::SmallString<256> real;
  if (llvm::sys::fs::real_path(path, real))
    return path.str();
  return real.str().str();
}

SymbolPolicy::SymbolPolicy(llvm::ArrayRef<std::string> libraries)
    : libs(libraries.begin(), libraries.end()) {
  for (const std::string &lib : libs) {
    dlopen(lib.c_str(), RTLD_NOW | RTLD_GLOBAL);
    allowedObjects.insert(realPath(lib));
  }
  dlopen("libm.so.6", RTLD_NOW | RTLD_GLOBAL);
}

std::string SymbolPolicy::refuse(StringRef name) const {
  if (name.starts_with("llvm.") || llvm::is_contained(kLibcSymbols, name))
    return "";
  std::string symbol = name.str();
  void *address = dlsym(RTLD_DEFAULT, symbol.c_str());
  if (!address)
    return "the program calls @" + symbol +
           ", which is defined neither in it nor in the runtime libraries (" +
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

Error checkExternalSymbols(ModuleOp module, const SymbolPolicy &policy) {
  for (auto fn : module.getOps<LLVM::LLVMFuncOp>()) {
    if (!fn.isExternal() || SymbolTable::symbolKnownUseEmpty(fn, module))
      continue;
    std::string why = policy.refuse(fn.getName());
    if (!why.empty())
      return fail(why);
  }
  return Error::success();
}

Error checkLinkedSymbols(llvm::Module &module, const SymbolPolicy &policy) {
  auto check = [&](llvm::GlobalValue &value) -> Error {
    if (!value.isDeclaration() || value.use_empty())
      return Error::success();
    if (auto *fn = dyn_cast<llvm::Function>(&value); fn && fn->isIntrinsic())
      return Error::success();
    std::string why = policy.refuse(value.getName());
    if (why.empty())
      return Error::success();
    return fail(why);
  };
  for (llvm::Function &fn : module)
    if (Error e = check(fn))
      return e;
  for (llvm::GlobalVariable &global : module.globals())
    if (Error e = check(global))
      return e;
  return Error::success();
}

//===----------------------------------------------------------------------===//
// JIT
//===----------------------------------------------------------------------===//

llvm::SmallVector<std::string> cpuRuntimeLibraries() {
  llvm::SmallVector<std::string> libs;
  // The runtime is linked into this library: its path is where the loader
  // found it.
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&scanrt_sgemm), &info) &&
      info.dli_fname)
    libs.push_back(realPath(info.dli_fname));
  if (llvm::sys::fs::exists(SCAN_RUNNER_C_RUNNER_UTILS))
    libs.push_back(SCAN_RUNNER_C_RUNNER_UTILS);
  return libs;
}

/// LLVM's default pipeline at `optLevel` without loop unrolling, counting
/// the module's instructions before and after. The products run in the
/// runtime's GEMM kernel and the vectoriser still interleaves the loops of
/// lowered code, so unrolling gains little; but it fully unrolls a loop
/// whose constant trip count is a few vector steps (a row of 129 floats:
/// eight 16-wide steps and one more), then the loop of rows around it, and
/// code generation (loop strength reduction most of all) then takes seconds
/// on a program smaller than the headline ones (docs/Runner.md).
/// --time-passes times this pipeline as well as code generation.
static std::function<Error(llvm::Module *)>
makeOptimizer(unsigned optLevel, llvm::TargetMachine *targetMachine,
              unsigned &translatedInstructions,
              unsigned &optimizedInstructions) {
  return [optLevel, targetMachine, &translatedInstructions,
          &optimizedInstructions](llvm::Module *module) -> Error {
    translatedInstructions = module->getInstructionCount();
    llvm::OptimizationLevel level =
        optLevel >= 3   ? llvm::OptimizationLevel::O3
        : optLevel == 2 ? llvm::OptimizationLevel::O2
        : optLevel == 1 ? llvm::OptimizationLevel::O1
                        : llvm::OptimizationLevel::O0;
    llvm::PipelineTuningOptions tuning;
    tuning.LoopUnrolling = false;
    tuning.LoopInterleaving = true;
    tuning.LoopVectorization = true;
    tuning.SLPVectorization = true;
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager sccs;
    llvm::ModuleAnalysisManager modules;
    llvm::PassInstrumentationCallbacks callbacks;
    llvm::StandardInstrumentations instrumentation(module->getContext(),
                                                   /*DebugLogging=*/false);
    instrumentation.registerCallbacks(callbacks, &modules);
    llvm::PassBuilder builder(targetMachine, tuning, std::nullopt, &callbacks);
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(sccs);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, sccs, modules);
    llvm::ModulePassManager pipeline =
        builder.buildPerModuleDefaultPipeline(level);
    pipeline.run(*module, modules);
    optimizedInstructions = module->getInstructionCount();
    return Error::success();
  };
}

Jitted::Jitted() = default;
Jitted::Jitted(Jitted &&) = default;
Jitted &Jitted::operator=(Jitted &&) = default;
Jitted::~Jitted() = default;

Expected<Jitted> jitCompile(ModuleOp module, llvm::ArrayRef<std::string> wrapped,
                            llvm::ArrayRef<std::string> libraries,
                            unsigned optLevel,
                            DiagnosticCollector &diagnostics) {
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return fail("cannot target the host: " +
                llvm::toString(tmBuilder.takeError()));
  tmBuilder->setCodeGenOptLevel(
      optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
      : optLevel == 2 ? llvm::CodeGenOptLevel::Default
      : optLevel == 1 ? llvm::CodeGenOptLevel::Less
                      : llvm::CodeGenOptLevel::None);
  auto tm = tmBuilder->createTargetMachine();
  if (!tm)
    return fail("cannot create a target machine: " +
                llvm::toString(tm.takeError()));
  SymbolPolicy policy(libraries);
  if (Error e = checkExternalSymbols(module, policy))
    return std::move(e);
  // ExecutionEngineOptions holds a function_ref: keep the transformer alive.
  Jitted jit;
  std::function<Error(llvm::Module *)> transformer =
      makeOptimizer(optLevel, tm->get(), jit.translatedInstructions,
                    jit.optimizedInstructions);
  // The LLVM IR is checked again once translated, before the JIT sees it:
  // the JIT itself would resolve any symbol of the process. (An error
  // returned by the transformer would not stop the JIT: MLIR's
  // ExecutionEngine does not check it in release builds.)
  std::string refused;
  auto buildModule =
      [&](Operation *op,
          llvm::LLVMContext &llvmContext) -> std::unique_ptr<llvm::Module> {
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(op, llvmContext);
    if (!llvmModule)
      return nullptr;
    if (Error e = checkLinkedSymbols(*llvmModule, policy)) {
      refused = llvm::toString(std::move(e));
      return nullptr;
    }
    return llvmModule;
  };
  SmallVector<StringRef> libRefs(libraries.begin(), libraries.end());
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
                diagnostics.take(""));
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
  return jit;
}

void initializeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    registerAllPasses();
    scan::registerAllScanPasses();
  });
}

void registerRunnerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  scan::registerAllScanDialects(registry);
}

} // namespace mlir::scan::runner
