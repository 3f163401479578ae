"""Training-step benchmarks: mxjax against hand-written pure JAX, in one process.

    python benchmarks/training.py [--steps 30] [--only W1,W2]

Variants of each workload: ``pure JAX`` (jax.jit + optax, donated buffers), ``op-by-op``
(un-hybridized Gluon with step capture off: ``mx.engine.capture(False)``), ``imperative``
(un-hybridized Gluon, captured: one XLA call per step), ``hybridized`` (captured too).
W1 and W4 also run d2l-style from scratch: parameters as NDArrays with ``attach_grad``,
manual SGD ``param[:] = param - lr * param.grad / batch_size`` (against plain SGD in pure
JAX). The table gives median step times (warm-up excluded), the ratio to the pure-JAX
step, the compiles during the timed steps (after 3 warm-up steps) and the bytes of device
arrays alive after the run. Workloads:

- W1: MLP 784-512-512-10, batch 128, SGD with momentum, softmax cross-entropy.
- W2: LeNet-style CNN on 1x28x28, batch 64, Adam.
- W3: 2-layer LSTM language model (embedding 10000x256, hidden 256, seq 35, batch 32),
  gradient clipping, SGD.
- W4: seed 000's tiny net (Dense(3), Dense(1), L2 loss, one sample): fixed overhead.
"""

import argparse
import functools
import gc
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import block, median_time  # noqa: E402

import mxjax as mx  # noqa: E402
from mxjax import autograd, gluon  # noqa: E402
from mxjax.gluon import nn, rnn  # noqa: E402


# ---- the workloads in mxjax ---------------------------------------------------------------
def mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(512, activation="relu"), nn.Dense(512, activation="relu"), nn.Dense(10))
    return net


def lenet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 5, activation="relu"), nn.MaxPool2D(2),
            nn.Conv2D(16, 5, activation="relu"), nn.MaxPool2D(2),
            nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
    return net


class LanguageModel(gluon.HybridBlock):
    def __init__(self, vocab=10000, hidden=256, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embedding = nn.Embedding(vocab, hidden)
            self.lstm = rnn.LSTM(hidden, num_layers=2, input_size=hidden)
            self.decoder = nn.Dense(vocab, flatten=False, in_units=hidden)

    def hybrid_forward(self, F, x):
        return self.decoder(self.lstm(self.embedding(x)))


def tiny():
    net = nn.HybridSequential()
    net.add(nn.Dense(units=3), nn.Dense(units=1))
    return net


def workloads(rs):
    seq, batch = 35, 32
    return {
        "W1": dict(net=mlp, x=rs.rand(128, 784), y=rs.randint(0, 10, 128),
                   loss=gluon.loss.SoftmaxCrossEntropyLoss(), opt="sgd",
                   opt_params={"learning_rate": 0.1, "momentum": 0.9},
                   scratch=(512, 512, 10), relu=True),
        "W2": dict(net=lenet, x=rs.rand(64, 1, 28, 28), y=rs.randint(0, 10, 64),
                   loss=gluon.loss.SoftmaxCrossEntropyLoss(), opt="adam",
                   opt_params={"learning_rate": 1e-3}),
        "W3": dict(net=LanguageModel, x=rs.randint(0, 10000, (seq, batch)),
                   y=rs.randint(0, 10000, (seq, batch)),
                   loss=gluon.loss.SoftmaxCrossEntropyLoss(), opt="sgd",
                   opt_params={"learning_rate": 1.0}, clip=0.25),
        "W4": dict(net=tiny, x=np.array([[0.5, 0.9]]), y=np.array([[1.5]]),
                   loss=gluon.loss.L2Loss(), opt="sgd", opt_params={"learning_rate": 0.1},
                   scratch=(3, 1)),
    }


def mxjax_step(spec, hybridize):
    net = spec["net"]()
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    x = mx.nd.array(spec["x"], dtype="int32" if spec["x"].dtype.kind == "i" else "float32")
    y = mx.nd.array(spec["y"])
    net(x)
    trainer = gluon.Trainer(net.collect_params(), spec["opt"], dict(spec["opt_params"]))
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    loss_fn, batch = spec["loss"], x.shape[1] if "clip" in spec else x.shape[0]

    def step():
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        if "clip" in spec:
            gluon.utils.clip_global_norm([p.grad() for p in params], spec["clip"] * batch)
        trainer.step(batch)
        return params[0].data()

    return step


def scratch_step(spec):
    """d2l-style: plain NDArray parameters, ``nd`` math, manual SGD (W1's MLP, W4's net)."""
    nd = mx.nd
    sizes = [spec["x"].shape[1], *spec["scratch"]]
    params = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        params += [nd.random.normal(scale=0.05, shape=(n_in, n_out)), nd.zeros(n_out)]
    for p in params:
        p.attach_grad()
    x, y = nd.array(spec["x"]), nd.array(spec["y"])
    lr, batch = spec["opt_params"]["learning_rate"], x.shape[0]
    relu = spec.get("relu", False)

    def net(h):
        for i in range(0, len(params), 2):
            h = nd.dot(h, params[i]) + params[i + 1]
            if relu and i + 2 < len(params):
                h = nd.relu(h)
        return h

    def loss(out):
        if spec["opt_params"].get("momentum"):  # W1: softmax cross-entropy, as d2l writes it
            return -nd.pick(nd.log_softmax(out), y)
        return (out - y.reshape(out.shape)) ** 2 / 2

    def step():
        with autograd.record():
            l_ = loss(net(x))
        l_.backward()
        for p in params:
            p[:] = p - lr * p.grad / batch
        return params[0]

    return step


# ---- the same workloads in hand-written JAX -------------------------------------------------
def _dense(key, n_in, n_out):
    return {"w": _normal(key, (n_in, n_out)), "b": jnp.zeros(n_out, jnp.float32)}


def _normal(key, shape, scale=0.05):
    # mxjax turns on JAX's x64 mode, so dtypes are spelled out to stay float32
    return jax.random.normal(key, shape, jnp.float32) * scale


def _softmax_ce(logits, labels):
    return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[..., None], -1).mean()


