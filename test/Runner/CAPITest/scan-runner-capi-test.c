/*===- scan-runner-capi-test.c - tests of the runner's C API --------------===*\
|*                                                                            *|
|* A C program over include/scan-c/Runner.h, run by the lit tests of          *|
|* test/Runner. Each subcommand prints what it checked; a failed check exits  *|
|* non-zero.                                                                  *|
|*                                                                            *|
|*   errors FILE           one-line messages of bad programs, names, calls    *|
|*   tied FILE             tied weights: one array for two arguments, the     *|
|*                         gradient checked against finite differences        *|
|*   threads FILE ENTRY N CALLS                                               *|
|*                         N threads calling ENTRY CALLS times each at once,  *|
|*                         then N threads compiling the program at once       *|
|*   npy FILE ENTRY DIR    runs ENTRY on fixed inputs, writes DIR/in.I.npy    *|
|*                         and DIR/out.J.npy (for a comparison with scan-run) *|
|*   bench FILE ENTRY N    compile time and time per call of ENTRY            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "scan-c/Runner.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *readFile(const char *path, size_t *length) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc(size + 1);
  if (fread(text, 1, size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  fclose(f);
  text[size] = 0;
  *length = size;
  return text;
}

static ScanRunnerProgram compileText(const char *text, const char *name,
                                     const char *pipeline, char **error) {
  ScanRunnerOptions options;
  scan_runner_options_init(&options);
  options.pipeline = pipeline;
  return scan_runner_compile(text, strlen(text), name, &options, error);
}

static ScanRunnerProgram compileFile(const char *path, const char *pipeline) {
  size_t length;
  char *text = readFile(path, &length);
  char *error = NULL;
  ScanRunnerOptions options;
  scan_runner_options_init(&options);
  options.pipeline = pipeline;
  ScanRunnerProgram program =
      scan_runner_compile(text, length, path, &options, &error);
  free(text);
  if (!program) {
    fprintf(stderr, "compile failed: %s\n", error);
    exit(1);
  }
  return program;
}

static ScanRunnerEntry lookup(ScanRunnerProgram program, const char *name) {
  char *error = NULL;
  ScanRunnerEntry entry = scan_runner_lookup(program, name, &error);
  if (!entry) {
    fprintf(stderr, "lookup failed: %s\n", error);
    exit(1);
  }
  return entry;
}

static size_t elementBytes(int type) {
  switch (type) {
  case SCAN_RUNNER_F32:
  case SCAN_RUNNER_I32:
    return 4;
  case SCAN_RUNNER_F64:
  case SCAN_RUNNER_I64:
    return 8;
  default:
    return 1;
  }
}

static int64_t numElements(int rank, const int64_t *shape) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d)
    n *= shape[d];
  return n;
}

/* Allocates zeroed buffers for every input (isInput) or output of `entry`. */
static void **allocate(ScanRunnerEntry entry, int isInput, int *count) {
  int n = isInput ? scan_runner_num_inputs(entry)
                  : scan_runner_num_outputs(entry);
  void **buffers = calloc(n ? n : 1, sizeof(void *));
  for (int i = 0; i < n; ++i) {
    int type, rank;
    const int64_t *shape;
    if (isInput)
      scan_runner_input_type(entry, i, &type, &rank, &shape);
    else
      scan_runner_output_type(entry, i, &type, &rank, &shape);
    buffers[i] = calloc(numElements(rank, shape), elementBytes(type));
  }
  *count = n;
  return buffers;
}

/* Frees what allocate() returned. */
static void release(void **buffers, int count) {
  for (int i = 0; i < count; ++i)
    free(buffers[i]);
  free(buffers);
}

/* A deterministic value for element k of argument i (seeded by `seed`). */
static double valueAt(int i, int64_t k, int seed) {
  return 0.6 * sin(0.7 * (double)k + 1.3 * (double)i + 0.1 * seed);
}

