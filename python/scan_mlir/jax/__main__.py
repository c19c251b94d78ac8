"""Exports a JAX function as a scan-dialect module.

    python -m scan_mlir.jax FILE.py:FUNCTION --like INPUTS.npz
        [--wrt NAME,... | --argnums 0,1] -o OUT.mlir

The arrays of INPUTS.npz are the example arguments: by the function's
parameter names when the archive has one array per name, otherwise in the
archive's order. The module holds @cost and, for a scalar float result,
@grad over the chosen arguments (default: the first). Errors are one line on
stderr with a non-zero exit, and OUT.mlir is then left untouched.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import pathlib
import sys
import tempfile

import numpy as np


class _UsageError(Exception):
    pass


def _load_function(spec: str):
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise _UsageError(f"expected FILE.py:FUNCTION, got '{spec}'")
    file = pathlib.Path(path)
    if not file.is_file():
        raise _UsageError(f"no such file: {path}")
    module_spec = importlib.util.spec_from_file_location(
        f"_scan_mlir_export_{file.stem}", file)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(file.resolve().parent))
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    target = module
    for part in name.split("."):
        if not hasattr(target, part):
            raise _UsageError(f"{path} has no function '{name}'")
        target = getattr(target, part)
    if not callable(target):
        raise _UsageError(f"'{name}' in {path} is not callable")
    return target


def _parameter_names(fun) -> list[str]:
    try:
        return [p.name for p in inspect.signature(fun).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _example_arguments(fun, npz_path: str) -> tuple[list, list[str]]:
    if not pathlib.Path(npz_path).is_file():
        raise _UsageError(f"no such file: {npz_path}")
    with np.load(npz_path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    names = _parameter_names(fun)
    if names and set(names[:len(arrays)]) == set(arrays) and len(arrays) <= len(names):
        ordered = names[:len(arrays)]
    else:
        ordered = list(arrays)
    return [arrays[n] for n in ordered], (names[:len(ordered)] if names else ordered)


def _argnums(args, names: list[str], count: int) -> tuple[int, ...]:
    if args.wrt:
        result = []
        for name in args.wrt.split(","):
            if name not in names:
                raise _UsageError(f"--wrt: no parameter named '{name}' "
                                  f"(parameters: {', '.join(names)})")
            result.append(names.index(name))
        return tuple(result)
    if args.argnums:
        try:
            result = tuple(int(a) for a in args.argnums.split(","))
        except ValueError:
            raise _UsageError(f"--argnums: expected integers, got '{args.argnums}'")
        for a in result:
            if not 0 <= a < count:
                raise _UsageError(f"--argnums: {a} is out of range for {count} arguments")
        return result
    return (0,)


def _write_atomically(path: str, text: str):
    """Writes through a temporary file in the same folder, so a failure
    never leaves a partial file."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".scan-mlir-", suffix=".mlir")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scan_mlir.jax",
        description="Export a JAX function as a scan-dialect module.")
    parser.add_argument("function", metavar="FILE.py:FUNCTION")
    parser.add_argument("--like", required=True, metavar="INPUTS.npz",
                        help="example arguments, by parameter name or in order")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--wrt", metavar="NAME,...",
                        help="parameters to differentiate, by name")
    choice.add_argument("--argnums", metavar="I,...",
                        help="parameters to differentiate, by position (default 0)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.mlir",
                        help="output file ('-' for stdout)")
    args = parser.parse_args(argv)

    try:
        fun = _load_function(args.function)
        example, names = _example_arguments(fun, args.like)
        if any(a.dtype in (np.float64, np.int64) for a in example):
            import jax
            jax.config.update("jax_enable_x64", True)
        from .importer import UnsupportedError, import_function
        argnums = _argnums(args, names, len(example))
        try:
            module = import_function(fun, tuple(example), argnums)
        except UnsupportedError as error:
            raise _UsageError(str(error))
    except _UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(module.text)
    else:
        _write_atomically(args.output, module.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
