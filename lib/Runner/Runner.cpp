//===- Runner.cpp - compile a scan program and call it in-process -*- C++ -*-=//

#include "scan/Runner/Runner.h"
#include "scan/Runner/Compile.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include "scan/Runtime/CPURuntime.h"

#include <cstdlib>
#include <cstring>

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace mlir::scan::runner {

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

size_t elementSize(ElementType type) {
  switch (type) {
  case ElementType::F32:
  case ElementType::I32:
    return 4;
  case ElementType::F64:
  case ElementType::I64:
    return 8;
  case ElementType::I16:
    return 2;
  case ElementType::I8:
  case ElementType::I1:
    return 1;
  }
  return 1;
}

StringRef elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F64:
    return "f64";
  case ElementType::I32:
    return "i32";
  case ElementType::I64:
    return "i64";
  case ElementType::I1:
    return "i1";
  case ElementType::I8:
    return "i8";
  case ElementType::I16:
    return "i16";
  }
  return "?";
}

int64_t ArrayType::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t ArrayType::byteSize() const {
  return numElements() * static_cast<int64_t>(elementSize(element));
}

std::string ArrayType::str() const {
  std::string dims;
  for (auto [i, d] : llvm::enumerate(shape))
    dims += (i ? "x" : "") + std::to_string(d);
  return (elementTypeName(element) + "[" + dims + "]").str();
}

Expected<ElementType> elementTypeOf(Type type) {
  if (type.isF32())
    return ElementType::F32;
  if (type.isF64())
    return ElementType::F64;
  if (type.isSignlessInteger(1))
    return ElementType::I1;
  if (type.isSignlessInteger(8))
    return ElementType::I8;
  if (type.isSignlessInteger(16))
    return ElementType::I16;
  if (type.isSignlessInteger(32))
    return ElementType::I32;
  if (type.isSignlessInteger(64))
    return ElementType::I64;
  return fail("element type " + llvm::formatv("{0}", type).str() +
              " is not supported (f32, f64, i1, i8, i16, i32, i64)");
}

Expected<ArrayType> arrayTypeOf(Type type) {
  ArrayType result;
  Type elem = type;
  if (auto tensor = dyn_cast<RankedTensorType>(type)) {
    if (!tensor.hasStaticShape())
      return fail("dynamic shapes are not supported");
    result.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    elem = tensor.getElementType();
  } else if (isa<ShapedType>(type)) {
    return fail("only ranked tensors and scalars are supported");
  }
  Expected<ElementType> element = elementTypeOf(elem);
  if (!element)
    return element.takeError();
  result.element = *element;
  // Sizes that overflow int64 in bytes cannot be buffers of this process.
  int64_t bytes = static_cast<int64_t>(elementSize(result.element));
  for (int64_t d : result.shape)
    if (d != 0 && __builtin_mul_overflow(bytes, d, &bytes))
      return fail(result.str() + " has more than 2^63 bytes");
  return result;
}

//===----------------------------------------------------------------------===//
// Entry
//===----------------------------------------------------------------------===//

Entry::Entry(std::string name, llvm::SmallVector<ArrayType> inputs,
             llvm::SmallVector<ArrayType> outputs, void (*fn)(void **))
    : entryName(std::move(name)), inputTypes(std::move(inputs)),
      outputTypes(std::move(outputs)), fn(fn) {}

namespace {
/// Memory freed with std::free.
struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};
} // namespace

