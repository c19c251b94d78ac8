"""scan_mlir.jax's contract (argnums, pytrees, result types, the compile
cache, threads, compile under jax.jit, error messages) and the runner
bindings (scan_mlir.Program / Entry)."""

import concurrent.futures
import gc
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import scan_mlir
import scan_mlir.jax as sj
from conftest import max_relative_error

TOLERANCE = 1e-10


def rnn(W, x, h0, b):
    def step(h, x_t):
        h = jnp.tanh(x_t + h @ W + b)
        return h, None
    h_T, _ = lax.scan(step, h0, x)
    return jnp.sum(h_T)


def _args(seed=0, T=5, B=3, D=7, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return tuple(rng.normal(0, 0.5, s).astype(dtype) for s in ((D, D), (T, B, D), (B, D), (D,)))


# --- the jax.grad contract -------------------------------------------------

def test_argnums_int_and_tuple():
    args = _args()
    g0 = sj.grad(rnn)(*args)
    assert isinstance(g0, np.ndarray) and g0.shape == (7, 7)
    assert max_relative_error(g0, jax.grad(rnn)(*args)) < TOLERANCE
    g = sj.grad(rnn, argnums=(0, 3))(*args)
    assert isinstance(g, tuple) and len(g) == 2
    assert max_relative_error(g, jax.grad(rnn, argnums=(0, 3))(*args)) < TOLERANCE
    # A one-element tuple still gives a tuple; negative numbers count from the end.
    (gb,) = sj.grad(rnn, argnums=(-1,))(*args)
    assert max_relative_error(gb, jax.grad(rnn, argnums=3)(*args)) < TOLERANCE


def test_argnums_in_any_order():
    args = _args()
    g = sj.grad(rnn, argnums=(3, 0))(*args)
    assert max_relative_error(g, jax.grad(rnn, argnums=(3, 0))(*args)) < TOLERANCE


def test_pytrees():
    def loss(params, data):
        return rnn(params["W"], data[0], data[1], params["bias"]["b"])
    W, x, h0, b = _args()
    params = {"W": W, "bias": {"b": b}}
    data = [x, h0]
    got = sj.grad(loss)(params, data)
    assert jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(params)
    assert max_relative_error(got, jax.grad(loss)(params, data)) < TOLERANCE
    both = sj.grad(loss, argnums=(0, 1))(params, data)
    assert max_relative_error(both, jax.grad(loss, argnums=(0, 1))(params, data)) < TOLERANCE


def test_numpy_in_numpy_out_jax_in_jax_out():
    args = _args()
    assert isinstance(sj.grad(rnn)(*args), np.ndarray)
    jax_args = tuple(jnp.asarray(a) for a in args)
    got = sj.grad(rnn)(*jax_args)
    assert isinstance(got, jax.Array)
    value, _ = sj.value_and_grad(rnn)(*jax_args)
    assert isinstance(value, jax.Array) and value.shape == ()


def test_value_and_grad_runs_one_forward_sweep(monkeypatch):
    """value_and_grad and a differentiated compile() make one call of one
    entry, a scan.vjp that returns the value with the gradient."""
    calls = []
    original = scan_mlir.Entry.__call__

    def counting(self, *args, **kwargs):
        calls.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(scan_mlir.Entry, "__call__", counting)
    args = _args()
    value, grad = sj.value_and_grad(rnn)(*args)
    assert calls == ["value_and_grad"]
    expected_value, expected_grad = jax.value_and_grad(rnn)(*args)
    assert abs(float(value) - float(expected_value)) <= TOLERANCE * abs(float(expected_value))
    assert max_relative_error(grad, expected_grad) < TOLERANCE
    calls.clear()
    value, grad = jax.value_and_grad(sj.compile(rnn))(*args)
    assert calls == ["value_and_grad"]
    assert max_relative_error(grad, expected_grad) < TOLERANCE
    text = sj.to_mlir(rnn, *args)
    assert "scan.grad @cost" in text and "scan.vjp" not in text


def rnn_with_aux(W, x, h0, b):
    def step(h, x_t):
        h = jnp.tanh(x_t + h @ W + b)
        return h, None
    h_T, _ = lax.scan(step, h0, x)
    return jnp.sum(h_T), {"final": h_T, "mean": jnp.mean(x)}


def test_has_aux_matches_jax():
    args = _args()
    grad, aux = sj.grad(rnn_with_aux, argnums=(0, 3), has_aux=True)(*args)
    expected_grad, expected_aux = jax.grad(rnn_with_aux, argnums=(0, 3), has_aux=True)(*args)
    assert max_relative_error(grad, expected_grad) < TOLERANCE
    assert max_relative_error(aux, expected_aux) < TOLERANCE
    (value, aux), grad = sj.value_and_grad(rnn_with_aux, has_aux=True)(*args)
    (expected_value, expected_aux), expected_grad = jax.value_and_grad(rnn_with_aux, has_aux=True)(*args)
    assert abs(float(value) - float(expected_value)) <= TOLERANCE * abs(float(expected_value))
    assert max_relative_error(aux, expected_aux) < TOLERANCE
    assert max_relative_error(grad, expected_grad) < TOLERANCE


def test_has_aux_refuses_what_it_cannot_return():
    args = _args()
    with pytest.raises(TypeError, match="only float auxiliary outputs"):
        sj.grad(lambda *a: (rnn(*a), jnp.argmax(a[1].sum())), has_aux=True)(*args)
    with pytest.raises(TypeError, match="returning a pair"):
        sj.grad(rnn, has_aux=True)(*args)


def test_python_scalars_are_leaves():
    def scaled(W, x, h0, b, scale):
        return scale * rnn(W, x, h0, b)
    args = _args() + (2.5,)
    got = sj.grad(scaled, argnums=(0, 4))(*args)
    assert max_relative_error(got, jax.grad(scaled, argnums=(0, 4))(*args)) < TOLERANCE


# --- the cache ------------------------------------------------------------

def test_compiles_once_per_signature():
    g = sj.grad(rnn)
    for seed in range(3):
        g(*_args(seed))
    assert g.cache_info().misses == 1 and g.cache_info().hits == 2
    g(*_args(T=4))  # another shape
    assert g.cache_info().misses == 2
    g(*_args(dtype=np.float32))  # another dtype
    assert g.cache_info().misses == 3
    g(*_args(T=4))
    assert g.cache_info() == sj.CacheInfo(hits=3, misses=3, currsize=3)
    sj.grad(rnn, argnums=1)(*_args())  # another function object: its own cache
    assert g.cache_info().misses == 3


def test_tree_structure_is_part_of_the_signature():
    def loss(params):
        return rnn(params["W"], *params["rest"])
    W, x, h0, b = _args()
    g = sj.grad(loss)
    g({"W": W, "rest": (x, h0, b)})
    g({"W": W, "rest": [x, h0, b]})  # a list, not a tuple: another treedef
    assert g.cache_info().misses == 2


def test_calls_from_several_threads():
    g = sj.grad(rnn, argnums=(0, 3))
    inputs = [_args(seed) for seed in range(16)]
    expected = [jax.grad(rnn, argnums=(0, 3))(*a) for a in inputs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda a: g(*a), inputs))
    for got, want in zip(results, expected):
        assert max_relative_error(got, want) < TOLERANCE
    assert g.cache_info().misses == 1