static void fillInputs(ScanRunnerEntry entry, void **inputs, int seed) {
  for (int i = 0; i < scan_runner_num_inputs(entry); ++i) {
    int type, rank;
    const int64_t *shape;
    scan_runner_input_type(entry, i, &type, &rank, &shape);
    int64_t n = numElements(rank, shape);
    for (int64_t k = 0; k < n; ++k) {
      double v = valueAt(i, k, seed);
      switch (type) {
      case SCAN_RUNNER_F32:
        ((float *)inputs[i])[k] = (float)v;
        break;
      case SCAN_RUNNER_F64:
        ((double *)inputs[i])[k] = v;
        break;
      case SCAN_RUNNER_I32:
        ((int32_t *)inputs[i])[k] = (int32_t)(v * 10);
        break;
      case SCAN_RUNNER_I64:
        ((int64_t *)inputs[i])[k] = (int64_t)(v * 10);
        break;
      default:
        ((unsigned char *)inputs[i])[k] = v > 0;
      }
    }
  }
}

static void call(ScanRunnerEntry entry, const void *const *inputs,
                 void *const *outputs) {
  char *error = NULL;
  if (scan_runner_call(entry, inputs, outputs, &error)) {
    fprintf(stderr, "call failed: %s\n", error);
    exit(1);
  }
}

/* Prints "<what>: <message>" for a call that must fail with a message. */
static int expectError(const char *what, int failed, char *error) {
  if (!failed || !error) {
    printf("%s: no error\n", what);
    return 1;
  }
  printf("%s: %s\n", what, error);
  scan_runner_free_string(error);
  return 0;
}