def jax_mlp(key):
    k = jax.random.split(key, 3)
    params = [_dense(k[0], 784, 512), _dense(k[1], 512, 512), _dense(k[2], 512, 10)]

    def loss(params, x, y):
        for layer in params[:-1]:
            x = jax.nn.relu(x @ layer["w"] + layer["b"])
        return _softmax_ce(x @ params[-1]["w"] + params[-1]["b"], y)

    return params, loss


def jax_lenet(key):
    k = jax.random.split(key, 5)
    params = {"c1": _normal(k[0], (6, 1, 5, 5), 0.1), "b1": jnp.zeros(6, jnp.float32),
              "c2": _normal(k[1], (16, 6, 5, 5), 0.1), "b2": jnp.zeros(16, jnp.float32),
              "d": [_dense(k[2], 256, 120), _dense(k[3], 120, 84), _dense(k[4], 84, 10)]}

    def conv_pool(x, w, b):
        x = jax.lax.conv_general_dilated(x, w, (1, 1), "VALID")
        x = jax.nn.relu(x + b[None, :, None, None])
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                     "VALID")

    def loss(params, x, y):
        x = conv_pool(conv_pool(x, params["c1"], params["b1"]), params["c2"], params["b2"])
        x = x.reshape(x.shape[0], -1)
        d = params["d"]
        x = jax.nn.relu(x @ d[0]["w"] + d[0]["b"])
        x = jax.nn.relu(x @ d[1]["w"] + d[1]["b"])
        return _softmax_ce(x @ d[2]["w"] + d[2]["b"], y)

    return params, loss


