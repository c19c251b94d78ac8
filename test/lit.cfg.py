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

tool_dirs = [config.scan_tools_dir, config.llvm_tools_dir]
tools = ["scan-opt", "scan-run", "scanrt-gemm-check", "split-file", "mlir-opt", "mlir-runner"]
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

# Libraries for tests that run lowered CPU code with mlir-runner.
llvm_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
config.substitutions.append(
    ("%scan_runtime", os.path.join(config.scan_lib_dir, "libScanRuntime.so")))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(llvm_lib_dir, "libmlir_c_runner_utils.so")))
config.substitutions.append(
    ("%mlir_runner_utils", os.path.join(llvm_lib_dir, "libmlir_runner_utils.so")))