static int testErrors(const char *path) {
  int bad = 0;
  char *error = NULL;
  ScanRunnerProgram p =
      compileText("func.func @f(%x: f32) -> f32 {\n  return %x f32\n}\n",
                  "syntax.mlir", NULL, &error);
  bad |= expectError("bad syntax", p == NULL, error);
  p = compileText("llvm.func @system(!llvm.ptr) -> i32\n", "system.mlir",
                  NULL, &error);
  bad |= expectError("disallowed op", p == NULL, error);
  p = compileText("func.func @f(%x: f32) -> f32 { return %x : f32 }",
                  "pipeline.mlir", "no-such-pass", &error);
  bad |= expectError("bad pipeline", p == NULL, error);
  {
    ScanRunnerOptions options;
    scan_runner_options_init(&options);
    options.target = "tpu";
    const char *text = "func.func @f(%x: f32) -> f32 { return %x : f32 }";
    p = scan_runner_compile(text, strlen(text), "target.mlir", &options,
                            &error);
    bad |= expectError("bad target", p == NULL, error);
  }

  /* A trusted program still links only the runtime and libm: system() is
     refused before anything runs; expf and a runtime function link. */
  {
    ScanRunnerOptions options;
    scan_runner_options_init(&options);
    options.allow_any_input = 1;
    options.pipeline = "none";
    const char *text =
        "llvm.mlir.global internal constant @command(\"touch x\\00\")"
        " {addr_space = 0 : i32}\n"
        "llvm.func @system(!llvm.ptr) -> i32\n"
        "func.func @f(%x: f32) -> f32 {\n"
        "  %p = llvm.mlir.addressof @command : !llvm.ptr\n"
        "  %r = llvm.call @system(%p) : (!llvm.ptr) -> i32\n"
        "  return %x : f32\n}\n";
    p = scan_runner_compile(text, strlen(text), "system.mlir", &options,
                            &error);
    bad |= expectError("trusted program calling system", p == NULL, error);
    const char *libm =
        "func.func private @expf(f32) -> f32\n"
        "func.func @f(%x: f32) -> f32 {\n"
        "  %e = func.call @expf(%x) : (f32) -> f32\n"
        "  return %e : f32\n}\n";
    p = scan_runner_compile(libm, strlen(libm), "libm.mlir", &options, &error);
    if (!p) {
      printf("trusted program calling expf: %s\n", error);
      return 1;
    }
    float x = 0, y = 0;
    const void *in[] = {&x};
    void *out[] = {&y};
    int failed = scan_runner_call(lookup(p, "f"), in, out, &error) != 0;
    printf("trusted program calling expf: %s, expf(0) = %g\n",
           failed ? "failed" : "ran", y);
    scan_runner_program_destroy(p);
    options.allow_any_input = 0;
    p = scan_runner_compile(libm, strlen(libm), "libm.mlir", &options, &error);
    bad |= expectError("untrusted declaration", p == NULL, error);
  }

  /* Functions that cannot be entries: the program compiles, their lookup
     says why. */
  const char *odd =
      "func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {\n"
      "  return %x : tensor<?xf32>\n}\n"
      "func.func @huge() -> f32 {\n"
      "  %e = tensor.empty() : tensor<100000000000000xf32>\n"
      "  %c0 = arith.constant 0 : index\n"
      "  %v = tensor.extract %e[%c0] : tensor<100000000000000xf32>\n"
      "  return %v : f32\n}\n"
      "func.func @f16(%x: f16) -> f16 {\n  return %x : f16\n}\n";
  p = compileText(odd, "odd.mlir", "none", &error);
  if (!p) {
    printf("odd: %s\n", error);
    return 1;
  }
  ScanRunnerEntry none = scan_runner_lookup(p, "dynamic", &error);
  bad |= expectError("dynamic shape", none == NULL, error);
  none = scan_runner_lookup(p, "huge", &error);
  bad |= expectError("value larger than memory", none == NULL, error);
  none = scan_runner_lookup(p, "f16", &error);
  bad |= expectError("element type", none == NULL, error);
  scan_runner_program_destroy(p);

  ScanRunnerProgram program = compileFile(path, NULL);
  ScanRunnerEntry entry = scan_runner_lookup(program, "nope", &error);
  bad |= expectError("unknown entry", entry == NULL, error);
  entry = lookup(program, "grad");
  printf("grad: %d inputs, %d outputs\n", scan_runner_num_inputs(entry),
         scan_runner_num_outputs(entry));
  int type = -1, rank = -1;
  const int64_t *shape = NULL;
  scan_runner_input_type(entry, 0, &type, &rank, &shape);
  printf("input 0: type %d rank %d shape %lldx%lldx%lld\n", type, rank,
         (long long)shape[0], (long long)shape[1], (long long)shape[2]);
  scan_runner_output_type(entry, 1, &type, &rank, &shape);
  printf("output 1: type %d rank %d shape %lldx%lld\n", type, rank,
         (long long)shape[0], (long long)shape[1]);
  printf("input 4 query: %d\n",
         scan_runner_input_type(entry, 4, &type, &rank, &shape));
  printf("output -1 query: %d\n",
         scan_runner_output_type(entry, -1, &type, &rank, &shape));
  ScanRunnerEntry cost = lookup(program, "cost");
  scan_runner_output_type(cost, 0, &type, &rank, &shape);
  printf("cost output 0: type %d rank %d\n", type, rank);

  int numInputs, numOutputs;
  void **inputs = allocate(entry, 1, &numInputs);
  void **outputs = allocate(entry, 0, &numOutputs);
  fillInputs(entry, inputs, 0);
  /* An output that is an input's memory. */
  void *saved = outputs[1];
  outputs[1] = inputs[3];
  int failed = scan_runner_call(entry, (const void *const *)inputs, outputs,
                                &error) != 0;
  bad |= expectError("output aliasing an input", failed, error);
  outputs[1] = (char *)outputs[0] + 8;
  failed = scan_runner_call(entry, (const void *const *)inputs, outputs,
                            &error) != 0;
  bad |= expectError("overlapping outputs", failed, error);
  outputs[1] = saved;
  void *keep = inputs[1];
  inputs[1] = NULL;
  failed = scan_runner_call(entry, (const void *const *)inputs, outputs,
                            &error) != 0;
  bad |= expectError("null input", failed, error);
  inputs[1] = keep;
  release(inputs, numInputs);
  release(outputs, numOutputs);
  scan_runner_program_destroy(program);
  return bad;
}

