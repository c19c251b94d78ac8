"""The jaxpr importer: every primitive's translation verifies with scan-opt,
runs through scan-run to JAX's values (and, where scan-differentiate has the
rules, to jax.grad's gradients in f64), refusals are one line naming the
user's source line, and locations point at this file."""

import inspect
import os
import pathlib
import re
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from scan_mlir.jax.importer import SUPPORTED_PRIMITIVES, UnsupportedError, import_function

BUILD = pathlib.Path(os.environ.get("SCAN_MLIR_BUILD", "build"))
SCAN_OPT = BUILD / "bin" / "scan-opt"
SCAN_RUN = BUILD / "bin" / "scan-run"
HERE = pathlib.Path(__file__).resolve()
REPO = HERE.parents[2]

needs_tools = pytest.mark.skipif(
    not (SCAN_OPT.exists() and SCAN_RUN.exists()),
    reason=f"scan-opt and scan-run not found under {BUILD}/bin (set SCAN_MLIR_BUILD)")

def scan_opt(text: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCAN_OPT), "-", *flags], input=text, text=True,
                          capture_output=True)


def verify(text: str, *flags: str) -> str:
    result = scan_opt(text, *flags)
    assert result.returncode == 0, result.stderr + text
    return result.stdout


def run_entry(tmp_path, text: str, entry: str, inputs, variant="plain") -> list:
    """Runs `entry` of the module through scan-run; returns its results."""
    folder = tmp_path / f"{entry}-{variant}"
    folder.mkdir()
    source = folder / "module.mlir"
    source.write_text(text)
    command = [str(SCAN_RUN), str(source), f"--entry={entry}", f"--variant={variant}",
               f"--output-dir={folder}", "--warmup=0", "--repeat=1"]
    for i, value in enumerate(inputs):
        path = folder / f"in{i}.npy"
        np.save(path, np.asarray(value))
        command.append(f"--input={path}")
    result = subprocess.run(command, text=True, capture_output=True)
    assert result.returncode == 0, result.stderr + "\n" + text
    outputs = []
    while (folder / f"{entry}.{len(outputs)}.npy").exists():
        outputs.append(np.load(folder / f"{entry}.{len(outputs)}.npy"))
    return outputs


def leaves(args):
    return jax.tree_util.tree_leaves(args)


def assert_close(actual, expected, rtol=1e-9, atol=1e-12):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def check_forward(tmp_path, fun, args, rtol=1e-9, atol=1e-12):
    """The module's @cost on scan-run gives JAX's value."""
    module = import_function(fun, args, argnums=())
    verify(module.text)
    outputs = run_entry(tmp_path, module.text, "cost", leaves(args))
    expected = leaves(fun(*args))
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        assert_close(got, want, rtol, atol)
    return module


def check_gradient(tmp_path, fun, args, argnums=0, variants=("plain", "optimized"),
                   rtol=1e-9, atol=1e-12):
    """The module's @grad on scan-run gives jax.grad's gradients (f64)."""
    module = import_function(fun, args, argnums=argnums)
    verify(module.text, "--scan-differentiate")
    expected = leaves(jax.grad(fun, argnums=argnums)(*args))
    for variant in variants:
        outputs = run_entry(tmp_path, module.text, "grad", leaves(args), variant)
        assert len(outputs) == len(expected)
        for got, want in zip(outputs, expected):
            assert_close(got, want, rtol, atol)
    return module


RNG = np.random.default_rng(7)


def normal(*shape, dtype=np.float64):
    return (RNG.normal(size=shape) * 0.5).astype(dtype)


def positive(*shape):
    return np.abs(normal(*shape)) + 0.5


# ----- one case per primitive (and per form) ---------------------------------
# (name, fun, args, gradient: "yes" where scan-differentiate has the reverse
# rules, checked against jax.grad; "no" where it lacks one, so the importer
# refuses the gradient, or where no float value links the cost to x)

def _custom_vjp_square():
    @jax.custom_vjp
    def f(x):
        return x * x

    def f_fwd(x):
        return f(x), x

    def f_bwd(x, g):
        return (2 * x * g,)

    f.defvjp(f_fwd, f_bwd)
    return f


_custom_square = _custom_vjp_square()


