"""KVStore cases run the same way on MXNet 1.9.1 (``generate_kvstore.py``) and on mxjax
(``tests/test_kvstore.py``): sums over four contexts, 2-bit gradient compression with its
residual, and optimizers run by the store. numpy + stdlib only; ``mx`` is passed in.

Each case returns ``{name: numpy array}``: the values pulled after each push.
"""

import numpy as np

NUM_CTX = 4


def _ctxs(mx, n=NUM_CTX):
    return [mx.cpu(i) for i in range(n)]


def _values(mx, rng, shape, n, scale=1.0):
    return [mx.nd.array(rng.standard_normal(shape) * scale, ctx=c) for c in _ctxs(mx, n)]


def _pull(mx, kv, key, shape, n=NUM_CTX):
    outs = [mx.nd.zeros(shape, ctx=c) for c in _ctxs(mx, n)]
    kv.pull(key, out=outs)
    return [o.asnumpy() for o in outs]


def sum_device(mx):
    """'device': one key, then a list of keys, each pushed from four contexts."""
    rng = np.random.RandomState(0)
    kv = mx.kv.create("device")
    kv.init(3, mx.nd.zeros((4, 5)))
    kv.init([5, 7], [mx.nd.zeros((2, 3)), mx.nd.zeros((6,))])
    out = {}
    kv.push(3, _values(mx, rng, (4, 5), NUM_CTX))
    out["key3"] = np.stack(_pull(mx, kv, 3, (4, 5)))
    kv.push([5, 7], [_values(mx, rng, (2, 3), NUM_CTX), _values(mx, rng, (6,), NUM_CTX)])
    out["key5"] = np.stack(_pull(mx, kv, 5, (2, 3)))
    out["key7"] = np.stack(_pull(mx, kv, 7, (6,)))
    return out


def compression(mx):
    """2-bit compression ('device', threshold 0.5 then the default): three pushes from two
    contexts and one from a single context, each followed by a pull."""
    rng = np.random.RandomState(1)
    out = {}
    settings = (("t05", {"type": "2bit", "threshold": 0.5}), ("default", {"type": "2bit"}))
    for name, params in settings:
        kv = mx.kv.create("device")
        kv.set_gradient_compression(params)
        kv.init("w", mx.nd.zeros((3, 7)))
        for step in range(3):
            kv.push("w", _values(mx, rng, (3, 7), 2, scale=0.4))
            out[f"{name}:{step}"] = _pull(mx, kv, "w", (3, 7), 1)[0]
        kv.init("v", mx.nd.zeros((20,)))
        kv.push("v", _values(mx, rng, (20,), 1, scale=0.7)[0])
        out[f"{name}:single"] = _pull(mx, kv, "v", (20,), 1)[0]
    return out


def sgd_store(mx):
    """'local' with SGD (momentum, wd, rescale_grad): weights of two int keys pulled after
    each of three pushes from two contexts."""
    rng = np.random.RandomState(2)
    kv = mx.kv.create("local")
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01,
                                      rescale_grad=0.5))
    shapes = {0: (3, 4), 1: (5,)}
    kv.init([0, 1], [mx.nd.array(rng.standard_normal(s)) for s in shapes.values()])
    out = {}
    for step in range(3):
        kv.push([0, 1], [_values(mx, rng, s, 2) for s in shapes.values()])
        for key, shape in shapes.items():
            out[f"{key}:{step}"] = _pull(mx, kv, key, shape, 1)[0]
    return out


def adam_store(mx):
    """'device' with Adam, str keys, pushpull into two contexts."""
    rng = np.random.RandomState(3)
    kv = mx.kv.create("device")
    kv.set_optimizer(mx.optimizer.Adam(learning_rate=0.01, wd=0.001))
    kv.init(["a", "b"], [mx.nd.array(rng.standard_normal((2, 3))),
                         mx.nd.array(rng.standard_normal((4,)))])
    out = {}
    for step in range(3):
        grads = [_values(mx, rng, (2, 3), 2), _values(mx, rng, (4,), 2)]
        outs = [[mx.nd.zeros((2, 3), ctx=c) for c in _ctxs(mx, 2)],
                [mx.nd.zeros((4,), ctx=c) for c in _ctxs(mx, 2)]]
        kv.pushpull(["a", "b"], grads, out=outs)
        for key, pulled in zip("ab", outs):
            out[f"{key}:{step}"] = np.stack([o.asnumpy() for o in pulled])
    return out


CASES = {"sum_device": sum_device, "compression": compression, "sgd_store": sgd_store,
         "adam_store": adam_store}
