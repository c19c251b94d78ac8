"""ctypes bindings of scan-mlir's runner library (include/scan-c/Runner.h).

The library, ``libScanRunner.so``, is looked up in ``$SCAN_MLIR_BUILD/lib``;
``SCAN_MLIR_BUILD`` defaults to the ``build`` folder of the repository this
package lives in. It is loaded on first use, so importing the package never
needs it.

Arrays cross the boundary without copies: an input that is a C-contiguous
NumPy array (or anything ``numpy.asarray`` views without copying, such as a
JAX array on the CPU) of the entry's element type and shape goes to the
compiled code by pointer. Any other input (another dtype, a strided view, a
Python scalar) is converted once, with ``numpy.ascontiguousarray``, before
the call, and an ``InputCopyWarning`` says so (Python shows a warning once
per place by default); ``Entry.prepare`` reports which inputs were. Outputs are fresh
C-contiguous arrays that the compiled code fills in place, or the arrays
given with ``out=``.

Calls release the GIL (ctypes does so for every foreign call), and the
library allows concurrent calls of one entry, so threads run in parallel.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import pathlib
import threading
import warnings
import weakref
from typing import Sequence

import numpy as np

__all__ = [
    "ScanMLIRError",
    "LibraryNotFoundError",
    "InputCopyWarning",
    "TensorType",
    "Program",
    "Entry",
    "library_path",
]


class ScanMLIRError(Exception):
    """A compile or call of the runner library failed; the message is the
    library's one-line diagnostic ("<file>:<line>:<col>: ..." where known)."""


class LibraryNotFoundError(ScanMLIRError):
    """libScanRunner.so is not where SCAN_MLIR_BUILD says."""


class InputCopyWarning(UserWarning):
    """An input was not a C-contiguous array of the entry's dtype and was
    copied into one for the call."""


# Element type codes of Runner.h (SCAN_RUNNER_F32 ... SCAN_RUNNER_I16).
_DTYPE_OF_CODE = {
    0: np.dtype(np.float32),
    1: np.dtype(np.float64),
    2: np.dtype(np.int32),
    3: np.dtype(np.int64),
    4: np.dtype(np.bool_),  # i1, stored as one byte
    5: np.dtype(np.int8),
    6: np.dtype(np.int16),
}


def _repository_root() -> pathlib.Path:
    # python/scan_mlir/_runner.py -> the repository root.
    return pathlib.Path(__file__).resolve().parents[2]


def library_path() -> pathlib.Path:
    """Where the runner library is expected: $SCAN_MLIR_BUILD/lib/libScanRunner.so."""
    build = os.environ.get("SCAN_MLIR_BUILD") or str(_repository_root() / "build")
    return pathlib.Path(build) / "lib" / "libScanRunner.so"


class _Options(ctypes.Structure):
    _fields_ = [
        ("pipeline", ctypes.c_char_p),
        ("target", ctypes.c_char_p),
        ("opt_level", ctypes.c_int),
        ("allow_any_input", ctypes.c_int),
        ("num_threads", ctypes.c_int),
    ]


_lib = None
_lib_lock = threading.Lock()


