"""``HybridBlock.export``, ``SymbolBlock`` and ``hybrid_forward`` with ``F = mx.sym``.

MXNet 1.9.1 exported the net of ``tests/reference/generate_symbol.py`` (fixtures
``symbol_export-*``): mxjax must write the same two files for the same net, load MXNet's
files and give MXNet's outputs and gradients. A layer run eagerly (``F = nd``),
hybridized, and through its symbolic graph (``F = sym``) must agree.
"""

import os

import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd, nd
from mxjax.gluon import nn
from tests.reference.generate_symbol import export_net

HERE = os.path.dirname(__file__)
FIXTURE = os.path.join(HERE, os.pardir, "reference", "fixtures", "symbol_export")
with np.load(os.path.join(HERE, os.pardir, "reference", "goldens", "symbol.npz")) as _npz:
    GOLDEN = {k[len("export:"):]: _npz[k] for k in _npz.files if k.startswith("export:")}


def _read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def test_export_writes_mxnets_files(tmp_path):
    with mx.name.NameManager():
        net, x = export_net(mx)
        np.testing.assert_allclose(net(x).asnumpy(), GOLDEN["out"], rtol=1e-5, atol=1e-6)
        net.export(str(tmp_path / "net"), epoch=3)
    assert _read(tmp_path / "net-symbol.json") == _read(FIXTURE + "-symbol.json")
    assert _read(tmp_path / "net-0003.params", "rb") == _read(FIXTURE + "-0000.params", "rb")


def test_export_needs_a_hybridized_forward(tmp_path):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    with pytest.raises(RuntimeError, match="hybridize"):
        net.export(str(tmp_path / "net"))
    net.hybridize()
    with pytest.raises(RuntimeError, match="forward"):
        net.export(str(tmp_path / "net"))


def test_imports_mxnets_export_gives_mxnets_outputs_gradients_and_statistics():
    block = mx.gluon.SymbolBlock.imports(FIXTURE + "-symbol.json", ["data"],
                                         FIXTURE + "-0000.params")
    x = nd.array(GOLDEN["x"])
    np.testing.assert_allclose(block(x).asnumpy(), GOLDEN["out"], rtol=1e-5, atol=1e-6)
    with autograd.record():
        loss = (block(x) ** 2).sum()
    loss.backward()
    got = {}
    for p in block.collect_params().values():
        key = "grad" if p.grad_req != "null" else "after"
        got[f"{key}:{p.name}"] = (p.grad() if key == "grad" else p.data()).asnumpy()
    assert sorted(got) == sorted(k for k in GOLDEN if k not in ("x", "out"))
    for key, value in got.items():
        np.testing.assert_allclose(value, GOLDEN[key], rtol=1e-4, atol=1e-5, err_msg=key)


def _bn_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3), nn.BatchNorm(in_channels=4), nn.Activation("relu"),
                nn.Dense(2, in_units=4))
    net.initialize(mx.init.Xavier())
    return net


def _train_step(block, x):
    with autograd.record():
        loss = (block(x) ** 2).sum()
    loss.backward()
    params = block.collect_params().values()
    return ({p.name: p.grad().asnumpy() for p in params if p.grad_req != "null"},
            {p.name: p.data().asnumpy() for p in params if p.grad_req == "null"})


@pytest.mark.parametrize("hybridize", [False, True])
def test_own_export_imports_back_and_trains_like_the_original(tmp_path, hybridize):
    net = _bn_net()
    net.hybridize()
    x = nd.array(np.random.RandomState(0).uniform(-1, 1, (5, 3)))
    expected = net(x).asnumpy()
    net.export(str(tmp_path / "bn"))
    block = mx.gluon.SymbolBlock.imports(str(tmp_path / "bn-symbol.json"), "data",
                                         str(tmp_path / "bn-0000.params"))
    if hybridize:
        block.hybridize()
    np.testing.assert_allclose(block(x).asnumpy(), expected, rtol=1e-6)
    grads, stats = _train_step(net, x)
    block_grads, block_stats = _train_step(block, x)
    for name in grads:
        np.testing.assert_allclose(block_grads[name], grads[name], rtol=1e-5, atol=1e-6)
    for name in stats:  # BatchNorm's running statistics, updated by backward
        np.testing.assert_allclose(block_stats[name], stats[name], rtol=1e-6)
    if hybridize:
        block(x)
        assert block._cache_info()["compiles"] == 2  # predict + train, once each


