"""scan_mlir.jax: gradients of JAX functions computed by scan-mlir.

``grad`` and ``value_and_grad`` follow ``jax.grad``'s contract and return
host arrays; ``compile`` wraps a function so that JAX itself (``jax.grad``,
``jax.jit``, optax) calls scan-mlir's compiled code for its value and its
gradient; ``to_mlir`` shows the module that scan-mlir compiles.

Every function is traced with ``jax.make_jaxpr``, imported into the scan
dialect (``scan_mlir.jax.importer``), differentiated (and, with
``optimize=True``, optimised by ``scan-optimize``) and JIT-compiled once per
call signature: the tree structure of the positional arguments and the
shape and dtype of every leaf (after JAX's dtype canonicalisation, so the
``jax_enable_x64`` setting is part of it). The compiled programs are kept in
a cache that belongs to the returned function; it is safe to call from
several threads (a signature is compiled once even when threads race for it,
and calls run concurrently, without the GIL).
"""

from __future__ import annotations

import collections
import functools
import threading
from typing import Any, Callable, Sequence

import jax
import numpy as np

from .._runner import Program
from .importer import ImportedModule, UnsupportedError, import_function

__all__ = ["grad", "value_and_grad", "compile", "to_mlir", "CacheInfo", "UnsupportedError"]

CacheInfo = collections.namedtuple("CacheInfo", ["hits", "misses", "currsize"])


def to_mlir(fun: Callable, *example_args, argnums: int | Sequence[int] = 0) -> str:
    """The MLIR module scan-mlir compiles for ``fun`` at the example
    arguments' shapes and dtypes: ``func.func @cost`` (the function) and, for
    a scalar float result, ``func.func @grad`` (its gradient with respect to
    the leaves of the ``argnums`` arguments, a ``scan.grad``). Locations
    (``loc(...)``) name the user's Python lines. Read it, or feed it to
    ``scan-opt`` and ``scan-run``."""
    return import_function(fun, tuple(example_args), _normalize_argnums(argnums, len(example_args))).text


class _Cache:
    """Compiled programs keyed by call signature; each key is built once,
    even when several threads ask for it at the same time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._slots: dict[Any, list] = {}  # key -> [lock, value or None]
        self.hits = 0
        self.misses = 0

    def get(self, key, build: Callable[[], Any]):
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = [threading.Lock(), None]
        if slot[1] is not None:
            with self._lock:
                self.hits += 1
            return slot[1]
        with slot[0]:
            if slot[1] is None:
                value = build()  # an exception leaves the slot empty: the next call retries
                with self._lock:
                    self.misses += 1
                slot[1] = value
            else:
                with self._lock:
                    self.hits += 1
            return slot[1]

    def info(self) -> CacheInfo:
        with self._lock:
            size = sum(1 for slot in self._slots.values() if slot[1] is not None)
            return CacheInfo(self.hits, self.misses, size)

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()
            self.hits = self.misses = 0


def _normalize_argnums(argnums, nargs: int) -> tuple[int, ...]:
    many = isinstance(argnums, (tuple, list))
    nums = tuple(argnums) if many else (argnums,)
    normalized = []
    for n in nums:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= n < nargs:
            raise ValueError(f"argnums {argnums!r} out of range for a call with {nargs} positional arguments")
        normalized.append(int(n) % nargs)
    return tuple(normalized)


def _canonical(leaf):
    """A leaf as an array of the dtype JAX would give it (Python scalars
    weakly typed, float64 to float32 without jax_enable_x64). NumPy arrays of
    a canonical dtype and JAX arrays are returned as they are."""
    if isinstance(leaf, jax.Array):
        return leaf
    array = np.asarray(leaf)
    if isinstance(leaf, (bool, int, float, complex)) and not isinstance(leaf, np.generic):
        dtype = jax.dtypes.canonicalize_dtype(jax.numpy.result_type(leaf))
    else:
        dtype = jax.dtypes.canonicalize_dtype(array.dtype)
    return array if array.dtype == dtype else array.astype(dtype)


def _signature(leaves, treedef) -> tuple:
    return (treedef, tuple((tuple(leaf.shape), np.dtype(leaf.dtype)) for leaf in leaves),
            bool(jax.config.jax_enable_x64))


def _check_inexact(leaves, positions, what: str) -> None:
    for leaf in leaves:
        if not jax.numpy.issubdtype(leaf.dtype, jax.numpy.inexact):
            raise TypeError(f"{what} requires real-valued inputs (a floating-point dtype) for the "
                            f"arguments {positions}, but got {np.dtype(leaf.dtype).name}")


class _Compiled:
    """One signature's imported module, its program and its entries."""

    def __init__(self, fun, args: tuple, argnums: tuple[int, ...], optimize: bool, need_grad: bool,
                 with_value: bool = False, has_aux: bool = False):
        self.module: ImportedModule = import_function(fun, args, argnums if len(argnums) != 1 else argnums[0],
                                                      with_value=with_value, has_aux=has_aux)
        if need_grad and self.module.grad_entry is None:
            shapes = ", ".join(f"{tuple(s)} {np.dtype(d).name}" for s, d in self.module.out_leaves)
            raise TypeError("grad requires a function with one real scalar output, "
                            f"but {_name(fun)} returned {shapes or 'nothing'}")
        self.program = Program(self.module.text, source_name=f"{_name(fun)}.mlir",
                               pipeline="optimized" if optimize else "plain")
        self.cost = self.program.entry(self.module.cost_entry)
        self.grad = self.program.entry(self.module.grad_entry) if self.module.grad_entry else None
        # Where each positional argument's leaves start, and its own tree.
        self.arg_trees = [jax.tree_util.tree_structure(a) for a in args]
        self.arg_offsets = list(np.cumsum([0] + [t.num_leaves for t in self.arg_trees]))
        self.grad_position = {leaf: i for i, leaf in enumerate(self.module.wrt_leaves)}

    def gradient_tree(self, argnum: int, grads: Sequence):
        start = self.arg_offsets[argnum]
        leaves = [grads[self.grad_position[start + k]] for k in range(self.arg_trees[argnum].num_leaves)]
        return jax.tree_util.tree_unflatten(self.arg_trees[argnum], leaves)