def _step_scan(x, h0, W):
    def step(h, xt):
        h = jnp.tanh(xt + h @ W)
        return h, h * 2.0
    h, hs = lax.scan(step, h0, x)
    return jnp.sum(h) + jnp.sum(hs)


def _reverse_scan(x, h0, W):
    h, _ = lax.scan(lambda h, xt: (jnp.tanh(xt + h @ W), None), h0, x, reverse=True)
    return jnp.sum(h)


def _length_scan(h0, W):
    h, hs = lax.scan(lambda h, _: (jnp.tanh(h @ W), h), h0, None, length=4)
    return jnp.sum(h) + jnp.sum(hs * hs)


def _two_carries(x, h0, c0, W):
    def step(carry, xt):
        h, c = carry
        c = c * 0.5 + jnp.tanh(xt + h @ W)
        h = jnp.tanh(c)
        return (h, c), jnp.sum(h, axis=1)
    (h, c), ys = lax.scan(step, (h0, c0), x)
    return jnp.sum(h * c) + jnp.sum(ys)


def _nested_scan(x, h0, W):
    def outer(h, xt):
        g, _ = lax.scan(lambda g, _: (jnp.tanh(g @ W + xt), None), h, None, length=2)
        return g, None
    h, _ = lax.scan(outer, h0, x)
    return jnp.sum(h)


# More than 64 elements, not all equal: written in hex.
_LARGE_FLOATS = np.linspace(-2.0, 3.0, 80).reshape(8, 10)
_LARGE_INTS = np.arange(80, dtype=np.int32).reshape(8, 10) % 7
_LARGE_MASK = (np.arange(80).reshape(8, 10) % 3) == 0

_MIXING = np.array([[0.5, -0.25, 0.0], [0.125, 1.0, 0.5], [0.0, 0.25, -1.0]])


def _captured_in_body(x, h0):
    h, _ = lax.scan(lambda h, xt: (jnp.tanh(xt + h @ _MIXING), None), h0, x)
    return jnp.sum(h)


def _jit_inside(x, W):
    inner = jax.jit(lambda a, b: jnp.tanh(a @ b))
    return jnp.sum(inner(x, W))


