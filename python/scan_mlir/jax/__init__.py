"""JAX front end of scan-mlir: ``grad``, ``value_and_grad``, ``compile`` and
``to_mlir`` (see docs/JAX.md)."""

from .api import CacheInfo, UnsupportedError, compile, grad, to_mlir, value_and_grad

__all__ = ["CacheInfo", "UnsupportedError", "compile", "grad", "to_mlir", "value_and_grad"]
