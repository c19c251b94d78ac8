"""The study's three cells written in JAX: the costs of examples/rnn.mlir,
examples/gru.mlir and examples/lstm.mlir, argument for argument.

`scan_mlir.jax.grad(gru_cost, argnums=(4, 5, 6))` is examples/gru.mlir's
@gru_grad (dU, dV, dW); the tests check these against jax.grad and the
bench times them against the MLIR files run through scan-run, and times
jax.grad of them as JAX's own gradient. `unroll` is lax.scan's (the bench
tries several).
"""

import jax
import jax.numpy as jnp
from jax import lax


def rnn_cost(x, h0, W, unroll=1):
    """h_t = tanh(x_t + h_{t-1} W); cost = sum(h_T)."""
    def step(h, x_t):
        return jnp.tanh(x_t + h @ W), None
    h_T, _ = lax.scan(step, h0, x, unroll=unroll)
    return jnp.sum(h_T)


def gru_cost(x, ri, zi, h0, U, V, W, unroll=1):
    """The gated RNN: r = sigmoid(ri_t + h U), z = sigmoid(zi_t + h V),
    new_h = tanh(x_t + (r * h) W), h_t = z * new_h + (1 - z) * h;
    cost = sum(h_T)."""
    def step(h, inputs):
        x_t, ri_t, zi_t = inputs
        r = jax.nn.sigmoid(ri_t + h @ U)
        z = jax.nn.sigmoid(zi_t + h @ V)
        new_h = jnp.tanh(x_t + (r * h) @ W)
        return z * new_h + (1 - z) * h, None
    h_T, _ = lax.scan(step, h0, (x, ri, zi), unroll=unroll)
    return jnp.sum(h_T)


def lstm_cost(x, h0, c0, Wi, Wf, Wo, Wg, Ui, Uf, Uo, Ug, unroll=1):
    """The LSTM cell (input, forget, output gates and candidate, each from
    x_t W + h U); cost = sum(h_T)."""
    def step(carry, x_t):
        h, c = carry
        i = jax.nn.sigmoid(x_t @ Wi + h @ Ui)
        f = jax.nn.sigmoid(x_t @ Wf + h @ Uf)
        o = jax.nn.sigmoid(x_t @ Wo + h @ Uo)
        g = jnp.tanh(x_t @ Wg + h @ Ug)
        c = f * c + i * g
        return (o * jnp.tanh(c), c), None
    (h_T, _), _ = lax.scan(step, (h0, c0), x, unroll=unroll)
    return jnp.sum(h_T)