CASES = [
    ("add_broadcast", lambda x, b: jnp.sum(x + b), (normal(3, 4), normal(4)), "yes"),
    ("add_column", lambda x, b: jnp.sum(x - b[:, None] * 2.0), (normal(3, 4), normal(3)), "yes"),
    ("sub_mul_div_neg", lambda x, y: jnp.sum(-(x - y) * x / (y * y + 1.0)),
     (normal(2, 3), normal(2, 3)), "yes"),
    ("scalar_ops", lambda x: jnp.sum(x) / x.size * 3.0 - 1.0, (normal(5),), "yes"),
    ("max_min", lambda x, y: jnp.sum(jnp.maximum(x, y) * jnp.minimum(x, 0.25)),
     (normal(3, 4), normal(3, 4)), "yes"),
    ("tanh_exp_log", lambda x: jnp.sum(jnp.tanh(x) + jnp.exp(x) * jnp.log(x + 2.0)),
     (positive(3, 4),), "yes"),
    ("logistic", lambda x: jnp.sum(jax.nn.sigmoid(x)), (normal(3, 4),), "yes"),
    ("integer_pow", lambda x: jnp.sum(x ** 3 + x ** -2 + x ** 2), (positive(2, 3),), "yes"),
    ("pow", lambda x, y: jnp.sum(x ** y), (positive(2, 3), normal(2, 3)), "yes"),
    ("square", lambda x: jnp.sum(jnp.square(x)), (normal(2, 3),), "yes"),
    ("sqrt_rsqrt", lambda x: jnp.sum(jnp.sqrt(x) + lax.rsqrt(x)), (positive(2, 3),), "yes"),
    ("abs", lambda x: jnp.sum(jnp.abs(x)), (normal(2, 3),), "yes"),
    ("tan", lambda x: jnp.sum(jnp.tan(x)), (normal(2, 3),), "no"),
    ("log1p_expm1", lambda x: jnp.sum(jnp.log1p(x) + jnp.expm1(x)), (positive(2, 3),), "yes"),
    ("broadcast_in_dim", lambda x: jnp.sum(jnp.broadcast_to(x, (2, 3, 4)) * 1.5),
     (normal(3, 1),), "yes"),
    ("reshape_unit_dims", lambda x: jnp.sum(x.reshape(1, 3, 1, 4) * 2.0), (normal(3, 4),), "yes"),
    ("reshape_general", lambda x: jnp.sum(x.reshape(6, 2) @ jnp.ones((2, 2))),
     (normal(3, 4),), "no"),
    ("squeeze_expand_dims", lambda x: jnp.sum(jnp.expand_dims(jnp.squeeze(x, 0), 2) * 2.0),
     (normal(1, 3, 4),), "yes"),
    ("transpose", lambda x, W: jnp.sum(jnp.tanh(x.T) @ W), (normal(3, 4), normal(3, 2)), "yes"),
    ("transpose_3d", lambda x: jnp.sum(jnp.transpose(x, (2, 0, 1)) * jnp.arange(4.0)),
     (normal(2, 4, 3),), "yes"),
    ("slice", lambda x: jnp.sum(jnp.tanh(x[1:3, ::2])), (normal(4, 5),), "yes"),
    ("constant_index", lambda x: jnp.sum(jnp.tanh(x[1] + x[-1] + x[jnp.array(2)] + x[:, 0][0])),
     (normal(4, 3),), "yes"),
    ("dynamic_update_slice", lambda x, y: jnp.sum(jnp.tanh(
        lax.dynamic_update_slice(x, y * 2.0, (jnp.int32(1), jnp.int32(5))))),
     (normal(4, 3), normal(2, 2)), "yes"),
    ("split", lambda x: jnp.sum(jnp.split(x, [1, 3], axis=1)[1] * 2.0), (normal(2, 5),), "yes"),
    ("concatenate", lambda x, y: jnp.sum(jnp.tanh(jnp.concatenate([x, y, x], axis=1))),
     (normal(2, 3), normal(2, 1)), "yes"),
    ("reduce_sum_axis", lambda x: jnp.sum(jnp.tanh(jnp.sum(x, axis=0))), (normal(3, 4),), "yes"),
    ("reduce_max", lambda x: jnp.sum(jnp.max(x, axis=1)), (normal(3, 4),), "yes"),
    ("reduce_min", lambda x: jnp.sum(jnp.min(x, axis=0)), (normal(3, 4),), "yes"),
    ("convert_f32", lambda x: jnp.sum(jnp.tanh(x.astype(jnp.float32)).astype(jnp.float64)),
     (normal(2, 3),), "yes"),
    ("compare_select", lambda x, y: jnp.sum(jnp.where(x > y, x * 2.0, y)),
     (normal(3, 4), normal(3, 4)), "yes"),
    ("compare_all", lambda x: jnp.sum((x < 0.1) | (x >= 0.3) & (x != 0.2) | (x <= -0.5)
                                    | (x > 1.0) | (x == 0.0)).astype(x.dtype),
     (normal(3, 4),), "no"),
    ("stop_gradient", lambda x: jnp.sum(x * lax.stop_gradient(jnp.tanh(x))), (normal(3, 4),),
     "yes"),
    ("rev", lambda x: jnp.sum(jnp.flip(x, 0) * jnp.arange(3.0)[:, None]), (normal(3, 2),), "yes"),
    ("iota_one_hot", lambda x, labels: jnp.sum(jax.nn.one_hot(labels, 4, dtype=x.dtype) * x),
     (normal(3, 4), np.array([0, 3, 1], np.int32)), "yes"),
    ("integer_argument", lambda x, n: jnp.sum(x * n.astype(x.dtype)),
     (normal(3,), np.array([1, 2, 3], np.int64)), "yes"),
    ("dot_plain", lambda x, W: jnp.sum(x @ W), (normal(2, 3), normal(3, 4)), "yes"),
    ("dot_lhs_transposed", lambda x, W: jnp.sum(lax.dot_general(x, W, (([0], [0]), ([], [])))),
     (normal(3, 2), normal(3, 4)), "yes"),
    ("dot_rhs_transposed", lambda x, W: jnp.sum(jnp.tanh(jnp.einsum("ik,jk->ij", x, W))),
     (normal(2, 3), normal(4, 3)), "yes"),
    ("dot_both_transposed", lambda x, W: jnp.sum(lax.dot_general(x, W, (([0], [1]), ([], [])))),
     (normal(3, 2), normal(4, 3)), "yes"),
    ("dot_vector_matrix", lambda v, W: jnp.sum(jnp.tanh(v @ W)), (normal(3), normal(3, 4)), "yes"),
    ("dot_matrix_vector", lambda W, v: jnp.sum(jnp.tanh(W @ v)), (normal(4, 3), normal(3)), "yes"),
    ("dot_sequence_matrix", lambda x, W: jnp.sum(jnp.tanh(x @ W)),
     (normal(4, 2, 3), normal(3, 5)), "yes"),
    ("dot_sequence_transposed", lambda x, W: jnp.sum(jnp.tanh(x @ W.T)) + jnp.sum(x @ W[0]),
     (normal(4, 2, 3), normal(5, 3)), "yes"),
    ("dot_vector_vector", lambda u, v: jnp.tanh(u @ v), (normal(3), normal(3)), "yes"),
    ("scan_outputs", _step_scan, (normal(4, 2, 3), normal(2, 3), normal(3, 3)), "yes"),
    ("scan_reverse", _reverse_scan, (normal(4, 2, 3), normal(2, 3), normal(3, 3)), "yes"),
    ("scan_length_only", _length_scan, (normal(2, 3), normal(3, 3)), "yes"),
    ("scan_two_carries", _two_carries,
     (normal(4, 2, 3), normal(2, 3), normal(2, 3), normal(3, 3)), "yes"),
    ("scan_nested", _nested_scan, (normal(3, 2, 3), normal(2, 3), normal(3, 3)), "yes"),
    ("scan_literal_init", lambda x: jnp.sum(lax.scan(lambda c, xt: (c * 0.5 + jnp.sum(xt),
                                                                    c), 0.0, x)[1]),
     (normal(4, 3),), "yes"),
    ("scan_captured_array", _captured_in_body, (normal(4, 2, 3), normal(2, 3)), "yes"),
    ("select_n_integer", lambda x, k: jnp.sum(lax.select_n(k, x, x * 2.0, -x)),
     (normal(3,), np.array([0, 2, 1], np.int32)), "yes"),
    ("constant_broadcast", lambda x: jnp.sum(jnp.tanh(x + np.linspace(0.0, 1.0, 4))),
     (normal(3, 4),), "yes"),
    ("large_constants", lambda x: jnp.sum(jnp.where(_LARGE_MASK, x * _LARGE_FLOATS, x)
                                          + _LARGE_INTS),
     (normal(8, 10),), "yes"),
    ("add_any_second_order", lambda x: jnp.sum(jax.grad(lambda y: jnp.sum(jnp.tanh(y) * y))(x)),
     (normal(3, 4),), "yes"),
    ("copy_barrier_remat", lambda x: jnp.sum(jnp.copy(x) * lax.optimization_barrier(x)
                                             + jax.checkpoint(jnp.tanh)(x)),
     (normal(3, 4),), "yes"),
    ("sin_cos", lambda x: jnp.sum(jnp.sin(x) * jnp.cos(x)), (normal(3, 4),), "yes"),
    ("floor_ceil_exp2", lambda x: jnp.sum(jnp.floor(x) + jnp.ceil(x) + jnp.exp2(x)),
     (normal(3, 4),), "no"),
    ("rem", lambda x, y: jnp.sum(lax.rem(x, y)), (normal(3, 4), positive(3, 4)), "no"),
    ("integer_ops", lambda x, n: jnp.sum(x * (lax.rem(jnp.maximum(n * 2 - 1, -n), jnp.int32(3))
                                              + jnp.minimum(n, 1) + lax.div(abs(-n), jnp.int32(2)))
                                          .astype(x.dtype)),
     (normal(4,), np.array([3, -2, 0, 7], np.int32)), "yes"),
    ("bool_ops", lambda x: jnp.sum(jnp.where(~(x > 0) ^ (x < 0.5) & (x > -1), x, 0.0)),
     (normal(3, 4),), "yes"),
    ("jit_inlined", _jit_inside, (normal(2, 3), normal(3, 4)), "yes"),
    ("custom_jvp_relu", lambda x: jnp.sum(jax.nn.relu(x) * x), (normal(3, 4),), "yes"),
    ("custom_jvp_softplus", lambda x: jnp.sum(jax.nn.softplus(x)), (normal(3, 4),), "yes"),
    ("custom_jvp_logsumexp", lambda x: jnp.sum(jax.nn.logsumexp(x, axis=1)), (normal(3, 4),),
     "yes"),
    ("custom_vjp", lambda x: jnp.sum(_custom_square(jnp.tanh(x))), (normal(3, 4),), "yes"),
    ("float32", lambda x, W: jnp.sum(jnp.tanh(x @ W)),
     (normal(2, 3, dtype=np.float32), normal(3, 4, dtype=np.float32)), "yes"),
]