def _symbolic(net, x):
    """``net`` traced with ``F = mx.sym`` and run through an executor on the block's
    parameter values."""
    out = net(mx.sym.var("data"))
    params = {p.name: p.data() for p in net.collect_params().values()}
    ex = out.bind(mx.cpu(), {"data": x, **{n: params[n] for n in out.list_arguments()
                                           if n != "data"}},
                  aux_states={n: params[n] for n in out.list_auxiliary_states()})
    return ex.forward()[0].asnumpy()


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Dense(3, activation="relu", in_units=4), (2, 4)),
    (lambda: nn.Conv2D(2, 3, padding=1, in_channels=2), (1, 2, 5, 5)),
    (lambda: nn.BatchNorm(in_channels=3), (2, 3, 4)),
    (lambda: nn.LayerNorm(in_channels=4), (2, 4)),
    (lambda: nn.Embedding(5, 3), (2, 2)),
    (_bn_net, (5, 3)),
], ids=["dense", "conv", "batchnorm", "layernorm", "embedding", "sequential"])
def test_eager_hybridized_and_symbolic_agree(make, shape):
    net = make()
    net.initialize(mx.init.Uniform(1.0), force_reinit=True)
    rng = np.random.RandomState(1)
    x = nd.array(rng.randint(0, 5, shape) if isinstance(net, nn.Embedding)
                 else rng.uniform(-1, 1, shape))
    eager = net(x).asnumpy()
    np.testing.assert_allclose(_symbolic(net, x), eager, rtol=1e-5, atol=1e-6)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-5, atol=1e-6)


def test_parameter_var_carries_mxnets_attributes():
    p = mx.gluon.Parameter("w", shape=(2, 3), lr_mult=2.0, init="zeros")
    v = p.var()
    assert v is p.var() and v.name == "w"
    assert v.list_attr() == {"__shape__": "(2, 3)", "__dtype__": "0", "__lr_mult__": "2.0",
                             "lr_mult": "2.0", "__wd_mult__": "1.0", "wd_mult": "1.0",
                             "__init__": "zeros", "__storage_type__": "0"}


def test_symbol_block_on_internals_with_shared_parameters():
    net = _bn_net()
    out = net(mx.sym.var("data"))
    internals = out.get_internals()
    name = net.prefix + "relu0_fwd_output"
    features = mx.gluon.SymbolBlock(internals[name], mx.sym.var("data"),
                                    params=net.collect_params())
    x = nd.array(np.random.RandomState(2).uniform(-1, 1, (3, 3)))
    expected = net[2](net[1](net[0](x))).asnumpy()
    np.testing.assert_allclose(features(x).asnumpy(), expected, rtol=1e-6)
    assert features.collect_params()[net.prefix + "dense0_weight"] is net[0].weight
    assert "SymbolBlock" in repr(features)


def test_symbol_block_infers_deferred_shapes_and_composes_symbolically():
    data = mx.sym.var("data")
    out = mx.sym.FullyConnected(data, num_hidden=2, name="fc") + mx.sym.var("offset")
    block = mx.gluon.SymbolBlock([out, mx.sym.relu(out)], data)
    block.initialize()
    first, second = block(nd.ones((4, 3)))
    assert block.collect_params()["fc_weight"].shape == (2, 3)
    assert block.collect_params()["offset"].shape == (4, 2)
    np.testing.assert_allclose(second.asnumpy(), np.maximum(first.asnumpy(), 0))
    composed = block(mx.sym.var("x"))
    assert isinstance(composed, list) and composed[0].list_arguments()[0] == "x"
    with pytest.raises(AssertionError, match="variable"):
        mx.gluon.SymbolBlock(out, mx.sym.relu(data))