static double costAt(ScanRunnerEntry cost, void **inputs) {
  double c = 0;
  void *outputs[1] = {&c};
  call(cost, (const void *const *)inputs, outputs);
  return c;
}

static int testTied(const char *path) {
  ScanRunnerProgram program = compileFile(path, "optimized");
  ScanRunnerEntry grad = lookup(program, "grad");
  ScanRunnerEntry cost = lookup(program, "cost");
  int numInputs, numOutputs;
  void **inputs = allocate(grad, 1, &numInputs);
  void **outputs = allocate(grad, 0, &numOutputs);
  fillInputs(grad, inputs, 1);
  /* U and W: one array. */
  double *tied = inputs[2];
  void *ownW = inputs[3];
  inputs[3] = tied;
  call(grad, (const void *const *)inputs, outputs);
  const double *dU = outputs[0], *dW = outputs[1];

  /* The same call on two distinct copies gives the same gradients. */
  double untiedCopy[25];
  memcpy(untiedCopy, tied, sizeof(untiedCopy));
  void *untiedInputs[4] = {inputs[0], inputs[1], tied, untiedCopy};
  double dU2[25], dW2[25];
  void *untiedOutputs[2] = {dU2, dW2};
  call(grad, (const void *const *)untiedInputs, untiedOutputs);
  int same = memcmp(dU, dU2, sizeof(dU2)) == 0 &&
             memcmp(dW, dW2, sizeof(dW2)) == 0;
  printf("tied: gradients equal to those of two distinct copies: %s\n",
         same ? "yes" : "NO");

  /* d cost(x, h0, A, A) / dA = dU + dW, against central differences. */
  double maxErr = 0, maxFd = 0;
  const double h = 1e-6;
  for (int k = 0; k < 25; ++k) {
    double keep = tied[k];
    tied[k] = keep + h;
    double up = costAt(cost, inputs);
    tied[k] = keep - h;
    double down = costAt(cost, inputs);
    tied[k] = keep;
    double fd = (up - down) / (2 * h);
    double g = dU[k] + dW[k];
    if (fabs(g - fd) > maxErr)
      maxErr = fabs(g - fd);
    if (fabs(fd) > maxFd)
      maxFd = fabs(fd);
  }
  double rel = maxErr / maxFd;
  int ok = same && maxFd > 1e-3 && rel < 1e-6;
  printf("tied: max |fd| %s 1e-3, relative error %s 1e-6: %s\n",
         maxFd > 1e-3 ? ">" : "<=", rel < 1e-6 ? "<" : ">=",
         ok ? "ok" : "FAILED");
  inputs[3] = ownW;
  release(inputs, numInputs);
  release(outputs, numOutputs);
  scan_runner_program_destroy(program);
  return !ok;
}

/* Total bytes of output j of `entry`. */
static size_t outputBytes(ScanRunnerEntry entry, int j) {
  int type, rank;
  const int64_t *shape;
  scan_runner_output_type(entry, j, &type, &rank, &shape);
  return numElements(rank, shape) * elementBytes(type);
}

/* Whether the outputs equal `expected`, byte for byte. */
static int sameOutputs(ScanRunnerEntry entry, void **outputs,
                       void **expected) {
  for (int j = 0; j < scan_runner_num_outputs(entry); ++j)
    if (memcmp(outputs[j], expected[j], outputBytes(entry, j)))
      return 0;
  return 1;
}

struct CompileWork {
  const char *path, *name;
  void **inputs, **expected;
  int same;
};

/* Compiles the program in this thread (while others do too) and calls the
   entry once. */
static void *compileMain(void *arg) {
  struct CompileWork *w = arg;
  ScanRunnerProgram program = compileFile(w->path, "optimized");
  ScanRunnerEntry entry = lookup(program, w->name);
  int n;
  void **outputs = allocate(entry, 0, &n);
  call(entry, (const void *const *)w->inputs, outputs);
  w->same = sameOutputs(entry, outputs, w->expected);
  release(outputs, n);
  scan_runner_program_destroy(program);
  return NULL;
}

