"""Gluon cases runnable on MXNet 1.9.1 or on mxjax: ``Block.save``/``Block.load``,
Trainers over two contexts with their store ('local', 'device', None,
``update_on_kvstore``), and ``autograd.get_symbol`` through hybridized blocks.

Every function takes the library as ``mx`` and imports nothing but numpy and the
standard library, so ``generate_gluon_io.py`` records MXNet's results with the very code
the tests run on mxjax. Values come from numpy generators seeded by the case id.
"""

import zlib

import numpy as np


def rng_for(case_id):
    return np.random.default_rng(zlib.crc32(case_id.encode()))


# ---- Block.save / Block.load -------------------------------------------------------------
def save_net(mx):
    """A Block whose children are kept under keys of its own choosing (the block's name
    and position), holding another such Block and Dense layers: what ``Block.save`` is for.
    """

    class Holder(mx.gluon.nn.Block):
        def add(self, block):
            self._children[block.name + str(len(self._children))] = block

        def forward(self, x):
            for block in self._children.values():
                x = block(x)
            return x

    inner = Holder()
    inner.add(mx.gluon.nn.Dense(5, activation="tanh"))
    net = Holder()
    net.add(inner)
    net.add(mx.gluon.nn.Dense(3))
    return net


def save_input(mx):
    return mx.nd.array(rng_for("save:x").normal(size=(2, 4)))


def set_save_params(mx, net):
    """Seeded values for every parameter, in structural-name order."""
    rng = rng_for("save:params")
    net(save_input(mx))  # finishes the deferred shapes
    for _, param in sorted(net._collect_params_with_prefix().items()):
        param.set_data(mx.nd.array(rng.normal(size=param.shape)))


def model_structure(model):
    """``-model.json``'s content with each graph reduced to its nodes' ops and names."""
    import json

    out = {}
    for key, value in model.items():
        if isinstance(value, dict):
            out[key] = model_structure(value)
        elif key == "symbol":
            out[key] = [(n["op"], n["name"]) for n in json.loads(value)["nodes"]]
        elif key == "inputs":
            out[key] = [[n["name"] for n in json.loads(v)["nodes"]] for v in value]
        else:
            out[key] = value
    return out


# ---- Trainer over two contexts -----------------------------------------------------------
TRAINER_CASES = {
    # kvstore, update_on_kvstore, reload the parameters (params.load) after this step
    "device-default": ("device", None, None),
    "local-default": ("local", None, None),
    "device-no-update": ("device", False, None),
    "local-update": ("local", True, None),
    "none": (None, None, None),
    "device-reload": ("device", None, 1),
    "device-no-update-reload": ("device", False, 1),
}
CTXS = (0, 1)  # cpu(0), cpu(1)
STEPS = 3


def run_trainer_case(mx, cid, params_file):
    """Per step: the store's type, ``_update_on_kvstore`` and every context's weight and
    gradient; the two contexts see different batches, so their gradients differ."""
    kvstore, update_on_kvstore, reload_after = TRAINER_CASES[cid]
    rng = rng_for("trainer:" + cid)
    ctxs = [mx.cpu(i) for i in CTXS]
    params = mx.gluon.ParameterDict("case_")
    w = params.get("w", shape=(3, 4))
    params.initialize(mx.init.Constant(0.0), ctx=ctxs)
    w.set_data(mx.nd.array(rng.normal(size=(3, 4))))
    params.save(params_file)
    trainer = mx.gluon.Trainer(params, "sgd", {"learning_rate": 0.1, "momentum": 0.9,
                                               "wd": 0.01},
                               kvstore=kvstore, update_on_kvstore=update_on_kvstore)
    xs = [mx.nd.array(rng.normal(size=(4, 2)), ctx=c) for c in ctxs]
    record = []
    for step in range(STEPS):
        with mx.autograd.record():
            losses = [(mx.nd.dot(w.data(c), x) ** 2).sum() for c, x in zip(ctxs, xs)]
        for loss in losses:
            loss.backward()
        trainer.step(4)
        record.append({
            "kvstore": None if trainer._kvstore is None else trainer._kvstore.type,
            "update_on_kvstore": trainer._update_on_kvstore,
            "weights": [w.data(c).asnumpy() for c in ctxs],
            "grads": [w.grad(c).asnumpy() for c in ctxs],
        })
        if reload_after == step:
            params.load(params_file, ctx=ctxs)
            record[-1]["after_load"] = {"kvstore": trainer._kvstore is not None,
                                        "kv_initialized": trainer._kv_initialized}
    return record


# ---- autograd.get_symbol through a hybridized block ---------------------------------------
GET_SYMBOL_CASES = {
    # hybridize() keywords; None: not hybridized
    "inline-3": {"inline_limit": 3},
    "inline-4": {"inline_limit": 4},
    "inline-default": {},
    "inline-0": {"inline_limit": 0},
    "static-alloc": {"static_alloc": True, "inline_limit": 100},
    "imperative": None,
}


def get_symbol_nodes(mx, cid):
    """``(op, inputs as node positions)`` of each node of ``get_symbol`` of the output of
    three Dense layers (a BatchNorm between the first two)."""
    import json

    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(4), mx.gluon.nn.BatchNorm(), mx.gluon.nn.Dense(3),
                mx.gluon.nn.Dense(2))
    net.initialize()
    flags = GET_SYMBOL_CASES[cid]
    if flags is not None:
        net.hybridize(**flags)
    with mx.autograd.record():
        y = net(mx.nd.ones((2, 5)))
    nodes = json.loads(mx.autograd.get_symbol(y).tojson())["nodes"]
    y.backward()
    return [[n["op"], [i[0] for i in n["inputs"]]] for n in nodes]
