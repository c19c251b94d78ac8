/*===- scan-c/Runner.h - C API of the scan-mlir runner -------------*- C -*-===*\
|*                                                                            *|
|* Compiles a scan program in-process (parse, verify, input allowlist,        *|
|* pipeline, CPU lowering, JIT) and calls its functions on caller-owned       *|
|* buffers. Built as libScanRunner.so; see docs/Runner.md.                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef SCAN_C_RUNNER_H
#define SCAN_C_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A compiled module; immutable once scan_runner_compile returns it. */
typedef struct ScanRunnerProgramImpl *ScanRunnerProgram;
/* One callable function of a program, owned by the program (valid until
   scan_runner_program_destroy; there is nothing to free). */
typedef struct ScanRunnerEntryImpl *ScanRunnerEntry;

typedef struct {
  /* "plain", "optimized", or an MLIR pass-pipeline string (with or without
     "builtin.module(...)") run before lowering; NULL = "optimized". */
  const char *pipeline;
  /* "cpu" (the only target for now); NULL = "cpu". */
  const char *target;
  /* LLVM optimisation level 0..3; -1 = the default (3). */
  int opt_level;
  /* 0 = the input dialect allowlist of docs/TrustModel.md applies; the JIT
     symbol policy applies either way. */
  int allow_any_input;
  /* Runtime worker threads; 0 = the default (SCANRT_NUM_THREADS,
     OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, else every CPU). The count is
     process-wide, the last non-zero value set by a compile wins, and it
     applies to the runtime's GEMMs on every thread; the OpenMP loops of
     compiled code take it on the thread that compiled, other threads'
     loops OMP_NUM_THREADS or every CPU. */
  int num_threads;
} ScanRunnerOptions;

/* Element type codes. i1 is stored as one byte per element (0 or 1). */
enum {
  SCAN_RUNNER_F32 = 0,
  SCAN_RUNNER_F64 = 1,
  SCAN_RUNNER_I32 = 2,
  SCAN_RUNNER_I64 = 3,
  SCAN_RUNNER_I1 = 4,
  SCAN_RUNNER_I8 = 5,
  SCAN_RUNNER_I16 = 6
};

/* Fills the defaults: pipeline NULL, target NULL, opt_level -1,
   allow_any_input 0, num_threads 0. */
void scan_runner_options_init(ScanRunnerOptions *options);

/* Parses, verifies, checks, transforms, lowers and JIT-compiles MLIR source
   text (`length` bytes; it need not be NUL-terminated). `source_name` names
   it in messages (NULL = "<source>"); `options` NULL = the defaults. Every
   public function with a body and a supported signature becomes callable.
   On failure returns NULL and sets *error (when `error` is not NULL) to a
   malloc'ed one-line message ("<file>:<line>:<col>: ..." where known), to be
   released with scan_runner_free_string. Never aborts the process on bad
   input. Safe to call from several threads at once. */
ScanRunnerProgram scan_runner_compile(const char *source, size_t length,
                                      const char *source_name,
                                      const ScanRunnerOptions *options,
                                      char **error);

/* Releases a program and all its entries. No call may be in flight. NULL is
   allowed. */
void scan_runner_program_destroy(ScanRunnerProgram program);

/* The entry for public function `function` (without the '@'), or NULL with
   *error set (unknown function, declaration only, dynamic shapes or an
   unsupported element type). */
ScanRunnerEntry scan_runner_lookup(ScanRunnerProgram program,
                                   const char *function, char **error);

/* Signature: element types are the SCAN_RUNNER_* codes; a scalar is rank 0
   (shape then points to no element). Static shapes only. */
int scan_runner_num_inputs(ScanRunnerEntry entry);
int scan_runner_num_outputs(ScanRunnerEntry entry);
/* Return 0, or non-zero when `index` is out of range (nothing is written
   then). `shape` points into the entry and lives as long as the program. Any
   of the out-pointers may be NULL. */
int scan_runner_input_type(ScanRunnerEntry entry, int index,
                           int *element_type, int *rank,
                           const int64_t **shape);
int scan_runner_output_type(ScanRunnerEntry entry, int index,
                            int *element_type, int *rank,
                            const int64_t **shape);

/* Calls the function: inputs[i] points to dense row-major data of input i's
   type (caller-owned, only read), outputs[j] to a caller-owned dense
   row-major buffer of output j's type, which the call fills. Returns 0, or
   non-zero with *error set (malloc'ed, one line).

   Copies: inputs are passed to the compiled code as memref descriptors over
   the caller's pointers, without a copy. Results are out-parameters of the
   compiled code, whose descriptors point at the caller's output buffers: a
   result the lowering computes in place is written there directly, any
   other is copied there once by the compiled code.

   Aliasing: compiled code may assume that distinct arguments do not overlap
   (weight pre-packing does). Inputs whose byte ranges overlap (the same
   array passed twice, e.g. tied weights) are therefore detected and every
   input but the first of each overlapping group is copied into a private
   buffer for the call. An output whose bytes overlap an input or another
   output is refused with an error; nothing is called then.

   Thread safety: safe to call concurrently from several threads, on the same
   or different entries and programs. */
int scan_runner_call(ScanRunnerEntry entry, const void *const *inputs,
                     void *const *outputs, char **error);

/* Releases a message set by this API. NULL is allowed. */
void scan_runner_free_string(char *message);

#ifdef __cplusplus
}
#endif

#endif /* SCAN_C_RUNNER_H */
