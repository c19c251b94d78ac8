"""scan-mlir from Python: the runner library's bindings (``Program``,
``Entry``) and, in ``scan_mlir.jax``, a JAX front end.

The runner library is found in ``$SCAN_MLIR_BUILD/lib/libScanRunner.so``
(default: the repository's ``build`` folder) and loaded on first use.
"""

from ._runner import (Entry, InputCopyWarning, LibraryNotFoundError, Program, ScanMLIRError,
                      TensorType, library_path)

__all__ = ["Entry", "InputCopyWarning", "LibraryNotFoundError", "Program", "ScanMLIRError",
           "TensorType", "library_path"]