@needs_tools
@pytest.mark.parametrize("name,fun,args,gradient", CASES, ids=[c[0] for c in CASES])
def test_forward_matches_jax(tmp_path, name, fun, args, gradient):
    single = any(np.asarray(a).dtype == np.float32 for a in args)
    tolerance = dict(rtol=2e-6, atol=1e-6) if single else {}
    check_forward(tmp_path, fun, args, **tolerance)


GRADIENT_CASES = [c for c in CASES if c[3] != "no" and c[0] != "float32"]


@needs_tools
@pytest.mark.parametrize("name,fun,args,gradient", GRADIENT_CASES,
                         ids=[c[0] for c in GRADIENT_CASES])
def test_gradient_matches_jax(tmp_path, name, fun, args, gradient):
    # convert_f32 computes in f32 in between: f32's tanh may differ by an ulp.
    tolerance = dict(rtol=1e-6, atol=1e-7) if name == "convert_f32" else {}
    check_gradient(tmp_path, fun, args, **tolerance)


REFUSED_GRADIENTS = [c for c in CASES if c[3] == "no" and c[0] != "compare_all"]


@pytest.mark.parametrize("name,fun,args,gradient", REFUSED_GRADIENTS,
                         ids=[c[0] for c in REFUSED_GRADIENTS])