# --- compile: JAX calls scan-mlir's code --------------------------------------

def test_compile_under_grad_and_jit():
    args = tuple(jnp.asarray(a) for a in _args())
    compiled = sj.compile(rnn)
    np.testing.assert_allclose(compiled(*args), rnn(*args), rtol=1e-12)
    expected = jax.grad(rnn, argnums=(0, 1, 2, 3))(*args)
    got = jax.grad(compiled, argnums=(0, 1, 2, 3))(*args)
    assert max_relative_error(got, expected) < TOLERANCE
    got_jit = jax.jit(jax.grad(compiled, argnums=(0, 3)))(*args)
    assert max_relative_error(got_jit, (expected[0], expected[3])) < TOLERANCE
    assert compiled.cache_info().misses == 1


def test_compile_scales_by_the_cotangent():
    args = _args()
    compiled = sj.compile(rnn)
    got = jax.grad(lambda W: 3.0 * compiled(W, *args[1:]) ** 2)(args[0])
    expected = jax.grad(lambda W: 3.0 * rnn(W, *args[1:]) ** 2)(args[0])
    assert max_relative_error(got, expected) < TOLERANCE


def test_compile_tensor_valued_forward():
    def final_state(W, x, h0):
        def step(h, x_t):
            return jnp.tanh(x_t + h @ W), None
        return lax.scan(step, h0, x)[0]
    W, x, h0, _ = _args()
    got = jax.jit(sj.compile(final_state))(W, x, h0)
    np.testing.assert_allclose(got, final_state(W, x, h0), rtol=1e-12)