struct ThreadWork {
  ScanRunnerEntry entry;
  void **inputs, **outputs, **expected;
  int calls, mismatches;
};

static void *threadMain(void *arg) {
  struct ThreadWork *w = arg;
  for (int c = 0; c < w->calls; ++c) {
    for (int j = 0; j < scan_runner_num_outputs(w->entry); ++j)
      memset(w->outputs[j], 0, outputBytes(w->entry, j));
    call(w->entry, (const void *const *)w->inputs, w->outputs);
    if (!sameOutputs(w->entry, w->outputs, w->expected))
      ++w->mismatches;
  }
  return NULL;
}

static int testThreads(const char *path, const char *name, int numThreads,
                       int calls) {
  ScanRunnerProgram program = compileFile(path, "optimized");
  ScanRunnerEntry entry = lookup(program, name);
  struct ThreadWork *work = calloc(numThreads, sizeof(struct ThreadWork));
  /* Each thread has its own inputs; its expected results come from a call
     made alone, before the threads start. */
  for (int t = 0; t < numThreads; ++t) {
    int n;
    struct ThreadWork *w = &work[t];
    w->entry = entry;
    w->inputs = allocate(entry, 1, &n);
    w->outputs = allocate(entry, 0, &n);
    w->expected = allocate(entry, 0, &n);
    fillInputs(entry, w->inputs, t + 2);
    call(entry, (const void *const *)w->inputs, w->expected);
    w->calls = calls;
  }
  int distinct = !sameOutputs(entry, work[0].expected,
                              work[numThreads - 1].expected);
  pthread_t *threads = calloc(numThreads, sizeof(pthread_t));
  for (int t = 0; t < numThreads; ++t)
    pthread_create(&threads[t], NULL, threadMain, &work[t]);
  int mismatches = 0, total = 0;
  for (int t = 0; t < numThreads; ++t) {
    pthread_join(threads[t], NULL);
    mismatches += work[t].mismatches;
    total += work[t].calls;
  }
  printf("threads: %d threads, %d concurrent calls, %d results differ from "
         "the call made alone; inputs differ between threads: %s\n",
         numThreads, total, mismatches, distinct ? "yes" : "NO");

  /* Programs compiled concurrently give the same results. */
  struct CompileWork *compiles = calloc(numThreads, sizeof(struct CompileWork));
  for (int t = 0; t < numThreads; ++t) {
    compiles[t].path = path;
    compiles[t].name = name;
    compiles[t].inputs = work[t].inputs;
    compiles[t].expected = work[t].expected;
    pthread_create(&threads[t], NULL, compileMain, &compiles[t]);
  }
  int sameCompiles = 0;
  for (int t = 0; t < numThreads; ++t) {
    pthread_join(threads[t], NULL);
    sameCompiles += compiles[t].same;
  }
  printf("threads: %d programs compiled at once, %d give the same results\n",
         numThreads, sameCompiles);
  int numInputs = scan_runner_num_inputs(entry);
  int numOutputs = scan_runner_num_outputs(entry);
  for (int t = 0; t < numThreads; ++t) {
    release(work[t].inputs, numInputs);
    release(work[t].outputs, numOutputs);
    release(work[t].expected, numOutputs);
  }
  free(work);
  free(compiles);
  free(threads);
  scan_runner_program_destroy(program);
  return mismatches != 0 || !distinct || sameCompiles != numThreads;
}

