"""Per-operator dispatch cost of ``mx.nd`` against raw ``jax.numpy``, and a recorded
forward+backward loop against the same loss under ``jax.jit(jax.grad)``.

    python benchmarks/eager_ops.py
"""

import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import median_time, print_table  # noqa: E402

import mxjax as mx  # noqa: E402


def dispatch_rows():
    x_np = np.random.RandomState(0).rand(64, 64).astype(np.float32)
    x, xj = mx.nd.array(x_np), jnp.asarray(x_np)
    w = mx.nd.array(x_np)
    w.attach_grad()
    cases = [
        ("exp", lambda: mx.nd.exp(x), lambda: jnp.exp(xj)),
        ("x + y (broadcast_add)", lambda: x + x, lambda: xj + xj),
        ("x * 2.5 (_mul_scalar)", lambda: x * 2.5, lambda: xj * 2.5),
        ("sum(axis=1)", lambda: mx.nd.sum(x, axis=1), lambda: jnp.sum(xj, axis=1)),
        ("dot", lambda: mx.nd.dot(x, x), lambda: jnp.dot(xj, xj)),
        ("x[1:3] (view read)", lambda: x[1:3] + 0, lambda: xj[1:3] + 0),
    ]
    rows = [(name, median_time(ours), median_time(base)) for name, ours, base in cases]

    def recorded_exp():
        with mx.autograd.record():
            return mx.nd.exp(w)

    rows.append(("exp under autograd.record", median_time(recorded_exp),
                 median_time(lambda: jnp.exp(xj))))
    return rows


def backward_rows():
    rs = np.random.RandomState(1)
    x_np = rs.rand(32, 16).astype(np.float32)
    w_np = rs.rand(16, 8).astype(np.float32)
    x, w = mx.nd.array(x_np), mx.nd.array(w_np)
    w.attach_grad()

    def mx_step():
        with mx.autograd.record():
            h = mx.nd.tanh(mx.nd.dot(x, w))
            loss = (h * h).sum()
        loss.backward()
        return w.grad

    def loss_fn(w, x):
        h = jnp.tanh(x @ w)
        return jnp.sum(h * h)

    grad_fn = jax.jit(jax.grad(loss_fn))
    xj, wj = jnp.asarray(x_np), jnp.asarray(w_np)
    return [("record -> backward (4 ops)", median_time(mx_step, repeat=100),
             median_time(lambda: grad_fn(wj, xj), repeat=100))]


def main():
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; medians, warm-up excluded")
    print_table("Eager dispatch per op (64x64 float32)", dispatch_rows(), "jax eager")
    print_table("Recorded forward + backward", backward_rows(), "jit(grad)")


if __name__ == "__main__":
    main()