Error Entry::call(llvm::ArrayRef<const void *> inputs,
                  llvm::ArrayRef<void *> outputs) const {
  if (inputs.size() != inputTypes.size() ||
      outputs.size() != outputTypes.size())
    return fail(llvm::formatv("@{0} takes {1} inputs and {2} outputs, not "
                              "{3} and {4}",
                              entryName, inputTypes.size(),
                              outputTypes.size(), inputs.size(),
                              outputs.size())
                    .str());
  struct Range {
    uintptr_t begin, end;
    bool overlaps(const Range &o) const {
      return begin < o.end && o.begin < end;
    }
  };
  auto rangeOf = [](const void *p, const ArrayType &t) {
    auto begin = reinterpret_cast<uintptr_t>(p);
    return Range{begin, begin + static_cast<uintptr_t>(t.byteSize())};
  };
  llvm::SmallVector<Range> inputRanges, outputRanges;
  for (auto [i, p] : llvm::enumerate(inputs)) {
    if (!p && inputTypes[i].byteSize() != 0)
      return fail(llvm::formatv("input {0} of @{1} is a null pointer", i,
                                entryName)
                      .str());
    inputRanges.push_back(rangeOf(p, inputTypes[i]));
  }
  for (auto [j, p] : llvm::enumerate(outputs)) {
    if (!p && outputTypes[j].byteSize() != 0)
      return fail(llvm::formatv("output {0} of @{1} is a null pointer", j,
                                entryName)
                      .str());
    Range r = rangeOf(p, outputTypes[j]);
    for (auto [i, in] : llvm::enumerate(inputRanges))
      if (r.overlaps(in))
        return fail(llvm::formatv("output {0} of @{1} overlaps input {2}: "
                                  "outputs must not share memory with inputs",
                                  j, entryName, i)
                        .str());
    for (auto [k, out] : llvm::enumerate(outputRanges))
      if (r.overlaps(out))
        return fail(llvm::formatv("output {0} of @{1} overlaps output {2}: "
                                  "outputs must not share memory",
                                  j, entryName, k)
                        .str());
    outputRanges.push_back(r);
  }

  // Compiled code may assume that distinct arguments do not alias (a weight
  // packed once for a loop is read again through another argument): an
  // input overlapping an earlier one gets a private copy.
  llvm::SmallVector<const void *> data(inputs.begin(), inputs.end());
  llvm::SmallVector<std::unique_ptr<void, FreeDeleter>> copies;
  for (size_t i = 1; i < inputRanges.size(); ++i) {
    if (inputRanges[i].begin == inputRanges[i].end)
      continue;
    bool aliased = llvm::any_of(llvm::seq<size_t>(0, i), [&](size_t k) {
      return inputRanges[i].overlaps(inputRanges[k]);
    });
    if (!aliased)
      continue;
    size_t bytes = inputTypes[i].byteSize();
    void *copy = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!copy)
      return fail(llvm::formatv("cannot allocate {0} bytes for a copy of "
                                "input {1} of @{2}, which overlaps another "
                                "input",
                                bytes, i, entryName)
                      .str());
    std::memcpy(copy, inputs[i], bytes);
    copies.emplace_back(copy);
    data[i] = copy;
  }

  // Standard ranked memref descriptors: allocated and aligned pointers,
  // offset, sizes, row-major strides.
  size_t numArgs = inputs.size() + outputs.size();
  llvm::SmallVector<llvm::SmallVector<int64_t, 8>, 8> descriptors(numArgs);
  auto describe = [](llvm::SmallVector<int64_t, 8> &words, const void *p,
                     const ArrayType &t) {
    int64_t address = static_cast<int64_t>(reinterpret_cast<uintptr_t>(p));
    words.assign({address, address, 0});
    words.append(t.shape.begin(), t.shape.end());
    size_t first = words.size();
    words.resize(first + t.shape.size());
    int64_t stride = 1;
    for (size_t d = t.shape.size(); d-- > 0;) {
      words[first + d] = stride;
      stride *= t.shape[d];
    }
  };
  for (size_t i = 0; i < inputs.size(); ++i)
    describe(descriptors[i], data[i], inputTypes[i]);
  for (size_t j = 0; j < outputs.size(); ++j)
    describe(descriptors[inputs.size() + j], outputs[j], outputTypes[j]);
  llvm::SmallVector<void *, 16> pointers, args;
  for (auto &words : descriptors)
    pointers.push_back(words.data());
  for (void *&p : pointers)
    args.push_back(&p);
  fn(args.data());
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Program
//===----------------------------------------------------------------------===//

Program::Program() = default;
Program::~Program() = default;

Expected<const Entry *> Program::lookup(StringRef name) const {
  auto it = entries.find(name);
  if (it != entries.end())
    return it->second.get();
  auto why = unsupported.find(name);
  if (why != unsupported.end())
    return fail("@" + name + " cannot be called: " + why->second);
  return fail("the program has no public function @" + name);
}