def _name(fun) -> str:
    return getattr(fun, "__name__", None) or type(fun).__name__


def _host_leaves(args: tuple):
    leaves, treedef = jax.tree_util.tree_flatten(args)
    leaves = [_canonical(leaf) for leaf in leaves]
    any_jax = any(isinstance(leaf, jax.Array) for leaf in leaves)
    return leaves, treedef, any_jax


def _make_grad(fun, argnums, optimize: bool, with_value: bool, has_aux: bool, what: str):
    cache = _Cache()
    many = isinstance(argnums, (tuple, list))

    @functools.wraps(fun)
    def gradient_function(*args, **kwargs):
        if kwargs:
            raise TypeError(f"scan_mlir.jax.{what}: keyword arguments are not supported; "
                            "pass every argument positionally")
        nums = _normalize_argnums(argnums, len(args))
        leaves, treedef, any_jax = _host_leaves(args)
        key = (_signature(leaves, treedef), nums)

        def build():
            example = jax.tree_util.tree_unflatten(treedef, leaves)
            wrt = [leaf for n in nums for leaf in jax.tree_util.tree_leaves(example[n])]
            _check_inexact(wrt, nums if many else nums[0], what)
            return _Compiled(fun, example, nums, optimize, need_grad=True, with_value=with_value,
                             has_aux=has_aux)

        compiled = cache.get(key, build)
        host = [np.asarray(leaf) for leaf in leaves]
        outputs = compiled.grad(*host)
        convert = jax.numpy.asarray if any_jax else (lambda a: a)
        # @grad returns the gradients; @value_and_grad the value, the aux
        # leaves, then the gradients.
        values = len(compiled.module.out_leaves) if (with_value or has_aux) else 0
        grads = [convert(g) for g in outputs[values:]]
        trees = tuple(compiled.gradient_tree(n, grads) for n in nums)
        result = trees if many else trees[0]
        value = convert(outputs[0]) if values else None
        if has_aux:
            # The aux leaves follow the value in @value_and_grad's results.
            aux = jax.tree_util.tree_unflatten(compiled.module.aux_tree,
                                               [convert(a) for a in outputs[1:values]])
            return ((value, aux), result) if with_value else (result, aux)
        if with_value:
            return value, result
        return result

    gradient_function.cache_info = cache.info
    gradient_function.cache_clear = cache.clear
    return gradient_function


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, *,
         optimize: bool = True) -> Callable:
    """The gradient of ``fun``, computed by scan-mlir: ``jax.grad``'s contract.

    ``fun`` takes positional arguments (NumPy or JAX arrays, Python scalars,
    or pytrees of them) and returns one real scalar. The returned function
    takes the same arguments and returns the gradient with respect to
    argument ``argnums`` (a pytree shaped like it), or a tuple of such
    gradients when ``argnums`` is a tuple. Gradients are NumPy arrays, or JAX
    arrays (on the default device) when any input leaf was a JAX array.

    ``optimize=True`` compiles the gradient with ``scan-optimize``
    (the ``optimized`` pipeline); ``optimize=False`` runs the plain
    differentiated code. Each call signature (tree structure, leaf shapes and
    dtypes) is traced and compiled once and cached in the returned function:
    ``.cache_info()`` gives (hits, misses, currsize), ``.cache_clear()`` drops
    it. With ``has_aux=True``, ``fun`` returns ``(cost, aux)`` and the
    result is ``(gradient, aux)``, as in JAX; the leaves of ``aux`` must be
    floating point. Keyword arguments are not supported.

    Raises ``UnsupportedError`` for a primitive the importer does not
    handle (one line naming it and the user's line), ``TypeError`` for a
    non-scalar output or integer ``argnums`` inputs, and
    ``scan_mlir.ScanMLIRError`` when the module does not compile.
    """
    return _make_grad(fun, argnums, optimize, with_value=False, has_aux=has_aux, what="grad")


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, *,
                   optimize: bool = True) -> Callable:
    """Like ``grad``, but the returned function returns ``(value, gradient)``,
    as ``jax.value_and_grad`` does; the value is a 0-d array.

    Both come from one call of the compiled ``@value_and_grad`` entry, a
    ``scan.vjp`` of the function with cotangent 1: the forward sweep that the
    gradient needs also returns the value, so the forward pass runs once."""
    return _make_grad(fun, argnums, optimize, with_value=True, has_aux=has_aux, what="value_and_grad")


