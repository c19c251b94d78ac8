"""Translates a `jax.make_jaxpr` trace into a module of the scan dialect.

The module holds `func.func @cost`, the traced function over the leaves of its
arguments, and, when the function returns one float scalar, `func.func @grad`
asking `scan.grad @cost(...)` for the gradients of the chosen leaves. Every
value is a ranked tensor (scalars are rank-0 tensors), so elementwise ops
apply to all of them alike; a scalar cost is returned through
`tensor.extract`, as in examples/*.mlir. Every op carries the location of the
user's Python line that produced it.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any

import numpy as np

import jax
import jax.extend.core as jax_core
# jax.extend.source_info_util (jax 0.10.2) has no user_frame, and dce_jaxpr
# has no public name: both come from jax._src, pinned by python/requirements.txt.
from jax._src import source_info_util
from jax._src.interpreters import partial_eval as pe


class UnsupportedError(Exception):
    """A primitive (or a use of one) the importer cannot translate; the
    message is one line naming it and the user's file:line."""


@dataclasses.dataclass
class ImportedModule:
    text: str
    cost_entry: str
    grad_entry: str | None
    in_tree: Any
    in_leaves: list
    wrt_leaves: list
    out_leaves: list
    # The tree of `fun`'s output, and with has_aux that of its aux part.
    out_tree: Any = None
    aux_tree: Any = None


# MLIR ops that `scan-differentiate` has a reverse rule for (the rule table
# of lib/Transforms/Differentiation/, listed in docs/Differentiation.md); a
# `linalg.reduce` is named with its combining op, since only some have a
# rule. A gradient through any other op with a float result is refused
# before a module is returned.
DIFFERENTIABLE_OPS = frozenset({
    "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.negf",
    "arith.constant", "arith.select", "arith.maximumf", "arith.maxnumf",
    "arith.minimumf", "arith.minnumf", "arith.extf", "arith.truncf",
    "arith.sitofp", "arith.uitofp",
    "math.tanh", "math.exp", "math.log", "math.sqrt", "math.rsqrt", "math.powf",
    "math.absf", "math.log1p", "math.expm1", "math.log2", "math.log10",
    "math.sin", "math.cos",
    "tensor.empty", "linalg.fill", "tensor.extract", "tensor.extract_slice",
    "tensor.insert_slice", "tensor.concat", "linalg.transpose",
    "linalg.broadcast", "linalg.reduce with arith.addf",
    "linalg.reduce with arith.mulf", "linalg.reduce with arith.maximumf",
    "linalg.reduce with arith.maxnumf", "linalg.reduce with arith.minimumf",
    "linalg.reduce with arith.minnumf", "linalg.matmul", "scan.scan",
    "scan.stop_gradient",
})

_ELEMENT_TYPES = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.bool_): "i1",
}