def test_compile_under_vmap_and_with_integer_arguments():
    def f(W, x, weights):
        return jnp.sum(jnp.tanh(x @ W) * weights.astype(x.dtype))
    rng = np.random.default_rng(3)
    W, xs = rng.normal(size=(3, 3)), rng.normal(size=(4, 2, 3))
    weights = np.array([[1, 0, 2], [0, 1, 1]], dtype=np.int32)
    compiled = sj.compile(f)
    batched = jax.vmap(jax.grad(compiled), in_axes=(None, 0, None))(W, xs, weights)
    expected = jax.vmap(jax.grad(f), in_axes=(None, 0, None))(W, xs, weights)
    assert max_relative_error(batched, expected) < TOLERANCE
    # The integer argument gets a float0 cotangent, as under jax.grad of f itself.
    gW, gx = jax.grad(compiled, argnums=(0, 1))(W, xs[0], weights)
    assert max_relative_error((gW, gx), jax.grad(f, argnums=(0, 1))(W, xs[0], weights)) < TOLERANCE


# --- to_mlir ------------------------------------------------------------------

def test_to_mlir_names_the_entries_and_the_source():
    text = sj.to_mlir(rnn, *_args(), argnums=(0, 3))
    assert "func.func @cost" in text and "func.func @grad" in text
    assert "scan.scan" in text and "scan.grad @cost" in text
    assert "test_api.py" in text  # loc(...) of the user's lines


# --- errors ------------------------------------------------------------------

def test_unsupported_primitive_names_it_and_the_line():
    def sorted_sum(x):
        return jnp.sum(jnp.sort(x) * x)  # the line the message must name
    line = sorted_sum.__code__.co_firstlineno + 1
    with pytest.raises(sj.UnsupportedError) as info:
        sj.grad(sorted_sum)(np.arange(5.0))
    message = str(info.value)
    assert "\n" not in message
    assert "sort" in message and f"test_api.py:{line}" in message


def test_non_scalar_output_to_grad():
    def state(W, x, h0, b):
        return jnp.tanh(h0 @ W + b)
    with pytest.raises(TypeError, match=r"scalar.*\(3, 7\)"):
        sj.grad(state)(*_args())


def test_integer_input_to_grad():
    def f(x, n):
        return jnp.sum(x * n)
    with pytest.raises(TypeError, match="int"):
        sj.grad(f, argnums=1)(np.ones(3), np.arange(3))


def test_bad_argnums():
    with pytest.raises(ValueError, match="out of range"):
        sj.grad(rnn, argnums=4)(*_args())


# --- the runner bindings -------------------------------------------------------

DOT = """
func.func @dot(%a: tensor<4xf64>, %b: tensor<4xf64>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %init = linalg.fill ins(%zero : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %p = arith.mulf %a, %b : tensor<4xf64>
  %s = linalg.reduce ins(%p : tensor<4xf64>) outs(%init : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) {
      %t = arith.addf %in, %acc : f64
      linalg.yield %t : f64
    }
  %r = tensor.extract %s[] : tensor<f64>
  return %r : f64
}
func.func @dot_grad(%a: tensor<4xf64>, %b: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>) {
  %da, %db = scan.grad @dot(%a, %b) wrt [0, 1] : (tensor<4xf64>, tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>)
  return %da, %db : tensor<4xf64>, tensor<4xf64>
}
"""