def test_gradient_without_rule_is_refused(name, fun, args, gradient):
    with pytest.raises(UnsupportedError) as error:
        import_function(fun, args, argnums=0)
    message = str(error.value)
    assert "\n" not in message
    assert "no reverse rule" in message and "test_importer.py:" in message


def test_cases_cover_the_primitive_table():
    """Every translated primitive appears in at least one case's jaxpr, or
    is known to appear only in other traces."""
    seen = set()

    def collect(jaxpr):
        for eqn in jaxpr.eqns:
            seen.add(eqn.primitive.name)
            for sub in jax.core.jaxprs_in_params(eqn.params) if hasattr(
                    jax.core, "jaxprs_in_params") else []:
                collect(sub)

    import jax.extend.core as jcore
    for _, fun, args, _ in CASES:
        jaxpr = jax.make_jaxpr(fun)(*args).jaxpr
        stack = [jaxpr]
        while stack:
            current = stack.pop()
            for eqn in current.eqns:
                seen.add(eqn.primitive.name)
                stack.extend(j.jaxpr if isinstance(j, jcore.ClosedJaxpr) else j
                             for j in jcore.jaxprs_in_params(eqn.params))
    # Names of primitives other JAX versions or other traces emit.
    elsewhere = {"pjit", "closed_call", "core_call", "custom_vjp_call_jaxpr", "checkpoint", "remat"}
    missing = SUPPORTED_PRIMITIVES - seen - elsewhere
    assert not missing, f"primitives without a test case: {sorted(missing)}"


# ----- refusals -------------------------------------------------------------

def _sorting(x):
    return jnp.sum(jnp.sort(x))


def _batched(x, y):
    return jnp.sum(jnp.einsum("bij,bjk->bik", x, y))


def _line_of(fun, offset=1):
    return inspect.getsourcelines(fun)[1] + offset


def test_unsupported_primitive_names_it_and_the_line():
    with pytest.raises(UnsupportedError) as error:
        import_function(_sorting, (normal(4),))
    message = str(error.value)
    assert message == f"unsupported primitive 'sort' at {HERE}:{_line_of(_sorting)}"


def _traced_index(x, i):
    return jnp.sum(x[i])


def test_traced_index_is_refused():
    with pytest.raises(UnsupportedError) as error:
        import_function(_traced_index, (normal(4, 3), np.int32(1)))
    message = str(error.value)
    assert message == (f"dynamic_slice with traced start indices at "
                       f"{HERE}:{_line_of(_traced_index)} (only constant indices are supported)")