def jax_lstm_lm(key, vocab=10000, hidden=256):
    k = jax.random.split(key, 6)
    gates = (hidden, 4 * hidden)
    layer = [{"wi": _normal(k[i], gates), "wh": _normal(k[i + 2], gates),
              "b": jnp.zeros(4 * hidden, jnp.float32)} for i in range(2)]
    params = {"emb": _normal(k[4], (vocab, hidden)), "lstm": layer,
              "dec": _dense(k[5], hidden, vocab)}

    def run_layer(p, xs):
        def cell(carry, x):
            h, c = carry
            i, f, g, o = jnp.split(x @ p["wi"] + h @ p["wh"] + p["b"], 4, -1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h

        zeros = jnp.zeros((xs.shape[1], hidden), jnp.float32)
        return jax.lax.scan(cell, (zeros, zeros), xs)[1]

    def loss(params, x, y):
        h = params["emb"][x]
        for p in params["lstm"]:
            h = run_layer(p, h)
        return _softmax_ce(h @ params["dec"]["w"] + params["dec"]["b"], y)

    return params, loss


def jax_tiny(key):
    k = jax.random.split(key, 2)
    params = [_dense(k[0], 2, 3), _dense(k[1], 3, 1)]

    def loss(params, x, y):
        out = (x @ params[0]["w"] + params[0]["b"]) @ params[1]["w"] + params[1]["b"]
        return 0.5 * jnp.mean((out - y) ** 2)

    return params, loss


JAX_MODELS = {"W1": jax_mlp, "W2": jax_lenet, "W3": jax_lstm_lm, "W4": jax_tiny}


def jax_step(name, spec):
    params, loss = JAX_MODELS[name](jax.random.PRNGKey(0))
    opt = {"sgd": lambda p: optax.sgd(p["learning_rate"], p.get("momentum")),
           "adam": lambda p: optax.adam(p["learning_rate"])}[spec["opt"]](spec["opt_params"])
    if "clip" in spec:
        opt = optax.chain(optax.clip_by_global_norm(spec["clip"]), opt)
    state = opt.init(params)

    @jax.jit
    def update(params, state, x, y):
        grads = jax.grad(loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    update = jax.jit(update.__wrapped__, donate_argnums=(0, 1))
    x, y = jnp.asarray(spec["x"]), jnp.asarray(spec["y"])
    x = x.astype(jnp.float32) if x.dtype == jnp.float64 else x.astype(jnp.int32)
    y = y.astype(jnp.float32) if y.dtype == jnp.float64 else y.astype(jnp.int32)
    box = [params, state]

    def step():
        box[0], box[1] = update(box[0], box[1], x, y)
        return box[0]

    return step


def live_bytes():
    gc.collect()
    return sum(a.nbytes for a in jax.live_arrays())


def op_by_op(make):
    """A maker of ``make()``'s step that runs with step capture off."""

    def maker():
        with mx.engine.capture(False):
            step = make()

        def run():
            with mx.engine.capture(False):
                return step()

        return run

    return maker


def variants(name, spec):
    yield "pure JAX", functools.partial(jax_step, name, spec)
    yield "op-by-op", op_by_op(functools.partial(mxjax_step, spec, hybridize=False))
    yield "imperative", functools.partial(mxjax_step, spec, hybridize=False)
    yield "hybridized", functools.partial(mxjax_step, spec, hybridize=True)
    if "scratch" in spec:
        plain = dict(spec, opt_params={"learning_rate": spec["opt_params"]["learning_rate"]})
        yield "pure JAX sgd", functools.partial(jax_step, name, plain)
        yield "scratch eager", op_by_op(functools.partial(scratch_step, spec))
        yield "scratch", functools.partial(scratch_step, spec)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--only", default="W1,W2,W3,W4")
    args = parser.parse_args()
    rs = np.random.RandomState(0)
    specs = workloads(rs)
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; median of {args.steps} steps "
          "after 3 warm-up steps; ratios to the pure-JAX step above them")
    print(f"{'workload':<10}{'variant':<15}{'step':>12}{'vs JAX':>9}{'compiles':>10}"
          f"{'live MB':>10}")
    for name in args.only.split(","):
        base = None
        for label, make in variants(name, specs[name]):
            step = make()
            for _ in range(3):
                block(step())
            compiles = mx.engine.compile_stats()["compiles"]
            t = median_time(step, repeat=args.steps, warmup=0)
            if label.startswith("pure JAX"):
                base = t
            print(f"{name:<10}{label:<15}{t * 1e3:>10.3f}ms{t / base:>8.2f}x"
                  f"{mx.engine.compile_stats()['compiles'] - compiles:>10}"
                  f"{live_bytes() / 2**20:>10.1f}")
            del step
        sys.stdout.flush()


if __name__ == "__main__":
    main()