def _element_type(dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype not in _ELEMENT_TYPES:
        raise UnsupportedError(f"element type {dtype} is not supported "
                               "(f32, f64, i32, i64 and bool are)")
    return _ELEMENT_TYPES[dtype]


def _is_float(dtype) -> bool:
    return np.issubdtype(np.dtype(dtype), np.floating)


def _tensor_type(shape, dtype) -> str:
    dims = "".join(f"{d}x" for d in shape)
    return f"tensor<{dims}{_element_type(dtype)}>"


def _scalar_literal(value, dtype) -> str:
    """One element in MLIR's syntax (floats always with a '.' or in hex)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "true" if bool(value) else "false"
    if np.issubdtype(dtype, np.integer):
        return str(int(value))
    value = dtype.type(value)
    if not np.isfinite(value):
        bits = value.view(np.uint32 if dtype == np.float32 else np.uint64)
        width = 8 if dtype == np.float32 else 16
        return f"0x{int(bits):0{width}X}"
    # The shortest text that reads back as the same value, with the '.'
    # MLIR's float literals need.
    text = str(value) if dtype == np.float32 else repr(float(value))
    if "." not in text:
        mantissa, _, exponent = text.partition("e")
        text = mantissa + ".0" + ("e" + exponent if exponent else "")
    return text


def _dense(array: np.ndarray) -> str:
    """The `dense<...>` attribute of an array: a splat when all elements are
    equal, nested lists when small, hex otherwise."""
    array = np.asarray(array)
    flat = array.reshape(-1)
    if flat.size == 0:
        raise UnsupportedError("empty arrays are not supported")
    if np.all(flat == flat[0]) or (flat.size > 0 and _all_nan(flat)):
        return f"dense<{_scalar_literal(flat[0], array.dtype)}>"
    if flat.size <= 64 or array.dtype == np.bool_:  # MLIR packs i1 in hex as bits
        def nest(a):
            if a.ndim == 0:
                return _scalar_literal(a, array.dtype)
            return "[" + ", ".join(nest(s) for s in a) + "]"
        return f"dense<{nest(array)}>"
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"))
    return f'dense<"0x{data.tobytes().hex().upper()}">'


def _all_nan(flat) -> bool:
    return _is_float(flat.dtype) and bool(np.all(np.isnan(flat)))


@dataclasses.dataclass
class _Value:
    """An SSA value of the module being written."""
    name: str
    shape: tuple
    dtype: Any

    @property
    def type(self) -> str:
        return _tensor_type(self.shape, self.dtype)


@dataclasses.dataclass
class _Constant:
    """A literal or a captured array, written where it is used."""
    array: np.ndarray

    @property
    def shape(self):
        return self.array.shape

    @property
    def dtype(self):
        return self.array.dtype


def _user_location(source_info):
    """(file, line, column) of the user's frame of an equation, or None."""
    if source_info is None:
        return None
    frame = source_info_util.user_frame(source_info.traceback)
    if frame is None:
        return None
    return frame.file_name, frame.start_line, frame.start_column + 1


def _describe(location) -> str:
    if location is None:
        return "<unknown location>"
    return f"{location[0]}:{location[1]}"


class _Function:
    """The text of one func.func being written: a block of hoisted
    constants, then the body, whose current indentation follows regions."""

    def __init__(self, module: "_ModuleWriter"):
        self.module = module
        self.constants: list[str] = []
        self.constant_cache: dict = {}
        self.body: list[str] = []
        self.depth = 1
        self.names: dict[str, int] = {}
        # Values that are another value with unit dimensions added
        # (name -> (source, added dimensions)), and 2-D transposes
        # (name -> source): later ops read through them.
        self.unit_expansions: dict[str, tuple] = {}
        self.transposes: dict[str, "_Value"] = {}

    def fresh(self, hint: str) -> str:
        hint = re.sub(r"[^A-Za-z0-9_]", "_", hint) or "v"
        if hint[0].isdigit():
            hint = "v" + hint
        count = self.names.get(hint, 0)
        self.names[hint] = count + 1
        return f"%{hint}" if count == 0 else f"%{hint}_{count}"

    def line(self, text: str):
        self.body.append("  " * self.depth + text)


class _ModuleWriter:
    def __init__(self):
        self.locations: dict = {}

    def loc(self, location) -> str:
        if location is None:
            return "loc(unknown)"
        if location not in self.locations:
            self.locations[location] = f"#loc{len(self.locations) + 1}"
        return f"loc({self.locations[location]})"

    def location_table(self) -> list[str]:
        lines = []
        for (file, line, column), alias in self.locations.items():
            escaped = file.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{alias} = loc("{escaped}":{line}:{column})')
        return lines


_CALL_PRIMITIVES = {
    "pjit": "jaxpr", "jit": "jaxpr", "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr", "custom_jvp_call": "call_jaxpr",
    "custom_vjp_call": "call_jaxpr", "custom_vjp_call_jaxpr": "fun_jaxpr",
    "checkpoint": "jaxpr", "remat": "jaxpr", "remat2": "jaxpr",
}


def _open_jaxpr(jaxpr):
    """(Jaxpr, consts) of a Jaxpr or ClosedJaxpr."""
    if isinstance(jaxpr, jax_core.ClosedJaxpr):
        return jaxpr.jaxpr, list(jaxpr.consts)
    return jaxpr, []


def _active_outputs(jaxpr, active_inputs: list[bool]) -> list[bool]:
    """Which outputs of a jaxpr depend on an active (differentiated) input,
    following scans to their carries' fixed point."""
    active = {v for v, a in zip(jaxpr.invars, active_inputs) if a}
    for eqn in jaxpr.eqns:
        ins = [isinstance(v, jax_core.Var) and v in active for v in eqn.invars]
        outs = _equation_activity(eqn, ins)
        active.update(v for v, a in zip(eqn.outvars, outs) if a)
    return [isinstance(v, jax_core.Var) and v in active for v in jaxpr.outvars]


def _scan_activity(params, ins: list[bool]) -> tuple[list[bool], list[bool]]:
    """The activity of a scan body's inputs and outputs: a carry is active
    when its initial value or the value the body yields for it is."""
    body, _ = _open_jaxpr(params["jaxpr"])
    carries = slice(params["num_consts"], params["num_consts"] + params["num_carry"])
    state = list(ins)
    while True:
        outs = _active_outputs(body, state)
        updated = [a or o for a, o in zip(state[carries], outs[:params["num_carry"]])]
        if updated == state[carries]:
            return state, outs
        state[carries] = updated


def _equation_activity(eqn, ins: list[bool]) -> list[bool]:
    name = eqn.primitive.name
    if name == "stop_gradient":
        return [False] * len(eqn.outvars)
    if name == "scan":
        _, outs = _scan_activity(eqn.params, ins)
        return [o and _is_float(v.aval.dtype) for o, v in zip(outs, eqn.outvars)]
    any_in = any(ins)
    return [any_in and _is_float(v.aval.dtype) for v in eqn.outvars]


class _Translator:
    """Writes the equations of a jaxpr into a _Function."""

    def __init__(self, fn: _Function, check_gradient: bool):
        self.fn = fn
        self.check_gradient = check_gradient
        self.location = None
        self.primitive = None
        self.active = False

    # ----- values -------------------------------------------------------

    def read(self, env, atom):
        if isinstance(atom, jax_core.Literal):
            return _Constant(np.asarray(atom.val, dtype=atom.aval.dtype))
        return env[atom]

    def constant(self, array: np.ndarray, hint="cst") -> _Value:
        """A hoisted `arith.constant` at the top of the function."""
        array = np.asarray(array)
        key = (array.shape, array.dtype.str, array.tobytes())
        cached = self.fn.constant_cache.get(key)
        if cached is not None:
            return cached
        value = _Value(self.fn.fresh(hint), array.shape, array.dtype)
        self.fn.constants.append(
            f"  {value.name} = arith.constant {_dense(array)} : {value.type} "
            f"{self.fn.module.loc(self.location)}")
        self.fn.constant_cache[key] = value
        return value

    def splat(self, scalar, shape, dtype) -> _Value:
        return self.constant(np.full(shape, scalar, dtype=dtype),
                             "zero" if scalar == 0 else "cst")

    def materialize(self, value, shape=None, dtype=None) -> _Value:
        """An SSA value for `value`; a constant of a different shape is
        written as a splat or broadcast of that shape."""
        if isinstance(value, _Value):
            return value
        array = value.array
        if dtype is not None:
            array = array.astype(dtype)
        if shape is not None and array.shape != tuple(shape):
            # jaxprs' implicit broadcasting aligns trailing dimensions, as NumPy's.
            array = np.broadcast_to(array, tuple(shape))
        return self.constant(array)

    def op(self, mlir_op: str, text: str, hint: str, shape, dtype) -> _Value:
        """Writes `%name = <text> loc(...)`; `text` starts with the op name."""
        if _is_float(dtype):  # no gradient flows through other results
            self.note_op(mlir_op)
        value = _Value(self.fn.fresh(hint), tuple(shape), np.dtype(dtype))
        self.fn.line(f"{value.name} = {text} {self.fn.module.loc(self.location)}")
        return value

    def note_op(self, mlir_op: str):
        if (self.check_gradient and self.active
                and mlir_op not in DIFFERENTIABLE_OPS):
            raise UnsupportedError(
                f"cannot take the gradient through primitive '{self.primitive}' "
                f"at {_describe(self.location)}: scan-differentiate has no "
                f"reverse rule for {mlir_op}")

    def empty(self, shape, dtype) -> _Value:
        return self.op("tensor.empty",
                       f"tensor.empty() : {_tensor_type(shape, dtype)}",
                       "empty", shape, dtype)

    # ----- shapes -------------------------------------------------------

    def drop_unit_dims(self, value: _Value, dims) -> _Value:
        """Removes size-1 dimensions `dims` with a rank-reducing slice."""
        if not dims:
            return value
        expansion = self.fn.unit_expansions.get(value.name)
        if expansion is not None and sorted(expansion[1]) == sorted(dims):
            return expansion[0]
        shape = [d for i, d in enumerate(value.shape) if i not in dims]
        zeros = ", ".join("0" for _ in value.shape)
        sizes = ", ".join(str(d) for d in value.shape)
        ones = ", ".join("1" for _ in value.shape)
        return self.op(
            "tensor.extract_slice",
            f"tensor.extract_slice {value.name}[{zeros}] [{sizes}] [{ones}] : "
            f"{value.type} to {_tensor_type(shape, value.dtype)}",
            "squeezed", shape, value.dtype)

    def add_dims(self, value: _Value, shape, dims) -> _Value:
        """linalg.broadcast of `value` into `shape`, `dims` being the new ones."""
        if not dims:
            return value
        init = self.empty(shape, value.dtype)
        result = self.op(
            "linalg.broadcast",
            f"linalg.broadcast ins({value.name} : {value.type}) "
            f"outs({init.name} : {init.type}) dimensions = {_ints(dims)}",
            "bcast", shape, value.dtype)
        if all(shape[d] == 1 for d in dims):
            self.fn.unit_expansions[result.name] = (value, list(dims))
        return result

    def broadcast(self, value, shape, broadcast_dimensions) -> _Value:
        """broadcast_in_dim: operand dimension i goes to result dimension
        broadcast_dimensions[i]; size-1 operand dimensions stretch."""
        shape = tuple(shape)
        if isinstance(value, _Constant):
            return _Constant(_broadcast_array(value.array, shape, broadcast_dimensions))
        stretched = [i for i, d in enumerate(broadcast_dimensions)
                     if value.shape[i] != shape[d]]
        value = self.drop_unit_dims(value, stretched)
        kept = {d for i, d in enumerate(broadcast_dimensions) if i not in stretched}
        return self.add_dims(value, shape, [d for d in range(len(shape)) if d not in kept])

    def implicit_broadcast(self, value, shape, dtype=None) -> _Value:
        """The operand of an elementwise op at the op's shape (jaxprs let
        rank-0 and size-1 operands stand for the full shape)."""
        if isinstance(value, _Constant):
            return self.materialize(value, shape, dtype)
        if tuple(value.shape) == tuple(shape):
            return value
        rank = len(value.shape)
        dims = list(range(len(shape) - rank, len(shape)))
        return self.broadcast(value, shape, dims)

    def reshape(self, value: _Value, shape) -> _Value:
        shape = tuple(shape)
        if isinstance(value, _Constant):
            return _Constant(value.array.reshape(shape))
        if value.shape == shape:
            return value
        squeezed = [d for d in value.shape if d != 1]
        if squeezed == [d for d in shape if d != 1]:
            # Only unit dimensions change: a slice and a broadcast, both
            # differentiable.
            value = self.drop_unit_dims(
                value, [i for i, d in enumerate(value.shape) if d == 1])
            return self.add_dims(value, shape,
                                 [i for i, d in enumerate(shape) if d == 1])
        groups = _reassociation(value.shape, shape)
        if groups is not None:
            collapse = len(shape) < len(value.shape)
            op = "tensor.collapse_shape" if collapse else "tensor.expand_shape"
            assoc = "[" + ", ".join("[" + ", ".join(map(str, g)) + "]"
                                    for g in groups) + "]"
            out = _tensor_type(shape, value.dtype)
            if collapse:
                text = f"{op} {value.name} {assoc} : {value.type} into {out}"
            else:
                sizes = ", ".join(map(str, shape))
                text = (f"{op} {value.name} {assoc} output_shape [{sizes}] : "
                        f"{value.type} into {out}")
            return self.op(op, text, "reshaped", shape, value.dtype)
        flat = self.reshape(value, (int(np.prod(value.shape)),))
        return self.reshape(flat, shape)

    # ----- equations ----------------------------------------------------

    def run(self, jaxpr, env, active_vars: set):
        """Translates the equations of `jaxpr` with `env` binding its inputs."""
        for eqn in jaxpr.eqns:
            outer = self.location
            location = _user_location(eqn.source_info) or outer
            ins = [isinstance(v, jax_core.Var) and v in active_vars for v in eqn.invars]
            outs_active = _equation_activity(eqn, ins)
            saved = (self.location, self.primitive, self.active)
            self.location, self.primitive = location, eqn.primitive.name
            self.active = any(ins) and any(outs_active)
            args = [self.read(env, v) for v in eqn.invars]
            results = _fold_constants(eqn, args)
            if results is None:
                rule = _RULES.get(eqn.primitive.name)
                if rule is None and eqn.primitive.name in _CALL_PRIMITIVES:
                    rule = _translate_call
                if rule is None:
                    raise UnsupportedError(
                        f"unsupported primitive '{eqn.primitive.name}' at "
                        f"{_describe(location)}")
                results = rule(self, eqn, args, ins)
            for var, value in zip(eqn.outvars, results):
                if isinstance(var, jax_core.DropVar):
                    continue
                env[var] = value
                if isinstance(value, _Value):
                    value.shape = tuple(var.aval.shape)
            active_vars.update(v for v, a in zip(eqn.outvars, outs_active) if a)
            self.location, self.primitive, self.active = saved

    def inline(self, jaxpr, args, ins):
        """Translates a called jaxpr in place; returns its outputs."""
        inner, consts = _open_jaxpr(jaxpr)
        env = {}
        for var, const in zip(inner.constvars, consts):
            env[var] = _Constant(np.asarray(const))
        for var, arg in zip(inner.invars, args):
            env[var] = arg
        active = {v for v, a in zip(inner.invars, ins) if a}
        self.run(inner, env, active)
        return [self.read(env, v) for v in inner.outvars]


_PURE_ONE_LINE = re.compile(
    r"^\s*(%[A-Za-z_][\w]*) = (arith|math|tensor|linalg\.(broadcast|transpose|matmul|fill)"
    r"|scan\.stop_gradient)")
_NAME = re.compile(r"%[A-Za-z_][\w]*")


def _remove_unused(lines: list[str]) -> list[str]:
    """Drops one-line ops whose results nothing reads (the leftovers of
    broadcasts and transposes that later ops read through), to a fixed point."""
    while True:
        uses: dict[str, int] = {}
        for line in lines:
            for name in _NAME.findall(line):
                uses[name] = uses.get(name, 0) + 1
        kept = []
        for line in lines:
            match = _PURE_ONE_LINE.match(line)
            if match and line.rstrip().endswith(")") and uses[match.group(1)] == 1:
                continue
            kept.append(line)
        if len(kept) == len(lines):
            return kept
        lines = kept


# Equations whose operands are all constants are evaluated by JAX itself
# (e.g. the index arithmetic of x[i] for a constant i), up to this many
# result elements; iota stays an op, as the table of primitives says.
_FOLD_LIMIT = 4096
_NEVER_FOLDED = {"iota", "scan"} | set(_CALL_PRIMITIVES)


def _fold_constants(eqn, args):
    if eqn.primitive.name in _NEVER_FOLDED or not args:
        return None
    if not all(isinstance(a, _Constant) for a in args):
        return None
    if any(np.prod(v.aval.shape, dtype=np.int64) > _FOLD_LIMIT for v in eqn.outvars):
        return None
    try:
        with jax.ensure_compile_time_eval():
            results = eqn.primitive.bind(*[a.array for a in args], **eqn.params)
    except Exception:  # left to the primitive's rule, which says what is wrong
        return None
    if not eqn.primitive.multiple_results:
        results = [results]
    return [_Constant(np.asarray(r, dtype=v.aval.dtype))
            for r, v in zip(results, eqn.outvars)]


def _broadcast_array(array, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = array.shape[i]
    return np.broadcast_to(array.reshape(expanded), shape).copy()


def _reassociation(src, dst):
    """Groups of `src`'s dimensions (collapse) or `dst`'s (expand) whose
    products match one dimension of the other shape, or None."""
    small, large = (dst, src) if len(dst) < len(src) else (src, dst)
    groups, j = [], 0
    for d in small:
        group, product = [], 1
        while j < len(large) and (product < d or not group or
                                  (large[j] == 1 and product == d and
                                   len(groups) == len(small) - 1)):
            group.append(j)
            product *= large[j]
            j += 1
        if product != d:
            return None
        groups.append(group)
    if j != len(large) or not groups:
        return None
    return groups


# ----- rules: each returns the list of result values ---------------------

_FLOAT_BINARY = {"add": "arith.addf", "add_any": "arith.addf", "sub": "arith.subf",
                 "mul": "arith.mulf", "div": "arith.divf", "max": "arith.maximumf",
                 "min": "arith.minimumf", "pow": "math.powf", "rem": "arith.remf"}
_INT_BINARY = {"add": "arith.addi", "add_any": "arith.addi", "sub": "arith.subi",
               "mul": "arith.muli", "div": "arith.divsi", "max": "arith.maxsi",
               "min": "arith.minsi", "rem": "arith.remsi", "and": "arith.andi",
               "or": "arith.ori", "xor": "arith.xori"}
_FLOAT_UNARY = {"tanh": "math.tanh", "exp": "math.exp", "log": "math.log",
                "sqrt": "math.sqrt", "rsqrt": "math.rsqrt", "abs": "math.absf",
                "log1p": "math.log1p", "expm1": "math.expm1", "sin": "math.sin",
                "cos": "math.cos", "floor": "math.floor", "ceil": "math.ceil",
                "neg": "arith.negf", "exp2": "math.exp2", "tan": "math.tan"}
_COMPARISONS = {"lt": ("olt", "slt"), "le": ("ole", "sle"), "gt": ("ogt", "sgt"),
                "ge": ("oge", "sge"), "eq": ("oeq", "eq"), "ne": ("une", "ne")}


def _out_aval(eqn, i=0):
    aval = eqn.outvars[i].aval
    return tuple(aval.shape), np.dtype(aval.dtype)


def _binary(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    in_dtype = np.dtype(eqn.invars[0].aval.dtype)
    table = _FLOAT_BINARY if _is_float(in_dtype) else _INT_BINARY
    name = eqn.primitive.name
    if dtype == np.bool_ and name in ("and", "or", "xor"):
        table = _INT_BINARY
    if name not in table:
        raise UnsupportedError(f"unsupported primitive '{name}' on {in_dtype} at "
                               f"{_describe(t.location)}")
    if all(isinstance(a, _Constant) for a in args):
        return [_Constant(_fold(name, args, dtype))]
    a, b = (t.implicit_broadcast(x, shape, in_dtype) for x in args)
    mlir_op = table[name]
    ty = _tensor_type(shape, dtype)
    return [t.op(mlir_op, f"{mlir_op} {a.name}, {b.name} : {ty}", name, shape, dtype)]


def _fold(name, args, dtype):
    a, b = (x.array for x in args)
    fn = {"add": np.add, "add_any": np.add, "sub": np.subtract, "mul": np.multiply,
          "div": np.divide, "max": np.maximum, "min": np.minimum, "pow": np.power,
          "rem": np.remainder, "and": np.logical_and, "or": np.logical_or,
          "xor": np.logical_xor}[name]
    return np.asarray(fn(a, b)).astype(dtype)


def _unary(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    name = eqn.primitive.name
    x = t.implicit_broadcast(args[0], shape)
    ty = _tensor_type(shape, dtype)
    if not _is_float(dtype):
        if name == "neg":
            zero = t.splat(0, shape, dtype)
            return [t.op("arith.subi", f"arith.subi {zero.name}, {x.name} : {ty}",
                         "neg", shape, dtype)]
        if name == "abs":
            return [t.op("math.absi", f"math.absi {x.name} : {ty}", "abs", shape, dtype)]
        if name == "not":
            ones = t.splat(True if dtype == np.bool_ else -1, shape, dtype)
            return [t.op("arith.xori", f"arith.xori {x.name}, {ones.name} : {ty}",
                         "not", shape, dtype)]
        raise UnsupportedError(f"unsupported primitive '{name}' on {dtype} at "
                               f"{_describe(t.location)}")
    mlir_op = _FLOAT_UNARY[name]
    return [t.op(mlir_op, f"{mlir_op} {x.name} : {ty}", name, shape, dtype)]


def _logistic(t: _Translator, eqn, args, ins):
    # 1 / (1 + exp(-x)): the form whose every op scan-differentiate knows.
    shape, dtype = _out_aval(eqn)
    x = t.implicit_broadcast(args[0], shape)
    ty = _tensor_type(shape, dtype)
    one = t.splat(1, shape, dtype)
    n = t.op("arith.negf", f"arith.negf {x.name} : {ty}", "neg", shape, dtype)
    e = t.op("math.exp", f"math.exp {n.name} : {ty}", "exp", shape, dtype)
    d = t.op("arith.addf", f"arith.addf {one.name}, {e.name} : {ty}", "denom", shape, dtype)
    return [t.op("arith.divf", f"arith.divf {one.name}, {d.name} : {ty}", "sigmoid",
                 shape, dtype)]


def _square(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    x = t.implicit_broadcast(args[0], shape)
    mul = "arith.mulf" if _is_float(dtype) else "arith.muli"
    return [t.op(mul, f"{mul} {x.name}, {x.name} : {_tensor_type(shape, dtype)}",
                 "square", shape, dtype)]


def _integer_pow(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    x = t.implicit_broadcast(args[0], shape)
    ty = _tensor_type(shape, dtype)
    float_ = _is_float(dtype)
    mul = "arith.mulf" if float_ else "arith.muli"
    y = eqn.params["y"]
    if y < 0 and not float_:
        raise UnsupportedError(f"integer_pow with a negative exponent on integers at "
                               f"{_describe(t.location)}")
    result = None
    # Square-and-multiply over the exponent's bits.
    power, n = x, abs(y)
    while n:
        if n & 1:
            result = power if result is None else t.op(
                mul, f"{mul} {result.name}, {power.name} : {ty}", "pow", shape, dtype)
        n >>= 1
        if n:
            power = t.op(mul, f"{mul} {power.name}, {power.name} : {ty}", "sq",
                         shape, dtype)
    if result is None:
        return [t.splat(1, shape, dtype)]
    if y < 0:
        one = t.splat(1, shape, dtype)
        result = t.op("arith.divf", f"arith.divf {one.name}, {result.name} : {ty}",
                      "recip", shape, dtype)
    return [result]


def _compare(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    in_dtype = np.dtype(eqn.invars[0].aval.dtype)
    a, b = (t.implicit_broadcast(x, shape, in_dtype) for x in args)
    predicate_f, predicate_i = _COMPARISONS[eqn.primitive.name]
    if _is_float(in_dtype):
        op, predicate = "arith.cmpf", predicate_f
    else:
        op, predicate = "arith.cmpi", predicate_i
        if in_dtype == np.bool_ and predicate not in ("eq", "ne"):
            predicate = predicate.replace("s", "u", 1)
    return [t.op(op, f"{op} {predicate}, {a.name}, {b.name} : {a.type}",
                 eqn.primitive.name, shape, dtype)]


def _is_finite(t: _Translator, eqn, args, ins):
    # x - x is 0 for finite x and NaN otherwise.
    shape, dtype = _out_aval(eqn)
    x = t.implicit_broadcast(args[0], shape)
    zero = t.splat(0, shape, x.dtype)
    d = t.op("arith.subf", f"arith.subf {x.name}, {x.name} : {x.type}", "diff",
             shape, x.dtype)
    return [t.op("arith.cmpf", f"arith.cmpf oeq, {d.name}, {zero.name} : {x.type}",
                 "finite", shape, dtype)]


def _select_n(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    predicate, *cases = args
    cases = [t.implicit_broadcast(c, shape, dtype) for c in cases]
    pred_dtype = np.dtype(eqn.invars[0].aval.dtype)
    pred = t.implicit_broadcast(predicate, shape, pred_dtype)
    ty = _tensor_type(shape, dtype)
    if pred_dtype == np.bool_:
        # cases[0] where the predicate is false, cases[1] where it is true.
        return [t.op("arith.select", f"arith.select {pred.name}, {cases[1].name}, "
                     f"{cases[0].name} : {pred.type}, {ty}", "select", shape, dtype)]
    result = cases[0]
    for k in range(1, len(cases)):
        index = t.splat(k, shape, pred_dtype)
        hit = t.op("arith.cmpi", f"arith.cmpi eq, {pred.name}, {index.name} : {pred.type}",
                   "is_case", shape, np.bool_)
        result = t.op("arith.select", f"arith.select {hit.name}, {cases[k].name}, "
                      f"{result.name} : {hit.type}, {ty}", "select", shape, dtype)
    return [result]


def _convert_element_type(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    x = args[0]
    if isinstance(x, _Constant):
        return [_Constant(x.array.astype(dtype))]
    src = np.dtype(x.dtype)
    if src == dtype:
        return [x]
    src_float, dst_float = _is_float(src), _is_float(dtype)
    if src_float and dst_float:
        op = "arith.extf" if dtype.itemsize > src.itemsize else "arith.truncf"
    elif dst_float:
        op = "arith.uitofp" if src == np.bool_ else "arith.sitofp"
    elif src_float:
        if dtype == np.bool_:
            zero = t.splat(0, shape, src)
            return [t.op("arith.cmpf", f"arith.cmpf une, {x.name}, {zero.name} : {x.type}",
                         "nonzero", shape, dtype)]
        op = "arith.fptosi"
    elif dtype == np.bool_:
        zero = t.splat(0, shape, src)
        return [t.op("arith.cmpi", f"arith.cmpi ne, {x.name}, {zero.name} : {x.type}",
                     "nonzero", shape, dtype)]
    else:
        op = ("arith.extui" if src == np.bool_ else "arith.extsi") \
            if dtype.itemsize > src.itemsize else "arith.trunci"
    return [t.op(op, f"{op} {x.name} : {x.type} to {_tensor_type(shape, dtype)}",
                 "convert", shape, dtype)]


def _identity(t: _Translator, eqn, args, ins):
    return [args[0]]


def _stop_gradient(t: _Translator, eqn, args, ins):
    x = args[0]
    # Where no differentiated argument reaches the operand, the marker would
    # change nothing: leave it out.
    if isinstance(x, _Constant) or not ins[0]:
        return [x]
    return [t.op("scan.stop_gradient", f"scan.stop_gradient {x.name} : {x.type}",
                 "nograd", x.shape, x.dtype)]


def _broadcast_in_dim(t: _Translator, eqn, args, ins):
    shape, _ = _out_aval(eqn)
    return [t.broadcast(args[0], shape, eqn.params["broadcast_dimensions"])]


def _reshape(t: _Translator, eqn, args, ins):
    if eqn.params.get("dimensions"):
        raise UnsupportedError(f"reshape with 'dimensions' at {_describe(t.location)}")
    shape, _ = _out_aval(eqn)
    return [t.reshape(args[0], shape)]


def _squeeze(t: _Translator, eqn, args, ins):
    shape, _ = _out_aval(eqn)
    return [t.reshape(args[0], shape)]


def _transpose(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    permutation = list(eqn.params["permutation"])
    x = args[0]
    if isinstance(x, _Constant):
        return [_Constant(np.transpose(x.array, permutation))]
    if permutation == sorted(permutation):
        return [x]
    init = t.empty(shape, dtype)
    result = t.op("linalg.transpose",
                  f"linalg.transpose ins({x.name} : {x.type}) outs({init.name} : "
                  f"{init.type}) permutation = {_ints(permutation)}", "transposed",
                  shape, dtype)
    if len(shape) == 2:
        t.fn.transposes[result.name] = x
    return [result]


def _ints(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def _extract_slice(t, x, offsets, sizes, strides, shape, hint="slice"):
    return t.op("tensor.extract_slice",
                f"tensor.extract_slice {x.name}{_ints(offsets)} {_ints(sizes)} "
                f"{_ints(strides)} : {x.type} to {_tensor_type(shape, x.dtype)}",
                hint, shape, x.dtype)


def _slice(t: _Translator, eqn, args, ins):
    shape, _ = _out_aval(eqn)
    x = t.materialize(args[0])
    start = list(eqn.params["start_indices"])
    strides = list(eqn.params["strides"] or [1] * len(start))
    return [_extract_slice(t, x, start, list(shape), strides, shape)]


def _split(t: _Translator, eqn, args, ins):
    x = t.materialize(args[0])
    axis = eqn.params["axis"]
    results, offset = [], 0
    for size in eqn.params["sizes"]:
        offsets = [0] * len(x.shape)
        offsets[axis] = offset
        shape = list(x.shape)
        shape[axis] = size
        results.append(_extract_slice(t, x, offsets, shape, [1] * len(shape), shape,
                                      "part"))
        offset += size
    return results


def _constant_starts(t: _Translator, indices, operand_shape, sizes, what: str):
    """Start indices of a dynamic slice that are constants, clamped as JAX
    clamps them; traced indices are refused."""
    starts = []
    for index, dim, size in zip(indices, operand_shape, sizes):
        if not isinstance(index, _Constant):
            raise UnsupportedError(f"{what} with traced start indices at "
                                   f"{_describe(t.location)} (only constant indices "
                                   "are supported)")
        starts.append(min(max(int(index.array), 0), dim - size))
    return starts


def _dynamic_slice(t: _Translator, eqn, args, ins):
    shape, _ = _out_aval(eqn)
    x = t.materialize(args[0])
    sizes = list(eqn.params["slice_sizes"])
    starts = _constant_starts(t, args[1:], x.shape, sizes, "dynamic_slice")
    return [_extract_slice(t, x, starts, sizes, [1] * len(sizes), shape)]


def _dynamic_update_slice(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    x, update = t.materialize(args[0]), t.materialize(args[1])
    starts = _constant_starts(t, args[2:], x.shape, update.shape, "dynamic_update_slice")
    ones = [1] * len(shape)
    return [t.op("tensor.insert_slice",
                 f"tensor.insert_slice {update.name} into {x.name}{_ints(starts)} "
                 f"{_ints(update.shape)} {_ints(ones)} : {update.type} into {x.type}",
                 "updated", shape, dtype)]


def _concatenate(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    parts = [t.materialize(a) for a in args]
    if len(parts) == 1:
        return parts
    names = ", ".join(p.name for p in parts)
    types = ", ".join(p.type for p in parts)
    return [t.op("tensor.concat", f"tensor.concat dim({eqn.params['dimension']}) "
                 f"{names} : ({types}) -> {_tensor_type(shape, dtype)}",
                 "concat", shape, dtype)]


def _rev(t: _Translator, eqn, args, ins):
    # Reversal as a concatenation of unit slices in reverse order: slices and
    # concatenations are what scan-differentiate knows.
    x = t.materialize(args[0])
    for axis in eqn.params["dimensions"]:
        n = x.shape[axis]
        if n == 1:
            continue
        slices = []
        for i in reversed(range(n)):
            offsets = [0] * len(x.shape)
            offsets[axis] = i
            sizes = list(x.shape)
            sizes[axis] = 1
            slices.append(_extract_slice(t, x, offsets, sizes, [1] * len(sizes),
                                         sizes, "row"))
        names = ", ".join(s.name for s in slices)
        types = ", ".join(s.type for s in slices)
        x = t.op("tensor.concat", f"tensor.concat dim({axis}) {names} : ({types}) -> "
                 f"{x.type}", "reversed", x.shape, x.dtype)
    return [x]


def _reduce(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    x = t.materialize(args[0])
    axes = sorted(eqn.params["axes"])
    if not axes:
        return [x]
    name = eqn.primitive.name
    float_ = _is_float(dtype)
    if name == "reduce_sum":
        init_value, combine = 0, "arith.addf" if float_ else "arith.addi"
    elif name == "reduce_max":
        init_value = -np.inf if float_ else np.iinfo(dtype).min
        combine = "arith.maximumf" if float_ else "arith.maxsi"
    else:
        init_value = np.inf if float_ else np.iinfo(dtype).max
        combine = "arith.minimumf" if float_ else "arith.minsi"
    init = t.splat(init_value, shape, dtype)
    element = _element_type(dtype)
    fn = t.fn
    value = _Value(fn.fresh(name[len("reduce_"):]), shape, dtype)
    # The differentiator's rule depends on the combining op.
    t.note_op(f"linalg.reduce with {combine}")
    a, b, c = fn.fresh("in"), fn.fresh("acc"), fn.fresh("r")
    loc = fn.module.loc(t.location)
    fn.line(f"{value.name} = linalg.reduce ins({x.name} : {x.type}) outs({init.name} : "
            f"{init.type}) dimensions = {_ints(axes)}")
    fn.line(f"  ({a}: {element}, {b}: {element}) {{")
    fn.line(f"    {c} = {combine} {a}, {b} : {element} {loc}")
    fn.line(f"    linalg.yield {c} : {element} {loc}")
    fn.line(f"  }} {loc}")
    return [value]


def _iota(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    dimension = eqn.params["dimension"]
    rank = len(shape)
    dims = ", ".join(f"d{i}" for i in range(rank))
    init = t.empty(shape, dtype)
    fn = t.fn
    value = _Value(fn.fresh("iota"), shape, dtype)
    element = _element_type(dtype)
    out, index, cast = fn.fresh("out"), fn.fresh("i"), fn.fresh("iv")
    t.note_op("linalg.generic")
    iterators = ", ".join('"parallel"' for _ in range(rank))
    fn.line(f"{value.name} = linalg.generic {{indexing_maps = [affine_map<({dims}) -> "
            f"({dims})>], iterator_types = [{iterators}]}} outs({init.name} : {init.type}) {{")
    loc = fn.module.loc(t.location)
    fn.line(f"^bb0({out}: {element}):")
    fn.line(f"  {index} = linalg.index {dimension} : index {loc}")
    if _is_float(dtype):
        wide = fn.fresh("iw")
        fn.line(f"  {wide} = arith.index_cast {index} : index to i64 {loc}")
        fn.line(f"  {cast} = arith.sitofp {wide} : i64 to {element} {loc}")
    else:
        fn.line(f"  {cast} = arith.index_cast {index} : index to {element} {loc}")
    fn.line(f"  linalg.yield {cast} : {element} {loc}")
    fn.line(f"}} -> {init.type} {loc}")
    return [value]


def _dot_general(t: _Translator, eqn, args, ins):
    shape, dtype = _out_aval(eqn)
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = eqn.params["dimension_numbers"]
    if lhs_batch or rhs_batch:
        raise UnsupportedError(f"dot_general with batch dimensions at "
                               f"{_describe(t.location)} (only contractions of one "
                               "dimension without batch dimensions are supported)")
    lhs, rhs = (t.materialize(a) for a in args)
    if len(lhs_contract) != 1 or len(rhs_contract) != 1:
        raise UnsupportedError(f"dot_general contracting {len(lhs_contract)} dimensions "
                               f"at {_describe(t.location)} (only one is supported)")
    if not _is_float(dtype):
        raise UnsupportedError(f"dot_general on {dtype} at {_describe(t.location)}")
    for value in (lhs, rhs):
        if np.dtype(value.dtype) != dtype:
            raise UnsupportedError(f"dot_general of {value.dtype} into {dtype} at "
                                   f"{_describe(t.location)}")
    lc, rc = lhs_contract[0], rhs_contract[0]
    # A transposed matrix operand is read through indexing_maps instead
    # (the transpose is left unused and removed).
    if lhs.name in t.fn.transposes:
        lhs, lc = t.fn.transposes[lhs.name], 1 - lc
    if rhs.name in t.fn.transposes:
        rhs, rc = t.fn.transposes[rhs.name], 1 - rc
    if len(lhs.shape) == 3 and lc == 2 and len(rhs.shape) <= 2:
        return [_sequence_matmul(t, lhs, rhs, rc, shape, dtype)]
    if len(lhs.shape) > 2 or len(rhs.shape) > 2:
        raise UnsupportedError(f"dot_general of rank-{len(lhs.shape)} by "
                               f"rank-{len(rhs.shape)} operands at "
                               f"{_describe(t.location)} (ranks 1 and 2 are supported, "
                               "and a rank-3 left operand contracting its last dimension)")
    return [_matmul(t, lhs, rhs, lc, rc, dtype)]


def _matmul(t: _Translator, lhs: _Value, rhs: _Value, lc: int, rc: int, dtype) -> _Value:
    """linalg.matmul contracting lhs dimension lc with rhs dimension rc,
    transposes written as indexing_maps; vectors become one-row or
    one-column matrices and the unit dimension is dropped again."""
    lhs_vector, rhs_vector = len(lhs.shape) == 1, len(rhs.shape) == 1
    if lhs_vector:
        lhs = t.add_dims(lhs, (1, lhs.shape[0]), [0])
        lc = 1
    if rhs_vector:
        rhs = t.add_dims(rhs, (rhs.shape[0], 1), [1])
        rc = 0
    m = lhs.shape[1 - lc]
    n = rhs.shape[1 - rc]
    out_shape = (m, n)
    zero = t.splat(0, out_shape, dtype)
    out_type = _tensor_type(out_shape, dtype)
    maps = ""
    if (lc, rc) != (1, 0):
        a_map = "(d0, d2)" if lc == 1 else "(d2, d0)"
        b_map = "(d2, d1)" if rc == 0 else "(d1, d2)"
        maps = ("indexing_maps = [" + ", ".join(
            f"affine_map<(d0, d1, d2) -> {m_}>" for m_ in (a_map, b_map, "(d0, d1)"))
            + "] ")
    product = t.op("linalg.matmul",
                   f"linalg.matmul {maps}ins({lhs.name}, {rhs.name} : {lhs.type}, "
                   f"{rhs.type}) outs({zero.name} : {out_type}) -> {out_type}",
                   "mm", out_shape, dtype)
    drop = ([0] if lhs_vector else []) + ([1] if rhs_vector else [])
    return t.drop_unit_dims(product, drop)


def _sequence_matmul(t: _Translator, lhs: _Value, rhs: _Value, rc: int, shape,
                     dtype) -> _Value:
    """A rank-3 operand times a matrix, as a scan over the leading dimension
    whose steps are 2-D matmuls: differentiable, and the form whose weight
    gradients scan-optimize hoists out of the loop."""
    fn = t.fn
    t.note_op("scan.scan")
    result = _Value(fn.fresh("proj"), tuple(shape), np.dtype(dtype))
    step = _Value(fn.fresh(lhs.name[1:] + "_t"), lhs.shape[1:], lhs.dtype)
    out_type = _tensor_type(shape, dtype)
    loc = fn.module.loc(t.location)
    fn.line(f"{result.name} = scan.scan sequences({step.name} = {lhs.name} : {lhs.type}) "
            f"-> {out_type} {{")
    fn.depth += 1
    product = _matmul(t, step, rhs, 1, rc, dtype)
    fn.line(f"scan.yield {product.name} : {product.type} {loc}")
    fn.depth -= 1
    fn.line(f"}} {loc}")
    return result


def _translate_call(t: _Translator, eqn, args, ins):
    key = _CALL_PRIMITIVES[eqn.primitive.name]
    jaxpr = eqn.params.get(key) if key else None
    if jaxpr is None:
        for candidate in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
            if candidate in eqn.params:
                jaxpr = eqn.params[candidate]
                break
    if jaxpr is None:
        raise UnsupportedError(f"unsupported primitive '{eqn.primitive.name}' at "
                               f"{_describe(t.location)}")
    return t.inline(jaxpr, args, ins)


def _scan(t: _Translator, eqn, args, ins):
    params = eqn.params
    body, body_consts = _open_jaxpr(params["jaxpr"])
    n_consts, n_carry = params["num_consts"], params["num_carry"]
    length, reverse = params["length"], params["reverse"]
    consts = args[:n_consts]
    carries = [t.materialize(a) for a in args[n_consts:n_consts + n_carry]]
    sequences = [t.materialize(a) for a in args[n_consts + n_carry:]]
    fn = t.fn
    state, _ = _scan_activity(params, ins)
    t.note_op("scan.scan")

    result_types = []
    for var in eqn.outvars:
        result_types.append(_tensor_type(var.aval.shape, var.aval.dtype))
    results = [_Value("", tuple(v.aval.shape), np.dtype(v.aval.dtype))
               for v in eqn.outvars]
    base = fn.fresh("scan")
    for i, r in enumerate(results):
        r.name = f"{base}#{i}" if len(results) > 1 else base
    head = f"{base}:{len(results)} = " if len(results) > 1 else (
        f"{base} = " if results else "")
    keywords = ["scan.scan"]
    if reverse:
        keywords.append("reverse")
    if not sequences:
        keywords.append(f"length({length})")

    env = {}
    for var, const in zip(body.constvars, body_consts):
        env[var] = _Constant(np.asarray(const))
    for var, const in zip(body.invars[:n_consts], consts):
        env[var] = const
    carry_bindings, seq_bindings = [], []
    for var, init in zip(body.invars[n_consts:n_consts + n_carry], carries):
        arg = _Value(fn.fresh("h"), tuple(var.aval.shape), np.dtype(var.aval.dtype))
        env[var] = arg
        carry_bindings.append(f"{arg.name} = {init.name} : {init.type}")
    for var, seq in zip(body.invars[n_consts + n_carry:], sequences):
        arg = _Value(fn.fresh(seq.name[1:].split("#")[0] + "_t"), tuple(var.aval.shape),
                     np.dtype(var.aval.dtype))
        env[var] = arg
        seq_bindings.append(f"{arg.name} = {seq.name} : {seq.type}")
    if carry_bindings:
        keywords.append(f"carries({', '.join(carry_bindings)})")
    if seq_bindings:
        keywords.append(f"sequences({', '.join(seq_bindings)})")
    if results:
        keywords.append(f"-> ({', '.join(result_types)})" if len(results) > 1
                        else f"-> {result_types[0]}")
    fn.line(head + " ".join(keywords) + " {")
    location = t.location
    fn.depth += 1
    active = {v for v, a in zip(body.invars, state) if a}
    t.run(body, env, active)
    t.location = location
    yielded = []
    for var in body.outvars:
        value = t.read(env, var)
        yielded.append(t.materialize(value, tuple(var.aval.shape), var.aval.dtype))
    if yielded:
        fn.line(f"scan.yield {', '.join(v.name for v in yielded)} : "
                f"{', '.join(v.type for v in yielded)} {fn.module.loc(location)}")
    else:
        fn.line(f"scan.yield {fn.module.loc(location)}")
    fn.depth -= 1
    fn.line(f"}} {fn.module.loc(location)}")
    return results


_RULES = {
    **{name: _binary for name in ("add", "add_any", "sub", "mul", "div", "max", "min",
                                  "pow", "rem", "and", "or", "xor")},
    **{name: _unary for name in (*_FLOAT_UNARY, "not")},
    **{name: _compare for name in _COMPARISONS},
    "logistic": _logistic,
    "square": _square,
    "integer_pow": _integer_pow,
    "is_finite": _is_finite,
    "select_n": _select_n,
    "convert_element_type": _convert_element_type,
    "copy": _identity,
    "optimization_barrier": lambda t, eqn, args, ins: list(args),
    "stop_gradient": _stop_gradient,
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": _reshape,
    "squeeze": _squeeze,
    "transpose": _transpose,
    "slice": _slice,
    "dynamic_slice": _dynamic_slice,
    "dynamic_update_slice": _dynamic_update_slice,
    "split": _split,
    "concatenate": _concatenate,
    "rev": _rev,
    "reduce_sum": _reduce,
    "reduce_max": _reduce,
    "reduce_min": _reduce,
    "iota": _iota,
    "dot_general": _dot_general,
    "scan": _scan,
}

# Primitives the importer translates (for the documentation's table and tests).
SUPPORTED_PRIMITIVES = frozenset(_RULES) | frozenset(_CALL_PRIMITIVES)


# ----- the module ---------------------------------------------------------

def _key_name(key) -> str:
    """The name of one step of a pytree path: a dict key, a sequence index
    or an attribute name."""
    for attribute in ("key", "idx", "name"):
        if hasattr(key, attribute):
            return re.sub(r"[^A-Za-z0-9_]", "", str(getattr(key, attribute)))
    return re.sub(r"[^A-Za-z0-9_]", "", str(key))


def _leaf_names(fun, args) -> list[str]:
    """Readable argument names: the parameter's name, then the leaf's path
    (`params_W` for `params["W"]`)."""
    try:
        parameters = [p.name for p in inspect.signature(fun).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    names = []
    for index, arg in enumerate(args):
        base = parameters[index] if index < len(parameters) else f"arg{index}"
        for path, _ in jax.tree_util.tree_flatten_with_path(arg)[0]:
            names.append("_".join([base] + [_key_name(k) for k in path]))
    return names


def _definition_location(fun):
    """(file, line, 1) of the `def` of `fun`, for the ops that return its results."""
    try:
        target = inspect.unwrap(fun)
        return inspect.getsourcefile(target), inspect.getsourcelines(target)[1], 1
    except (TypeError, OSError):
        return None


def _normalize_argnums(argnums, count: int) -> tuple[int, ...]:
    if isinstance(argnums, int):
        argnums = (argnums,)
    argnums = tuple(argnums)
    for a in argnums:
        if not -count <= a < count:
            raise ValueError(f"argnums {a} is out of range for {count} arguments")
    return tuple(sorted({a % count for a in argnums}))


def import_function(fun, args: tuple, argnums: int | tuple[int, ...] = 0,
                    with_value: bool = False, has_aux: bool = False) -> ImportedModule:
    """Traces `fun(*args)` and writes it as a scan-dialect module.

    For a scalar cost the module has a gradient entry: `@grad`, a
    `scan.grad` returning the gradients, or with `with_value`
    `@value_and_grad`, a `scan.vjp` with cotangent 1 returning the cost and
    then the gradients from one forward sweep. With `has_aux`, `fun` returns
    `(cost, aux)`: the cost is differentiated, the float leaves of `aux`
    (given zero cotangents) come back after it, and the entry is always
    `@value_and_grad`.

    Raises UnsupportedError (one line, naming the primitive and the user's
    source line) before anything is returned when a primitive cannot be
    translated, or when the gradient asked for passes through an op that
    scan-differentiate cannot differentiate."""
    args = tuple(args)
    closed, out_shape = jax.make_jaxpr(fun, return_shape=True)(*args)
    leaves, in_tree = jax.tree_util.tree_flatten(args)
    jaxpr = closed.jaxpr
    try:
        jaxpr, _ = pe.dce_jaxpr(jaxpr, [True] * len(jaxpr.outvars), instantiate=True)
    except Exception:  # pragma: no cover - DCE is an optimisation only
        pass
    in_avals = [v.aval for v in jaxpr.invars]
    in_leaves = [(tuple(a.shape), np.dtype(a.dtype)) for a in in_avals]
    out_avals = [v.aval for v in jaxpr.outvars]
    out_leaves = [(tuple(a.shape), np.dtype(a.dtype)) for a in out_avals]

    argnums = _normalize_argnums(argnums, len(args)) if args else ()
    leaf_offsets = np.cumsum([0] + [len(jax.tree_util.tree_leaves(a)) for a in args])
    wrt_leaves = [i for a in argnums for i in range(leaf_offsets[a], leaf_offsets[a + 1])]
    first_is_scalar = (len(out_leaves) >= 1 and out_leaves[0][0] == ()
                       and _is_float(out_leaves[0][1]))
    scalar_cost = first_is_scalar and (has_aux or len(out_leaves) == 1)
    aux_tree = None
    if has_aux:
        with_value = True
        if not (isinstance(out_shape, (tuple, list)) and len(out_shape) == 2
                and len(jax.tree_util.tree_leaves(out_shape[0])) == 1 and first_is_scalar):
            raise TypeError("has_aux=True needs a function returning a pair (cost, aux) "
                            "whose cost is one real scalar")
        for i, (shape, dtype) in enumerate(out_leaves[1:]):
            if not _is_float(dtype):
                raise TypeError(f"has_aux=True: leaf {i} of aux has type {dtype}; only float "
                                "auxiliary outputs are supported (scan.vjp returns float results)")
        aux_tree = jax.tree_util.tree_structure(out_shape[1])
    if scalar_cost:
        for i in wrt_leaves:
            if not _is_float(in_leaves[i][1]):
                raise UnsupportedError(
                    f"cannot differentiate with respect to argument leaf {i} of "
                    f"type {in_leaves[i][1]} (only float arguments can be)")

    module = _ModuleWriter()
    fn = _Function(module)
    names = _leaf_names(fun, args)
    if len(names) != len(in_leaves):
        names = [f"arg{i}" for i in range(len(in_leaves))]
    env = {}
    params = []
    for var, name, (shape, dtype) in zip(jaxpr.invars, names, in_leaves):
        value = _Value(fn.fresh(name), shape, dtype)
        env[var] = value
        params.append(f"{value.name}: {value.type}")
    for var, const in zip(jaxpr.constvars, closed.consts):
        env[var] = _Constant(np.asarray(const))
    translator = _Translator(fn, check_gradient=scalar_cost)
    active = {jaxpr.invars[i] for i in wrt_leaves} if scalar_cost else set()
    translator.run(jaxpr, env, active)

    results = []
    translator.location = _definition_location(fun)
    for var, (shape, dtype) in zip(jaxpr.outvars, out_leaves):
        value = translator.materialize(translator.read(env, var), shape, dtype)
        if shape == ():
            scalar = fn.fresh("cost" if scalar_cost and not results else "out")
            fn.line(f"{scalar} = tensor.extract {value.name}[] : {value.type} "
                    f"{module.loc(translator.location)}")
            results.append((scalar, _element_type(dtype)))
        else:
            results.append((value.name, value.type))
    result_types = [ty for _, ty in results]
    signature = ", ".join(result_types)
    if len(result_types) != 1:
        signature = f"({signature})"
    loc = module.loc(translator.location)
    if results:
        fn.line(f"return {', '.join(n for n, _ in results)} : {', '.join(result_types)} {loc}")
    else:
        fn.line(f"return {loc}")

    lines = ["module {"]
    lines.append(f"  func.func @cost({', '.join(params)}) -> {signature} {{")
    lines += ["  " + line for line in _remove_unused(fn.constants + fn.body)]
    lines.append("  }")
    grad_entry = None
    if scalar_cost:
        grad_entry = "value_and_grad" if with_value else "grad"
        arg_names = [p.split(":")[0] for p in params]
        arg_types = [p.split(": ", 1)[1] for p in params]
        wrt_types = [arg_types[i] for i in wrt_leaves]
        grad_names = [f"%d_{arg_names[i][1:]}" for i in wrt_leaves]
        cost_type = result_types[0]
        if with_value:
            # Differentiated function's own results first, then gradients;
            # auxiliary results get zero cotangents.
            aux_types = result_types[1:]
            aux_names = [f"%aux{i}" for i in range(len(aux_types))]
            out_names = ["%value"] + aux_names + grad_names
            out_types = [cost_type] + aux_types + wrt_types
            cotangents = ["%one"] + [f"%zero{i}" for i in range(len(aux_types))]
            call = (f"scan.vjp @cost({', '.join(arg_names)}) cotangents({', '.join(cotangents)}) "
                    f"wrt [{', '.join(map(str, wrt_leaves))}]")
            in_types = arg_types + [cost_type] + aux_types
        else:
            out_names, out_types = grad_names, wrt_types
            call = f"scan.grad @cost({', '.join(arg_names)}) wrt [{', '.join(map(str, wrt_leaves))}]"
            in_types = arg_types
        out_signature = ", ".join(out_types)
        lines.append("")
        lines.append(f"  func.func @{grad_entry}({', '.join(params)}) -> ({out_signature}) {{")
        if with_value:
            lines.append(f"    %one = arith.constant 1.0 : {cost_type}")
            for i, aux_type in enumerate(aux_types):
                zero = "dense<0.0>" if aux_type.startswith("tensor<") else "0.0"
                lines.append(f"    %zero{i} = arith.constant {zero} : {aux_type}")
        if out_names:
            lines.append(f"    {', '.join(out_names)} = {call}")
            lines.append(f"        : ({', '.join(in_types)}) -> ({out_signature})")
            lines.append(f"    return {', '.join(out_names)} : {out_signature}")
        else:
            lines.append("    return")
        lines.append("  }")
    lines.append("}")
    body = "\n".join(lines) + "\n"
    # Aliases numbered in order of first use, unused ones left out.
    renumbered: dict[str, str] = {}
    for alias in re.findall(r"#loc\d+", body):
        renumbered.setdefault(alias, f"#loc{len(renumbered) + 1}")
    body = re.sub(r"#loc\d+", lambda m: renumbered[m.group(0)], body)
    definitions = {line.split(" ")[0]: line.split(" = ", 1)[1]
                   for line in module.location_table()}
    table = [f"{new} = {definitions[old]}" for old, new in renumbered.items()]
    return ImportedModule(
        text="\n".join(table) + ("\n\n" if table else "") + body,
        cost_entry="cost",
        grad_entry=grad_entry,
        in_tree=in_tree,
        in_leaves=in_leaves,
        wrt_leaves=wrt_leaves,
        out_leaves=out_leaves,
        out_tree=jax.tree_util.tree_structure(out_shape),
        aux_tree=aux_tree,
    )