def test_batched_dot_general_is_refused():
    with pytest.raises(UnsupportedError) as error:
        import_function(_batched, (normal(2, 3, 4), normal(2, 4, 5)))
    message = str(error.value)
    assert "\n" not in message
    assert "batch dimensions" in message and f"{HERE}:{_line_of(_batched)}" in message


def _tan_of_second(x, y):
    return jnp.sum(x * jnp.tan(y))


def test_gradient_refusal_only_on_the_path():
    # tan of y is fine when only x is differentiated ...
    module = import_function(_tan_of_second, (normal(3), positive(3)), argnums=0)
    assert "math.tan" in module.text and module.wrt_leaves == [0]
    # ... and refused when y is.
    with pytest.raises(UnsupportedError) as error:
        import_function(_tan_of_second, (normal(3), positive(3)), argnums=1)
    assert f"'tan' at {HERE}:{_line_of(_tan_of_second)}" in str(error.value)
    assert "math.tan" in str(error.value)


def test_integer_argument_cannot_be_differentiated():
    with pytest.raises(UnsupportedError, match="only float arguments"):
        import_function(lambda x, n: jnp.sum(x) * n, (normal(3), np.int32(2)), argnums=1)


# ----- locations --------------------------------------------------------------

def _located(x, W):
    y = jnp.tanh(x @ W)
    return jnp.sum(y * y)


def test_locations_name_the_user_lines():
    module = import_function(_located, (normal(2, 3), normal(3, 3)))
    first = _line_of(_located)
    text = module.text
    assert f'loc("{HERE}":{first}:' in text
    assert f'loc("{HERE}":{first + 1}:' in text
    # Every op of @cost carries a location alias.
    body = text[text.index("func.func @cost"):text.index("func.func @grad")]
    for line in body.splitlines()[1:]:
        stripped = line.strip()
        opens_region = stripped.endswith("]") or stripped.endswith("{")
        if stripped.startswith("%") and not opens_region and not stripped.startswith("%cost"):
            assert "loc(#loc" in stripped, stripped


@needs_tools
def test_diagnostics_point_at_the_user_line(tmp_path):
    """scan-differentiate's error on an op without a rule names this file's
    line: the module asks for the gradient the importer would refuse."""
    module = import_function(_tan_of_second, (normal(3), positive(3)), argnums=0)
    text = module.text.replace("wrt [0]", "wrt [1]")
    result = scan_opt(text, "--scan-differentiate")
    assert result.returncode != 0
    assert f"{HERE}:{_line_of(_tan_of_second)}:" in result.stderr
    assert "math.tan" in result.stderr


# ----- the interface ------------------------------------------------------------

def test_pytree_arguments_and_leaves():
    def fun(params, x):
        return jnp.sum(jnp.tanh(x @ params["W"] + params["b"]))

    params = {"W": normal(3, 4), "b": normal(4)}
    module = import_function(fun, (params, normal(2, 3)), argnums=0)
    assert module.in_leaves == [((3, 4), np.dtype(np.float64)), ((4,), np.dtype(np.float64)),
                                ((2, 3), np.dtype(np.float64))]
    assert module.wrt_leaves == [0, 1]
    assert module.out_leaves == [((), np.dtype(np.float64))]
    assert module.cost_entry == "cost" and module.grad_entry == "grad"
    assert module.in_tree == jax.tree_util.tree_structure((params, normal(2, 3)))
    assert "%params_W: tensor<3x4xf64>" in module.text
    assert "wrt [0, 1]" in module.text


def test_tensor_valued_function_has_no_grad_entry():
    module = import_function(lambda x: (jnp.tanh(x), jnp.sum(x)), (normal(2, 3),))
    assert module.grad_entry is None and "scan.grad" not in module.text
    assert module.out_leaves == [((2, 3), np.dtype(np.float64)), ((), np.dtype(np.float64))]


# ----- the export command --------------------------------------------------------

_EXPORTED = '''
import jax.numpy as jnp
from jax import lax

def rnn(x, h0, W):
    h, _ = lax.scan(lambda h, xt: (jnp.tanh(xt + h @ W), None), h0, x)
    return jnp.sum(h)

def sorted_sum(x, h0, W):
    return jnp.sum(jnp.sort(x))
'''


def _export(tmp_path, *arguments):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    return subprocess.run([sys.executable, "-m", "scan_mlir.jax", *arguments],
                          capture_output=True, text=True, env=env, cwd=tmp_path)