/* Writes a version 1.0 .npy file. */
static void writeNpy(const char *path, int type, int rank,
                     const int64_t *shape, const void *data) {
  const char *descr = type == SCAN_RUNNER_F32   ? "<f4"
                      : type == SCAN_RUNNER_F64 ? "<f8"
                      : type == SCAN_RUNNER_I32 ? "<i4"
                      : type == SCAN_RUNNER_I64 ? "<i8"
                                                : "|b1";
  char dims[256] = "";
  for (int d = 0; d < rank; ++d)
    snprintf(dims + strlen(dims), sizeof(dims) - strlen(dims), "%lld,%s",
             (long long)shape[d], d + 1 < rank ? " " : "");
  if (rank > 1)
    dims[strlen(dims) - 1] = 0; /* "(a, b)" but "(a,)" */
  char header[512];
  int len = snprintf(header, sizeof(header),
                     "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr, dims);
  int total = 10 + len + 1;
  int pad = (64 - total % 64) % 64;
  memset(header + len, ' ', pad);
  header[len + pad] = '\n';
  uint16_t headerLen = (uint16_t)(len + pad + 1);
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(2);
  }
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fwrite(&headerLen, 2, 1, f);
  fwrite(header, 1, headerLen, f);
  fwrite(data, elementBytes(type), numElements(rank, shape), f);
  fclose(f);
}

static int testNpy(const char *path, const char *name, const char *dir) {
  ScanRunnerProgram program = compileFile(path, "optimized");
  ScanRunnerEntry entry = lookup(program, name);
  int numInputs, numOutputs;
  void **inputs = allocate(entry, 1, &numInputs);
  void **outputs = allocate(entry, 0, &numOutputs);
  fillInputs(entry, inputs, 3);
  call(entry, (const void *const *)inputs, outputs);
  char file[1024];
  for (int i = 0; i < numInputs + numOutputs; ++i) {
    int isInput = i < numInputs, index = isInput ? i : i - numInputs;
    int type, rank;
    const int64_t *shape;
    if (isInput)
      scan_runner_input_type(entry, index, &type, &rank, &shape);
    else
      scan_runner_output_type(entry, index, &type, &rank, &shape);
    snprintf(file, sizeof(file), "%s/%s.%d.npy", dir, isInput ? "in" : "out",
             index);
    writeNpy(file, type, rank, shape, isInput ? inputs[index] : outputs[index]);
  }
  printf("npy: %d inputs, %d outputs written\n", numInputs, numOutputs);
  release(inputs, numInputs);
  release(outputs, numOutputs);
  scan_runner_program_destroy(program);
  return 0;
}

/* Times compile and calls of ENTRY (for the documentation's numbers). */
static int bench(const char *path, const char *name, int calls) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ScanRunnerProgram program = compileFile(path, "optimized");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double compileMs =
      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) * 1e-6;
  ScanRunnerEntry entry = lookup(program, name);
  int numInputs, numOutputs;
  void **inputs = allocate(entry, 1, &numInputs);
  void **outputs = allocate(entry, 0, &numOutputs);
  fillInputs(entry, inputs, 4);
  call(entry, (const void *const *)inputs, outputs);
  /* Each call timed alone: the least is the figure other processes disturb
     least. */
  double leastUs = INFINITY, totalUs = 0;
  for (int c = 0; c < calls; ++c) {
    clock_gettime(CLOCK_MONOTONIC, &t0);
    call(entry, (const void *const *)inputs, outputs);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us =
        (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) * 1e-3;
    totalUs += us;
    if (us < leastUs)
      leastUs = us;
  }
  printf("bench: @%s compile %.1f ms, %d calls, %.2f us per call on "
         "average, %.2f us at least\n",
         name, compileMs, calls, totalUs / calls, leastUs);
  release(inputs, numInputs);
  release(outputs, numOutputs);
  scan_runner_program_destroy(program);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc >= 3 && !strcmp(argv[1], "errors"))
    return testErrors(argv[2]);
  if (argc >= 3 && !strcmp(argv[1], "tied"))
    return testTied(argv[2]);
  if (argc >= 6 && !strcmp(argv[1], "threads"))
    return testThreads(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
  if (argc >= 5 && !strcmp(argv[1], "bench"))
    return bench(argv[2], argv[3], atoi(argv[4]));
  if (argc >= 5 && !strcmp(argv[1], "npy"))
    return testNpy(argv[2], argv[3], argv[4]);
  fprintf(stderr, "usage: %s errors|tied|threads|npy|bench FILE ...\n", argv[0]);
  return 2;
}
