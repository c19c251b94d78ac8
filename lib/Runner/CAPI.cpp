//===- CAPI.cpp - the C API of the runner library ---------------*- C++ -*-===//
//
// include/scan-c/Runner.h over Program and Entry: errors become malloc'ed
// one-line strings, handles are the C++ objects.
//
//===----------------------------------------------------------------------===//

#include "scan-c/Runner.h"

#include "scan/Runner/Compile.h"
#include "scan/Runner/Runner.h"

#include <cstdlib>
#include <cstring>

using namespace mlir::scan::runner;

struct ScanRunnerProgramImpl {
  std::unique_ptr<Program> program;
};

static_assert(SCAN_RUNNER_F32 == static_cast<int>(ElementType::F32) &&
                  SCAN_RUNNER_F64 == static_cast<int>(ElementType::F64) &&
                  SCAN_RUNNER_I32 == static_cast<int>(ElementType::I32) &&
                  SCAN_RUNNER_I64 == static_cast<int>(ElementType::I64) &&
                  SCAN_RUNNER_I1 == static_cast<int>(ElementType::I1) &&
                  SCAN_RUNNER_I8 == static_cast<int>(ElementType::I8) &&
                  SCAN_RUNNER_I16 == static_cast<int>(ElementType::I16),
              "the C codes are the ElementType values");

/// Stores a malloc'ed copy of `message` (one line) in *error, if given.
static void setError(char **error, const std::string &message) {
  if (!error)
    return;
  std::string line = oneLine(message);
  *error = static_cast<char *>(std::malloc(line.size() + 1));
  if (*error)
    std::memcpy(*error, line.c_str(), line.size() + 1);
}

static void setError(char **error, llvm::Error e) {
  setError(error, llvm::toString(std::move(e)));
}

static const Entry *unwrap(ScanRunnerEntry entry) {
  return reinterpret_cast<const Entry *>(entry);
}

extern "C" {

void scan_runner_options_init(ScanRunnerOptions *options) {
  if (!options)
    return;
  options->pipeline = nullptr;
  options->target = nullptr;
  options->opt_level = -1;
  options->allow_any_input = 0;
  options->num_threads = 0;
}

ScanRunnerProgram scan_runner_compile(const char *source, size_t length,
                                      const char *source_name,
                                      const ScanRunnerOptions *options,
                                      char **error) {
  if (error)
    *error = nullptr;
  if (!source && length != 0) {
    setError(error, "the source is a null pointer");
    return nullptr;
  }
  RunnerOptions opts;
  if (options) {
    if (options->pipeline)
      opts.pipeline = options->pipeline;
    if (options->target)
      opts.target = options->target;
    if (options->opt_level < -1 || options->opt_level > 3) {
      setError(error, "opt_level " + std::to_string(options->opt_level) +
                          " is not one of 0..3 (or -1 for the default)");
      return nullptr;
    }
    if (options->opt_level >= 0)
      opts.optLevel = options->opt_level;
    opts.allowAnyInput = options->allow_any_input != 0;
    if (options->num_threads < 0) {
      setError(error, "num_threads must not be negative");
      return nullptr;
    }
    opts.numThreads = options->num_threads;
  }
  auto program = Program::compile(
      llvm::StringRef(source ? source : "", length),
      source_name ? source_name : "<source>", opts);
  if (!program) {
    setError(error, program.takeError());
    return nullptr;
  }
  return new ScanRunnerProgramImpl{std::move(*program)};
}

void scan_runner_program_destroy(ScanRunnerProgram program) {
  delete program;
}

ScanRunnerEntry scan_runner_lookup(ScanRunnerProgram program,
                                   const char *function, char **error) {
  if (error)
    *error = nullptr;
  if (!program || !function) {
    setError(error, "scan_runner_lookup needs a program and a function name");
    return nullptr;
  }
  auto entry = program->program->lookup(function);
  if (!entry) {
    setError(error, entry.takeError());
    return nullptr;
  }
  return reinterpret_cast<ScanRunnerEntry>(const_cast<Entry *>(*entry));
}

int scan_runner_num_inputs(ScanRunnerEntry entry) {
  return entry ? static_cast<int>(unwrap(entry)->inputs().size()) : -1;
}

int scan_runner_num_outputs(ScanRunnerEntry entry) {
  return entry ? static_cast<int>(unwrap(entry)->outputs().size()) : -1;
}

static int describe(llvm::ArrayRef<ArrayType> types, int index,
                    int *element_type, int *rank, const int64_t **shape) {
  if (index < 0 || static_cast<size_t>(index) >= types.size())
    return 1;
  const ArrayType &t = types[index];
  if (element_type)
    *element_type = static_cast<int>(t.element);
  if (rank)
    *rank = static_cast<int>(t.shape.size());
  if (shape)
    *shape = t.shape.data();
  return 0;
}

int scan_runner_input_type(ScanRunnerEntry entry, int index,
                           int *element_type, int *rank,
                           const int64_t **shape) {
  return entry ? describe(unwrap(entry)->inputs(), index, element_type, rank,
                          shape)
               : 1;
}

int scan_runner_output_type(ScanRunnerEntry entry, int index,
                            int *element_type, int *rank,
                            const int64_t **shape) {
  return entry ? describe(unwrap(entry)->outputs(), index, element_type,
                          rank, shape)
               : 1;
}

int scan_runner_call(ScanRunnerEntry entry, const void *const *inputs,
                     void *const *outputs, char **error) {
  if (error)
    *error = nullptr;
  if (!entry) {
    setError(error, "scan_runner_call needs an entry");
    return 1;
  }
  const Entry *e = unwrap(entry);
  size_t numInputs = e->inputs().size(), numOutputs = e->outputs().size();
  if ((numInputs && !inputs) || (numOutputs && !outputs)) {
    setError(error, "scan_runner_call needs the input and output arrays");
    return 1;
  }
  if (llvm::Error err =
          e->call(llvm::ArrayRef<const void *>(inputs, numInputs),
                  llvm::ArrayRef<void *>(outputs, numOutputs))) {
    setError(error, std::move(err));
    return 1;
  }
  return 0;
}

void scan_runner_free_string(char *message) { std::free(message); }

} // extern "C"