def _declare(lib: ctypes.CDLL) -> None:
    vp, cp, i, i64p = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int64)
    errp = ctypes.POINTER(ctypes.c_void_p)
    signatures = {
        "scan_runner_options_init": (None, [ctypes.POINTER(_Options)]),
        "scan_runner_compile": (vp, [cp, ctypes.c_size_t, cp, ctypes.POINTER(_Options), errp]),
        "scan_runner_program_destroy": (None, [vp]),
        "scan_runner_lookup": (vp, [vp, cp, errp]),
        "scan_runner_num_inputs": (i, [vp]),
        "scan_runner_num_outputs": (i, [vp]),
        "scan_runner_input_type": (i, [vp, i, ctypes.POINTER(i), ctypes.POINTER(i), ctypes.POINTER(i64p)]),
        "scan_runner_output_type": (i, [vp, i, ctypes.POINTER(i), ctypes.POINTER(i), ctypes.POINTER(i64p)]),
        "scan_runner_call": (i, [vp, ctypes.POINTER(vp), ctypes.POINTER(vp), errp]),
        "scan_runner_free_string": (None, [vp]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def _library() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        with _lib_lock:
            if _lib is None:
                path = library_path()
                if not path.is_file():
                    raise LibraryNotFoundError(
                        f"scan-mlir runner library not found at {path}: build it "
                        "(cmake --build build) or set SCAN_MLIR_BUILD to the build folder")
                try:
                    lib = ctypes.CDLL(str(path))
                    _declare(lib)
                except (OSError, AttributeError) as error:
                    raise LibraryNotFoundError(f"cannot load {path}: {error}") from None
                _lib = lib
    return _lib


def _take_error(lib: ctypes.CDLL, error: ctypes.c_void_p, fallback: str) -> str:
    """The library's malloc'ed message as a str, freed."""
    if not error.value:
        return fallback
    try:
        return ctypes.string_at(error.value).decode("utf-8", "replace").strip()
    finally:
        lib.scan_runner_free_string(error)


@dataclasses.dataclass(frozen=True)
class TensorType:
    """One argument or result of an entry: a shape (() for a scalar) and a NumPy dtype."""

    shape: tuple
    dtype: np.dtype

    def __str__(self) -> str:
        dims = "x".join(str(d) for d in self.shape)
        return f"{dims}x{self.dtype.name}" if dims else self.dtype.name


class Program:
    """A compiled MLIR module (immutable; shared by every thread).

    ``Program(source, pipeline="optimized")`` parses, verifies, differentiates,
    transforms, lowers and JIT-compiles ``source``; a failure raises
    ``ScanMLIRError`` with the library's one-line message. The compiled code
    is freed when the program and every entry taken from it are gone.
    """

    def __init__(self, source: str, *, source_name: str = "<module>",
                 pipeline: str | None = "optimized", target: str | None = None,
                 opt_level: int = -1, allow_any_input: bool = False,
                 num_threads: int = 0):
        lib = _library()
        options = _Options()
        lib.scan_runner_options_init(ctypes.byref(options))
        # The encoded strings must outlive the compile call.
        self._pipeline = pipeline.encode() if pipeline is not None else None
        self._target = target.encode() if target is not None else None
        if pipeline is not None:
            options.pipeline = self._pipeline
        if target is not None:
            options.target = self._target
        if opt_level >= 0:
            options.opt_level = opt_level
        options.allow_any_input = int(bool(allow_any_input))
        if num_threads:
            options.num_threads = num_threads
        data = source.encode()
        error = ctypes.c_void_p()
        handle = lib.scan_runner_compile(data, len(data), source_name.encode(),
                                         ctypes.byref(options), ctypes.byref(error))
        if not handle:
            raise ScanMLIRError(_take_error(lib, error, "scan_runner_compile failed"))
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.scan_runner_program_destroy, handle)
        self._entries: dict[str, Entry] = {}
        self._entries_lock = threading.Lock()

    def entry(self, function: str) -> "Entry":
        """The entry for ``func.func @function`` (looked up once, then reused)."""
        with self._entries_lock:
            found = self._entries.get(function)
            if found is None:
                found = Entry(self, function)
                self._entries[function] = found
            return found

    def close(self) -> None:
        """Frees the compiled code now (entries of it must not be called after)."""
        self._entries.clear()
        self._finalizer()


class Entry:
    """One callable function of a ``Program``, with its signature.

    ``inputs`` and ``outputs`` are lists of ``TensorType``. Calling it with
    one array per input returns a tuple of NumPy arrays, one per output.
    """

    def __init__(self, program: Program, function: str):
        lib = _library()
        error = ctypes.c_void_p()
        handle = lib.scan_runner_lookup(program._handle, function.encode(), ctypes.byref(error))
        if not handle:
            raise ScanMLIRError(_take_error(lib, error, f"no entry @{function}"))
        self.program = program  # keeps the compiled code alive
        self.name = function
        self._handle = handle
        self.inputs = [self._type(lib.scan_runner_input_type, i)
                       for i in range(lib.scan_runner_num_inputs(handle))]
        self.outputs = [self._type(lib.scan_runner_output_type, i)
                        for i in range(lib.scan_runner_num_outputs(handle))]

    def _type(self, query, index: int) -> TensorType:
        code, rank = ctypes.c_int(), ctypes.c_int()
        shape = ctypes.POINTER(ctypes.c_int64)()
        if query(self._handle, index, ctypes.byref(code), ctypes.byref(rank), ctypes.byref(shape)) != 0:
            raise ScanMLIRError(f"@{self.name}: cannot read the type of operand {index}")
        if code.value not in _DTYPE_OF_CODE:
            raise ScanMLIRError(f"@{self.name}: operand {index} has an element type "
                                f"(code {code.value}) these bindings do not know")
        return TensorType(tuple(int(shape[d]) for d in range(rank.value)), _DTYPE_OF_CODE[code.value])

    def __repr__(self) -> str:
        ins = ", ".join(map(str, self.inputs))
        outs = ", ".join(map(str, self.outputs))
        return f"<scan_mlir Entry @{self.name}({ins}) -> ({outs})>"

    def prepare(self, args: Sequence) -> tuple[list[np.ndarray], list[int]]:
        """The arrays that a call passes, and the indices of the inputs that
        had to be converted (copied) to get a C-contiguous array of the
        entry's dtype. Raises ValueError on a count or shape mismatch."""
        if len(args) != len(self.inputs):
            raise ValueError(f"@{self.name} takes {len(self.inputs)} inputs, got {len(args)}")
        arrays, converted = [], []
        for index, (arg, want) in enumerate(zip(args, self.inputs)):
            array = np.asarray(arg)
            if array.dtype != want.dtype or not array.flags.c_contiguous:
                array = np.ascontiguousarray(array, dtype=want.dtype)
                converted.append(index)
            if array.shape != want.shape:
                raise ValueError(f"@{self.name}: input {index} has shape {array.shape}, "
                                 f"the entry takes {want}")
            arrays.append(array)
        return arrays, converted

    def __call__(self, *args, out: Sequence[np.ndarray] | None = None) -> tuple[np.ndarray, ...]:
        arrays, converted = self.prepare(args)
        if converted:
            details = ", ".join(f"{i} ({np.asarray(args[i]).dtype.name} -> {self.inputs[i]})"
                                for i in converted)
            warnings.warn(f"@{self.name}: inputs {details} copied into C-contiguous arrays of the "
                          "entry's dtype for the call", InputCopyWarning, stacklevel=2)
        if out is None:
            results = tuple(np.empty(t.shape, t.dtype) for t in self.outputs)
        else:
            results = tuple(out)
            if len(results) != len(self.outputs):
                raise ValueError(f"@{self.name} has {len(self.outputs)} outputs, got {len(results)} buffers")
            for index, (buffer, want) in enumerate(zip(results, self.outputs)):
                if (not isinstance(buffer, np.ndarray) or buffer.dtype != want.dtype
                        or buffer.shape != want.shape or not buffer.flags.c_contiguous
                        or not buffer.flags.writeable):
                    raise ValueError(f"@{self.name}: out[{index}] must be a writeable "
                                     f"C-contiguous {want} array")
        self._call(arrays, results)
        return results

    def _call(self, arrays: Sequence[np.ndarray], results: Sequence[np.ndarray]) -> None:
        lib = _library()
        inputs = (ctypes.c_void_p * max(len(arrays), 1))(*[a.ctypes.data for a in arrays])
        outputs = (ctypes.c_void_p * max(len(results), 1))(*[r.ctypes.data for r in results])
        error = ctypes.c_void_p()
        # `arrays` and `results` stay referenced here until the call returns.
        if lib.scan_runner_call(self._handle, inputs, outputs, ctypes.byref(error)) != 0:
            raise ScanMLIRError(_take_error(lib, error, f"calling @{self.name} failed"))