@pytest.mark.parametrize("wrt", [["--wrt", "W,h0"], ["--argnums", "1,2"]])
def test_export_command(tmp_path, wrt):
    (tmp_path / "model.py").write_text(_EXPORTED)
    # By name, in an order other than the parameters'.
    np.savez(tmp_path / "like.npz", W=normal(3, 3), x=normal(4, 2, 3), h0=normal(2, 3))
    result = _export(tmp_path, "model.py:rnn", "--like", "like.npz", *wrt, "-o", "out.mlir")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "out.mlir").read_text()
    assert "wrt [1, 2]" in text
    assert "%x: tensor<4x2x3xf64>, %h0: tensor<2x3xf64>, %W: tensor<3x3xf64>" in text
    if SCAN_OPT.exists():
        verify(text, "--scan-differentiate", "--scan-optimize")


def test_export_refusal_leaves_no_file(tmp_path):
    (tmp_path / "model.py").write_text(_EXPORTED)
    np.savez(tmp_path / "like.npz", normal(4, 2, 3), normal(2, 3), normal(3, 3))
    result = _export(tmp_path, "model.py:sorted_sum", "--like", "like.npz", "-o", "out.mlir")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'sort'" in lines[0] and "model.py:10" in lines[0], lines
    assert not (tmp_path / "out.mlir").exists()
    assert list(tmp_path.glob(".scan-mlir-*")) == []


def test_export_bad_wrt_name(tmp_path):
    (tmp_path / "model.py").write_text(_EXPORTED)
    np.savez(tmp_path / "like.npz", normal(4, 2, 3), normal(2, 3), normal(3, 3))
    result = _export(tmp_path, "model.py:rnn", "--like", "like.npz", "--wrt", "V", "-o", "o.mlir")
    assert result.returncode == 1 and "no parameter named 'V'" in result.stderr
    assert not (tmp_path / "o.mlir").exists()


def test_documentation_table_lists_every_primitive():
    table = (REPO / "docs" / "JAX-primitives.md").read_text()
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    documented = set()
    for cell in rows:
        documented.update(name.split("/")[0] for name in
                          re.findall(r"`([a-z_0-9/]+)`", cell))
        documented.update(re.findall(r"/([a-z_0-9]+)`", cell))
    missing = SUPPORTED_PRIMITIVES - documented
    assert not missing, f"primitives missing from docs/JAX-primitives.md: {sorted(missing)}"


def test_transposed_operand_is_read_through_indexing_maps():
    module = import_function(lambda x, W: jnp.sum(x @ W.T), (normal(2, 3), normal(4, 3)))
    assert "linalg.transpose" not in module.text
    assert "affine_map<(d0, d1, d2) -> (d1, d2)>" in module.text


@needs_tools
def test_float32_gradient(tmp_path):
    def fun(x, h0, W):
        h, _ = lax.scan(lambda h, xt: (jnp.tanh(xt + h @ W), None), h0, x)
        return jnp.sum(h)

    args = (normal(4, 2, 3, dtype=np.float32), normal(2, 3, dtype=np.float32),
            normal(3, 3, dtype=np.float32))
    module = check_gradient(tmp_path, fun, args, argnums=2, rtol=1e-5, atol=1e-6)
    assert "tensor<3x3xf32>" in module.text and "f64" not in module.text


@needs_tools
def test_tensor_valued_function_runs(tmp_path):
    def fun(x, h0, W):
        h, hs = lax.scan(lambda h, xt: (jnp.tanh(xt + h @ W), h), h0, x)
        return h, hs, jnp.sum(h)

    check_forward(tmp_path, fun, (normal(4, 2, 3), normal(2, 3), normal(3, 3)))


def test_export_in_archive_order(tmp_path):
    (tmp_path / "model.py").write_text(_EXPORTED)
    np.savez(tmp_path / "like.npz", normal(4, 2, 3, dtype=np.float32),
             normal(2, 3, dtype=np.float32), normal(3, 3, dtype=np.float32))
    result = _export(tmp_path, "model.py:rnn", "--like", "like.npz", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert "%x: tensor<4x2x3xf32>, %h0: tensor<2x3xf32>, %W: tensor<3x3xf32>" in result.stdout
    assert "wrt [0]" in result.stdout
