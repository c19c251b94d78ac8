# lit configuration for the scan-mlir regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "SCAN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.scan_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%scan_src_root", config.scan_src_root))
config.substitutions.append(("%scan_obj_root", config.scan_obj_root))
config.substitutions.append(("%examples", os.path.join(config.scan_src_root,
                                                       "examples")))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# scripts/sanitize.sh runs the suite a second time with the runtime's buffer
# cache on (it is off by default in a sanitizer build).
llvm_config.with_system_environment(["SCANRT_BUFFER_CACHE"])

tool_dirs = [config.scan_tools_dir, config.llvm_tools_dir]
our_tools = ["scan-opt", "scan-run", "scanrt-gemm-check",
             "scan-runner-capi-test"]
tools = ["split-file", "mlir-opt", "mlir-runner"]
if config.scan_sanitizers:
    # An instrumented build: the `asan` feature, and LeakSanitizer in the
    # processes that are ours. Host programs that load our libraries
    # (python3, mlir-runner) have ASan preloaded with leak checks off, since
    # their own allocations are not ours to judge.
    config.available_features.add("asan")
    asan_options = config.environment.get("ASAN_OPTIONS", "")
    lsan_options = "use_tls=0:print_suppressions=0:suppressions=" + \
        os.path.join(config.test_source_root, "lsan.supp")
    tools += [ToolSubst(t, command="env ASAN_OPTIONS=%s%sdetect_leaks=1 "
                                   "LSAN_OPTIONS=%s %s" % (
                  asan_options, ":" if asan_options else "", lsan_options,
                  os.path.join(config.scan_tools_dir, t)))
              for t in our_tools]
else:
    tools += our_tools
llvm_config.add_tool_substitutions(tools, tool_dirs)

# GPU hardware is never detected: CUDA integration tests run only when asked
# for with `--param cuda=1`.
if lit_config.params.get("cuda", "0") not in ("0", "", "false", "False"):
    config.available_features.add("cuda")

# CUDA without a GPU: PTX checks need ptxas, runtime checks need the CUDA
# runtime library. Both features are what the build configured (the CUDA
# toolkit found by CMake), not what is found on disk now: a runtime that the
# build should have made but did not fails its tests instead of skipping them.
# No feature of this suite is probed by running a tool or looking for a file.
if config.scan_ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.scan_ptxas))
    config.substitutions.append(
        ("%cuda_toolkit", os.path.dirname(os.path.dirname(config.scan_ptxas))))
if config.scan_cuda_runtime:
    config.available_features.add("cuda-runtime")
    config.substitutions.append(
        ("%cuda_runtime_lib",
         os.path.join(config.scan_lib_dir, "libScanCUDARuntime.so")))
# Built with the CUDA runtime; a test that needs it fails if it is missing.
config.substitutions.append(
    ("%fake_cuda_lib", os.path.join(config.scan_lib_dir, "libScanFakeCUDA.so")))

# Libraries for tests that run lowered CPU code with mlir-runner.
llvm_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
config.substitutions.append(
    ("%scan_runtime", os.path.join(config.scan_lib_dir, "libScanRuntime.so")))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(llvm_lib_dir, "libmlir_c_runner_utils.so")))
config.substitutions.append(
    ("%mlir_runner_utils", os.path.join(llvm_lib_dir, "libmlir_runner_utils.so")))
