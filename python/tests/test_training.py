"""An optax training loop of a small character-level model (one-hot
embedding, an RNN, softmax cross-entropy) whose gradients come from
scan-mlir: the loss must fall, and every step's loss must match the same
loop run with jax.grad.

The softmax cross-entropy is written twice: with jax.nn.log_softmax (a
max-reduction under stop_gradient, exp, log: it goes through the reverse
rules of max-reductions and scan.stop_gradient) and without the max shift."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax import lax

import scan_mlir.jax as sj

TEXT = "the quick brown fox jumps over the lazy dog; the lazy dog sleeps. "
STEPS = 25
T, B, D = 9, 5, 13
# Relative difference allowed between the two loops' losses, every step
# (f64; Adam divides by the square root of the second moment, which
# amplifies rounding differences a little).
LOSS_RTOL = 1e-8


def _data():
    vocabulary = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(vocabulary)}
    codes = np.array([index[c] for c in TEXT])
    starts = np.arange(B) * 7
    inputs = np.stack([codes[s:s + T] for s in starts], axis=1)        # (T, B)
    targets = np.stack([codes[s + 1:s + T + 1] for s in starts], axis=1)
    eye = np.eye(len(vocabulary))
    return eye[inputs], eye[targets], len(vocabulary)                   # one-hot (T, B, V)


def _char_rnn_loss(log_softmax):
    def loss(params, inputs, targets, h0):
        def step(h, xs):
            x_t, y_t = xs
            embedded = x_t @ params["E"]                 # one-hot embedding
            h = jnp.tanh(embedded + h @ params["W"] + params["b"])
            logits = h @ params["Wo"] + params["bo"]
            return h, -jnp.sum(y_t * log_softmax(logits), axis=-1)
        _, nll = lax.scan(step, h0, (inputs, targets))
        return jnp.sum(nll) / nll.size
    return loss


# What users write: jax.nn.log_softmax (max-reduction, stop_gradient, exp, log).
loss = _char_rnn_loss(lambda logits: jax.nn.log_softmax(logits, axis=-1))
# The same loss without the max shift (the logits stay small here), which
# needs only the reverse rules of exp, log and sum.
loss_unshifted = _char_rnn_loss(
    lambda logits: logits - jnp.log(jnp.sum(jnp.exp(logits), axis=-1, keepdims=True)))


def _initial_params(V):
    rng = np.random.default_rng(0)
    return {"E": rng.normal(0, 0.3, (V, D)), "W": rng.normal(0, 0.3, (D, D)),
            "b": np.zeros(D), "Wo": rng.normal(0, 0.3, (D, V)), "bo": np.zeros(V)}


def _train(value_and_grad, params, data, jit_update=False):
    optimizer = optax.adam(0.05)
    state = optimizer.init(params)
    update = jax.jit(optimizer.update) if jit_update else optimizer.update
    losses = []
    for _ in range(STEPS):
        value, grads = value_and_grad(params, *data)
        updates, state = update(grads, state, params)
        params = optax.apply_updates(params, updates)
        losses.append(float(value))
    return np.array(losses), params


LOSSES = {"log_softmax": loss, "unshifted": loss_unshifted}


@pytest.fixture(scope="module", params=sorted(LOSSES))
def setup(request):
    fun = LOSSES[request.param]
    inputs, targets, V = _data()
    data = (inputs, targets, np.zeros((B, D)))
    params = _initial_params(V)
    reference, reference_params = _train(jax.value_and_grad(fun), params, data)
    return fun, params, data, reference, reference_params


@pytest.mark.parametrize("optimize", [False, True], ids=["plain", "optimized"])
def test_training_with_grad_matches_jax(setup, optimize):
    fun, params, data, reference, reference_params = setup
    assert reference[-1] < 0.7 * reference[0], reference  # the task itself is learnable
    losses, trained = _train(sj.value_and_grad(fun, optimize=optimize), params, data)
    assert losses[-1] < 0.7 * losses[0], losses
    np.testing.assert_allclose(losses, reference, rtol=LOSS_RTOL)
    for name in trained:
        np.testing.assert_allclose(trained[name], reference_params[name], rtol=1e-6, atol=1e-9)


def test_training_with_compile_under_jit(setup):
    """The same loop, with scan_mlir.jax.compile inside jax.jit(jax.value_and_grad)."""
    fun, params, data, reference, _ = setup
    compiled_loss = sj.compile(fun)
    losses, _ = _train(jax.jit(jax.value_and_grad(compiled_loss)), params, data, jit_update=True)
    np.testing.assert_allclose(losses, reference, rtol=LOSS_RTOL)
    assert compiled_loss.cache_info().misses == 1
