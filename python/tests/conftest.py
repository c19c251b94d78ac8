"""Shared set-up of the JAX front end's tests.

- jax_enable_x64 is on (the model tests compare against jax.grad in f64;
  f32 tests make f32 arrays explicitly);
- SCAN_MLIR_BUILD defaults to the repository's build folder, which must
  hold lib/libScanRunner.so (scripts/test.sh sets it to its build folder);
- `record_error(model, variant, value)` collects the largest relative error
  of each model against jax.grad, printed as a table at the end of the run.
"""

import os
import pathlib
import sys

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)

_ROOT = pathlib.Path(__file__).resolve().parents[2]
os.environ.setdefault("SCAN_MLIR_BUILD", str(_ROOT / "build"))
if str(_ROOT / "python") not in sys.path:
    sys.path.insert(0, str(_ROOT / "python"))

_errors: dict[str, dict[str, float]] = {}


def max_relative_error(actual, expected) -> float:
    """The largest, over the leaves of two pytrees of the same structure,
    of max|actual - expected| / max|expected| (normwise, so tiny entries do
    not dominate)."""
    actual_leaves, actual_tree = jax.tree_util.tree_flatten(actual)
    expected_leaves, expected_tree = jax.tree_util.tree_flatten(expected)
    assert actual_tree == expected_tree, f"tree {actual_tree} != {expected_tree}"
    worst = 0.0
    for a, e in zip(actual_leaves, expected_leaves):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
        assert a.dtype == e.dtype, f"dtype {a.dtype} != {e.dtype}"
        scale = float(np.max(np.abs(e))) if e.size else 0.0
        difference = float(np.max(np.abs(a - e))) if e.size else 0.0
        worst = max(worst, difference / scale if scale else difference)
    return worst


@pytest.fixture
def record_error():
    def record(model: str, variant: str, value: float) -> None:
        _errors.setdefault(model, {})[variant] = value
    return record


def pytest_terminal_summary(terminalreporter):
    if not _errors:
        return
    variants = sorted({v for row in _errors.values() for v in row})
    terminalreporter.section("max relative error against jax.grad (f64)")
    terminalreporter.write_line(f"{'model':<28}" + "".join(f"{v:>14}" for v in variants))
    for model in sorted(_errors):
        cells = "".join(f"{_errors[model][v]:>14.2e}" if v in _errors[model] else f"{'-':>14}"
                        for v in variants)
        terminalreporter.write_line(f"{model:<28}{cells}")