Expected<std::unique_ptr<Program>>
Program::compile(StringRef source, StringRef sourceName,
                 const RunnerOptions &options) {
  initializeOnce();
  DialectRegistry registry;
  registerRunnerDialects(registry);
  MLIRContext context(registry);
  DiagnosticCollector diagnostics(&context);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, sourceName), llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return fail(diagnostics.take(sourceName.str() + ": parse error"));
  return compile(*module, options);
}

Expected<std::unique_ptr<Program>>
Program::compile(ModuleOp source, const RunnerOptions &options) {
  initializeOnce();
  DiagnosticCollector diagnostics(source.getContext());
  if (options.target != "cpu")
    return fail("unknown target '" + options.target +
                "': the runner library compiles for the CPU only");
  if (options.optLevel > 3)
    return fail(llvm::formatv("optimisation level {0} is not one of 0..3",
                              options.optLevel)
                    .str());
  if (failed(verify(source)))
    return fail(diagnostics.take("the module does not verify"));
  if (!options.allowAnyInput)
    if (Error e = checkInputAllowed(source, options.trustedHint))
      return std::move(e);

  // The wrappers are made of these, whether the program uses them or not.
  MLIRContext *context = source.getContext();
  context->getOrLoadDialect<func::FuncDialect>();
  context->getOrLoadDialect<tensor::TensorDialect>();
  context->getOrLoadDialect<bufferization::BufferizationDialect>();

  OwningOpRef<ModuleOp> module(source.clone());
  std::string pipeline = variantPipeline(options.pipeline);
  if (Error e = runPipeline(*module, pipeline,
                            "pipeline '" + options.pipeline + "'",
                            diagnostics))
    return std::move(e);

  std::unique_ptr<Program> program(new Program);
  // Every public function with a body and a supported signature becomes an
  // entry; the others are remembered for lookup's message.
  struct Candidate {
    std::string name;
    llvm::SmallVector<ArrayType> inputs, outputs;
  };
  std::vector<Candidate> candidates;
  for (auto fn : module->getOps<func::FuncOp>()) {
    if (!fn.isPublic() || fn.isExternal())
      continue;
    Candidate c{fn.getSymName().str(), {}, {}};
    std::string why;
    for (auto [i, t] : llvm::enumerate(fn.getArgumentTypes())) {
      auto type = arrayTypeOf(t);
      if (!type) {
        why = llvm::formatv("argument {0}: {1}", i,
                            llvm::toString(type.takeError()));
        break;
      }
      c.inputs.push_back(*type);
    }
    for (auto [i, t] : llvm::enumerate(fn.getResultTypes())) {
      if (!why.empty())
        break;
      auto type = arrayTypeOf(t);
      if (!type) {
        why = llvm::formatv("result {0}: {1}", i,
                            llvm::toString(type.takeError()));
        break;
      }
      c.outputs.push_back(*type);
    }
    // Compiled code would crash allocating a value larger than memory.
    if (why.empty())
      if (Error e = checkValueSizes(*module, fn))
        why = llvm::toString(std::move(e));
    if (!why.empty()) {
      program->unsupported[c.name] = why;
      continue;
    }
    candidates.push_back(std::move(c));
  }
  std::vector<std::string> names;
  for (const Candidate &c : candidates) {
    if (Error e = buildWrapper(*module,
                               module->lookupSymbol<func::FuncOp>(c.name)))
      return std::move(e);
    names.push_back(c.name);
  }

  if (Error e = runPipeline(*module, variantPipeline("scan-lower-to-cpu"),
                            "lowering 'scan-lower-to-cpu'", diagnostics))
    return std::move(e);
  for (const Candidate &c : candidates)
    if (Error e = checkCInterface(*module, c.name,
                                  c.inputs.size() + c.outputs.size()))
      return std::move(e);

  auto jit = jitCompile(*module, names, cpuRuntimeLibraries(),
                        options.optLevel, diagnostics);
  if (!jit)
    return jit.takeError();
  program->jit = std::make_unique<Jitted>(std::move(*jit));
  for (Candidate &c : candidates) {
    void (*fn)(void **) = program->jit->fns.lookup(c.name);
    program->entries[c.name] = std::make_unique<Entry>(
        c.name, std::move(c.inputs), std::move(c.outputs), fn);
  }
  if (options.numThreads > 0)
    scanrt_set_num_threads(options.numThreads);
  return std::move(program);
}

} // namespace mlir::scan::runner