@pytest.mark.parametrize("pipeline", ["plain", "optimized"])
def test_runner_program_and_entry(pipeline):
    program = scan_mlir.Program(DOT, pipeline=pipeline)
    grad = program.entry("dot_grad")
    assert program.entry("dot_grad") is grad
    f64 = np.dtype(np.float64)
    assert grad.inputs == [scan_mlir.TensorType((4,), f64)] * 2
    assert grad.outputs == [scan_mlir.TensorType((4,), f64)] * 2
    a, b = np.arange(4.0), np.array([3.0, -1.0, 0.5, 2.0])
    (value,) = program.entry("dot")(a, b)
    assert value.shape == () and value == a @ b
    da, db = grad(a, b)
    np.testing.assert_array_equal(da, b)
    np.testing.assert_array_equal(db, a)
    out = (np.zeros(4), np.zeros(4))
    results = grad(a, b, out=out)
    assert results[0] is out[0] and results[1] is out[1]
    np.testing.assert_array_equal(out[1], a)


def test_runner_passes_arrays_without_copies():
    program = scan_mlir.Program(DOT)
    dot = program.entry("dot")
    a = np.arange(4.0)
    jax_b = jnp.arange(4.0)
    arrays, converted = dot.prepare([a, jax_b])
    assert converted == [] and arrays[0] is a
    strided = np.arange(8.0)[::2]
    as_f32 = np.arange(4, dtype=np.float32)
    arrays, converted = dot.prepare([strided, as_f32])
    assert converted == [0, 1]
    assert arrays[0].flags.c_contiguous and arrays[1].dtype == np.float64
    with pytest.warns(scan_mlir.InputCopyWarning, match=r"inputs 0 .*, 1 \(float32 -> 4xfloat64\)"):
        (value,) = dot(strided, as_f32)
    assert value == strided @ as_f32.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dot(a, jax_b)  # nothing copied, nothing said


def test_runner_errors_are_one_line():
    with pytest.raises(scan_mlir.ScanMLIRError) as info:
        scan_mlir.Program("func.func @f(%a: f64) -> f64 {\n  return %b : f64\n}\n", source_name="bad.mlir")
    message = str(info.value)
    assert "\n" not in message and message.startswith("bad.mlir:2:")
    program = scan_mlir.Program(DOT)
    with pytest.raises(scan_mlir.ScanMLIRError, match="nope"):
        program.entry("nope")
    with pytest.raises(ValueError, match="shape"):
        program.entry("dot")(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="takes 2 inputs"):
        program.entry("dot")(np.zeros(4))


def test_runner_frees_programs_when_collected():
    program = scan_mlir.Program(DOT)
    entry = program.entry("dot")
    finalizer = program._finalizer
    alive = weakref.ref(program)
    del program
    gc.collect()
    assert alive() is not None  # the entry keeps its program
    del entry
    gc.collect()
    assert alive() is None and not finalizer.alive


NARROW_INTEGERS = """
func.func @widen(%a: tensor<3xi8>, %b: tensor<3xi16>) -> (tensor<3xi16>, tensor<3xi32>) {
  %a16 = arith.extsi %a : tensor<3xi8> to tensor<3xi16>
  %s = arith.addi %a16, %b : tensor<3xi16>
  %w = arith.extsi %s : tensor<3xi16> to tensor<3xi32>
  return %s, %w : tensor<3xi16>, tensor<3xi32>
}
"""


def test_runner_passes_narrow_integers():
    widen = scan_mlir.Program(NARROW_INTEGERS).entry("widen")
    assert [t.dtype for t in widen.inputs] == [np.dtype(np.int8), np.dtype(np.int16)]
    assert [t.dtype for t in widen.outputs] == [np.dtype(np.int16), np.dtype(np.int32)]
    a = np.array([-128, 5, 127], dtype=np.int8)
    b = np.array([1000, -7, 32000], dtype=np.int16)
    s, w = widen(a, b)
    np.testing.assert_array_equal(s, a.astype(np.int16) + b)
    np.testing.assert_array_equal(w, (a.astype(np.int32) + b).astype(np.int32))