def compile(fun: Callable, *, optimize: bool = True) -> Callable:  # noqa: A001 (mirrors jax.jit's role)
    """``fun`` as a JAX-traceable function whose value and gradient run
    scan-mlir's compiled code.

    The result is a ``jax.custom_vjp`` function: its value alone comes from
    the compiled ``@cost`` entry; differentiated, its value and gradient
    come from one call of the ``@value_and_grad`` entry (the gradient then
    scaled by the incoming cotangent), both called through
    ``jax.pure_callback`` on host arrays. So ``jax.grad``, ``jax.jit``,
    ``jax.value_and_grad`` and optax training loops use it unchanged.

    It is differentiable with respect to every positional argument whose
    leaves are all floating point; other arguments get zero cotangents (and
    a float0 cotangent for integer leaves). Gradients need a scalar output;
    the value may be any array or pytree of arrays. Compiled programs are
    cached per signature as in ``grad`` (``.cache_info()``); under
    ``jax.jit`` the compile happens while JAX traces. ``jax.vmap`` over it
    calls the compiled code once per batch element. Keyword arguments are
    not supported.
    """
    cache = _Cache()

    def compiled_for(args: tuple) -> tuple[_Compiled, list, Any]:
        leaves, treedef = jax.tree_util.tree_flatten(args)
        key = _signature(leaves, treedef)

        def build():
            example_leaves = [np.zeros(leaf.shape, leaf.dtype) for leaf in leaves]
            example = jax.tree_util.tree_unflatten(treedef, example_leaves)
            positions = tuple(i for i, arg in enumerate(example)
                              if all(jax.numpy.issubdtype(leaf.dtype, jax.numpy.inexact)
                                     for leaf in jax.tree_util.tree_leaves(arg)))
            return _Compiled(fun, example, positions, optimize, need_grad=False, with_value=True)

        return cache.get(key, build), leaves, treedef

    def value(args):
        compiled, leaves, _ = compiled_for(args)
        shapes = [jax.ShapeDtypeStruct(t.shape, t.dtype) for t in compiled.cost.outputs]
        flat = jax.pure_callback(lambda *host: compiled.cost(*host), shapes, *leaves,
                                 vmap_method="sequential")
        return jax.tree_util.tree_unflatten(compiled.module.out_tree, flat)

    @jax.custom_vjp
    def function(*args):
        return value(args)

    def forward(*args):
        # One call of @value_and_grad: the value and the gradient of the
        # same forward sweep; the gradient waits as the residual.
        compiled, leaves, _ = compiled_for(args)
        if compiled.grad is None:
            raise TypeError(f"the gradient of scan_mlir.jax.compile({_name(fun)}) needs one real "
                            "scalar output")
        shapes = [jax.ShapeDtypeStruct(t.shape, t.dtype) for t in compiled.grad.outputs]
        outputs = jax.pure_callback(lambda *host: compiled.grad(*host), shapes, *leaves,
                                    vmap_method="sequential")
        value = jax.tree_util.tree_unflatten(compiled.module.out_tree, outputs[:1])
        return value, (args, outputs[1:])

    def backward(residual, cotangent):
        args, grads = residual
        compiled, leaves, treedef = compiled_for(args)
        grads = [g * cotangent.astype(g.dtype) for g in grads]
        wrt = compiled.grad_position
        cotangents = []
        for index, leaf in enumerate(leaves):
            if index in wrt:
                cotangents.append(grads[wrt[index]])
            elif jax.numpy.issubdtype(leaf.dtype, jax.numpy.inexact):
                cotangents.append(jax.numpy.zeros(leaf.shape, leaf.dtype))
            else:
                cotangents.append(np.zeros(leaf.shape, jax.dtypes.float0))
        return tuple(jax.tree_util.tree_unflatten(treedef, cotangents))

    function.defvjp(forward, backward)

    @functools.wraps(fun)
    def traceable(*args, **kwargs):
        if kwargs:
            raise TypeError("scan_mlir.jax.compile: keyword arguments are not supported; "
                            "pass every argument positionally")
        return function(*args)

    traceable.cache_info = cache.info
    traceable.cache_clear = cache.clear
    return traceable
