"""Every model's gradient through scan_mlir.jax.grad against jax.grad, in
f64 at small odd shapes (B=3 sequences, T=5 steps, D=7 features), with the
plain and the optimised pipeline."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import scan_mlir.jax as sj
from scan_mlir.examples import gru_cost, lstm_cost, rnn_cost
from conftest import max_relative_error

B, T, D, I = 3, 5, 7, 4  # batch, steps, hidden size, input size
TOLERANCE = 1e-10  # f64; both sides sum the same terms in different orders


def _random(seed, *shapes, scale=0.5):
    rng = np.random.default_rng(seed)
    return tuple(rng.normal(0.0, scale, shape) for shape in shapes)


# --- the study's cells come from scan_mlir.examples (examples/*.mlir in JAX)

# --- PyTorch's GRU: fused gate projections with biases, reset after the matmul

def torch_gru_cost(params, x, h0):
    def step(h, x_t):
        gi = x_t @ params["W_ih"].T + params["b_ih"]
        gh = h @ params["W_hh"].T + params["b_hh"]
        i_r, i_z, i_n = jnp.split(gi, 3, axis=-1)
        h_r, h_z, h_n = jnp.split(gh, 3, axis=-1)
        r = jax.nn.sigmoid(i_r + h_r)
        z = jax.nn.sigmoid(i_z + h_z)
        n = jnp.tanh(i_n + r * h_n)
        h = (1 - z) * n + z * h
        return h, h
    _, ys = lax.scan(step, h0, x)
    return jnp.sum(ys ** 2) / ys.size


def _rnn_layer(x, h0, Wx, Wh, b, reverse=False):
    def step(h, x_t):
        h = jnp.tanh(x_t @ Wx + h @ Wh + b)
        return h, h
    return lax.scan(step, h0, x, reverse=reverse)


def stacked_cost(params, x, h0):
    _, ys1 = _rnn_layer(x, h0[0], params["Wx1"], params["Wh1"], params["b1"])
    h_T, _ = _rnn_layer(ys1, h0[1], params["Wx2"], params["Wh2"], params["b2"])
    return jnp.sum(h_T)


def bidirectional_cost(params, x, h0):
    _, forward = _rnn_layer(x, h0, params["Wx1"], params["Wh1"], params["b1"])
    _, backward = _rnn_layer(forward, h0, params["Wx2"], params["Wh2"], params["b2"], reverse=True)
    return jnp.sum(forward * backward)


# --- a masked batch of sequences of different lengths ---------------------

def masked_cost_select(params, x, mask, h0):
    """Finished sequences keep their state (jnp.where: select_n)."""
    def step(h, inputs):
        x_t, m_t = inputs
        new_h = jnp.tanh(x_t @ params["Wx"] + h @ params["Wh"] + params["b"])
        h = jnp.where(m_t[:, None] > 0, new_h, h)
        return h, h * m_t[:, None]
    h_T, ys = lax.scan(step, h0, (x, mask))
    return jnp.sum(ys) + jnp.sum(h_T ** 2)


def masked_cost_arith(params, x, mask, h0):
    """The same model with the mask applied by arithmetic."""
    def step(h, inputs):
        x_t, m_t = inputs
        new_h = jnp.tanh(x_t @ params["Wx"] + h @ params["Wh"] + params["b"])
        m = m_t[:, None]
        h = m * new_h + (1 - m) * h
        return h, h * m
    h_T, ys = lax.scan(step, h0, (x, mask))
    return jnp.sum(ys) + jnp.sum(h_T ** 2)


def _mask():
    lengths = np.array([5, 2, 4])[:B]
    return (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)


def _layer_params(seed, suffixes=("1", "2")):
    params = {}
    for k, s in enumerate(suffixes):
        Wx, Wh, b = _random(seed + k, (I if s == "1" else D, D), (D, D), (D,))
        params.update({f"Wx{s}": Wx, f"Wh{s}": Wh, f"b{s}": b})
    return params


def _case(name):
    if name == "rnn":
        return rnn_cost, _random(1, (T, B, D), (B, D), (D, D)), (0, 1, 2)
    if name == "gru":
        return gru_cost, _random(2, (T, B, D), (T, B, D), (T, B, D), (B, D), (D, D), (D, D), (D, D)), \
            tuple(range(7))
    if name == "lstm":
        shapes = [(T, B, I), (B, D), (B, D)] + [(I, D)] * 4 + [(D, D)] * 4
        return lstm_cost, _random(3, *shapes), tuple(range(11))
    if name == "torch_gru":
        W_ih, W_hh, b_ih, b_hh = _random(4, (3 * D, I), (3 * D, D), (3 * D,), (3 * D,))
        params = {"W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh}
        x, h0 = _random(5, (T, B, I), (B, D))
        return torch_gru_cost, (params, x, h0), (0, 1, 2)
    if name == "stacked":
        x, h0 = _random(6, (T, B, I), (2, B, D))
        return stacked_cost, (_layer_params(7), x, h0), (0, 2)
    if name == "bidirectional":
        params = _layer_params(8)
        x, h0 = _random(9, (T, B, I), (B, D))
        return bidirectional_cost, (params, x, h0), (0, 1)
    if name in ("masked_arith", "masked_select"):
        params = dict(zip(("Wx", "Wh", "b"), _random(10, (I, D), (D, D), (D,))))
        x, h0 = _random(11, (T, B, I), (B, D))
        fun = masked_cost_arith if name == "masked_arith" else masked_cost_select
        return fun, (params, x, _mask(), h0), (0, 3)
    raise KeyError(name)


MODELS = ["rnn", "gru", "lstm", "torch_gru", "stacked", "bidirectional", "masked_arith",
          "masked_select"]


@pytest.mark.parametrize("optimize", [False, True], ids=["plain", "optimized"])
@pytest.mark.parametrize("model", MODELS)
def test_model_gradient_matches_jax(model, optimize, record_error):
    fun, args, argnums = _case(model)
    expected = jax.grad(fun, argnums=argnums)(*args)
    actual = sj.grad(fun, argnums=argnums, optimize=optimize)(*args)
    error = max_relative_error(actual, expected)
    record_error(model, "optimized" if optimize else "plain", error)
    assert error < TOLERANCE, f"{model}: max relative error {error:.2e}"


@pytest.mark.parametrize("model", ["gru", "torch_gru"])
def test_value_and_grad_matches_jax(model):
    fun, args, argnums = _case(model)
    expected_value, expected = jax.value_and_grad(fun, argnums=argnums)(*args)
    value, actual = sj.value_and_grad(fun, argnums=argnums)(*args)
    assert isinstance(value, np.ndarray) and value.shape == ()
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    assert max_relative_error(actual, expected) < TOLERANCE


def test_f32_gradient_is_f32_and_close():
    fun, args, argnums = _case("gru")
    args32 = tuple(a.astype(np.float32) for a in args)
    actual = sj.grad(fun, argnums=argnums)(*args32)
    expected = jax.grad(fun, argnums=argnums)(*args)
    assert all(a.dtype == np.float32 for a in actual)
    error = max_relative_error(tuple(a.astype(np.float64) for a in actual), expected)
    assert error < 1e-5
