"""Block, Parameter and hybridize behaviour specific to mxjax's design, plus the
MXNet-made parameter files (values in the fixtures come from MXNet 1.9.1)."""

import os
import warnings

import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd, gluon
from mxjax.gluon import nn

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "reference", "fixtures")


def _seed000_net():
    net = nn.HybridSequential()
    net.add(nn.Dense(units=3), nn.Dense(units=1))
    net.initialize()
    return net


@pytest.mark.parametrize("hybridize", [False, True])
def test_seed000_gradient_from_mxnet_parameter_file(hybridize):
    expected = np.load(os.path.join(FIXTURES, "seed000_expected.npz"))
    net = _seed000_net()
    net.load_parameters(os.path.join(FIXTURES, "seed000.params"))
    if hybridize:
        net.hybridize()
    x, y = mx.nd.array(expected["x"]), mx.nd.array(expected["y"])
    with autograd.record():
        loss = gluon.loss.L2Loss()(net(x), y)
    loss.backward()
    np.testing.assert_allclose(loss.asnumpy(), expected["loss"], rtol=1e-6)
    for name, p in net._collect_params_with_prefix().items():
        np.testing.assert_allclose(p.grad().asnumpy(), expected["grad:" + name], rtol=1e-5,
                                   atol=1e-7, err_msg=name)


def test_saved_parameters_are_byte_identical_to_mxnets(tmp_path):
    # Same bytes as the file MXNet wrote, so MXNet reads mxjax's files.
    net = _seed000_net()
    source = os.path.join(FIXTURES, "seed000.params")
    net.load_parameters(source)
    out = tmp_path / "again.params"
    net.save_parameters(str(out))
    with open(source, "rb") as f:
        assert out.read_bytes() == f.read()


def test_failed_load_changes_no_parameter(tmp_path):
    # MXNet 1.9.1 leaves the first layers loaded when a later one mismatches; mxjax does not.
    src = nn.HybridSequential()
    src.add(nn.Dense(4, in_units=3), nn.Dense(2, in_units=4))
    src.initialize()
    path = str(tmp_path / "src.params")
    src.save_parameters(path)
    dst = nn.HybridSequential()
    dst.add(nn.Dense(4, in_units=3), nn.Dense(5, in_units=4))
    dst.initialize(mx.init.One())
    before = {k: p.data().asnumpy() for k, p in dst.collect_params().items()}
    with pytest.raises(AssertionError, match="shape incompatible"):
        dst.load_parameters(path)
    for k, p in dst.collect_params().items():
        np.testing.assert_array_equal(p.data().asnumpy(), before[k], err_msg=k)


def test_data_before_deferred_init_explains_how_to_fix():
    layer = nn.Dense(3)
    layer.initialize()
    with pytest.raises(gluon.DeferredInitializationError, match="in_units"):
        layer.weight.data()


def test_wrong_feature_size_names_operator_and_shapes():
    layer = nn.Dense(3, in_units=4)
    layer.initialize()
    with pytest.raises(mx.MXNetError, match=r"FullyConnected.*\(2, 5\)"):
        layer(mx.nd.ones((2, 5)))


def test_hybridized_block_compiles_once_per_shape_and_warns_when_shapes_keep_changing():
    net = nn.HybridSequential()
    net.add(nn.Dense(4, in_units=3))
    net.initialize()
    net.hybridize()
    for _ in range(3):
        net(mx.nd.ones((2, 3)))
    assert net._cache_info()["compiles"] == 1
    assert net._cache_info()["calls"] == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for batch in range(3, 9):
            net(mx.nd.ones((batch, 3)))
    assert net._cache_info()["compiles"] == 7
    ours = [w for w in caught if "different input shapes" in str(w.message)]
    assert len(ours) == 1 and ours[0].filename == __file__
    assert "hybridized block" in str(ours[0].message) and "(6, 3)" in str(ours[0].message)


def test_hybridized_and_imperative_agree_with_shared_parameters():
    def build():
        net = nn.HybridSequential()
        shared = nn.Dense(4, in_units=4, activation="tanh")
        net.add(nn.Dense(4, in_units=3), shared, nn.Dense(4, params=shared.params, in_units=4))
        net.initialize(mx.init.Xavier())
        return net

    x = mx.nd.array(np.random.RandomState(0).rand(5, 3))
    results = []
    for hybrid in (False, True):
        mx.random.seed(0)
        net = build()
        if hybrid:
            net.hybridize()
        with autograd.record():
            y = net(x)
        y.backward()
        results.append((y.asnumpy(), net[1].weight.grad().asnumpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)


def test_parameter_grad_req_null_has_no_gradient():
    p = gluon.Parameter("w", shape=(2,), grad_req="null")
    p.initialize()
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.grad()


def test_download_never_fetches_and_says_where_to_put_the_file(tmp_path):
    target = tmp_path / "weights.params"
    with pytest.raises(mx.MXNetError, match="place it at .*weights.params"):
        gluon.utils.download("https://example.com/weights.params", path=str(target))
    target.write_bytes(b"x")
    assert gluon.utils.download("https://example.com/weights.params", str(target)) == \
        str(target)


class _Printing(nn.HybridBlock):
    """Prints what its hybrid_forward receives and computes, as hybridize tutorials do."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(4, in_units=3)
            self.scale = self.params.get("scale", shape=(4,), init=mx.init.One())
        self.seen = []

    def hybrid_forward(self, F, x, scale):
        print(x)
        print(scale)
        y = self.dense(x)
        print(y)
        z = F.relu(y) * scale
        print(repr(z + 1))
        try:
            z.asnumpy()
        except mx.base.NotImplementedForSymbol as e:
            self.seen.append(str(e))
        return z


def test_print_inside_a_hybridized_forward_shows_symbols(capsys):
    net = _Printing(prefix="printer_")
    net.initialize()
    x = mx.nd.ones((2, 3))
    eager = net(x).asnumpy()
    capsys.readouterr()
    assert not net.seen   # imperative: real values, asnumpy works
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-6)
    printed = capsys.readouterr().out.splitlines()
    # MXNet 1.9.1 prints <Symbol data>, <Symbol printer_scale>, <Symbol printer_dense0_fwd>
    # here; mxjax adds the shape, which it knows.
    assert printed[:4] == ["<Symbol data shape=(2, 3)>", "<Symbol printer_scale shape=(4,)>",
                           "<Symbol printer_dense0_fwd shape=(2, 4)>",
                           "<Symbol printer__plus_scalar0 shape=(2, 4)>"]
    assert net.seen and "asnumpy is not implemented for Symbol" in net.seen[0]
    assert "hybridize(False)" in net.seen[0]


def test_print_of_several_inputs_and_views_inside_a_hybridized_forward(capsys):
    class Two(nn.HybridBlock):
        def hybrid_forward(self, F, a, b):
            print(a, b, a[0])
            return a + b

    net = Two()
    net.hybridize()
    net(mx.nd.ones((2, 2)), mx.nd.ones((2, 2)))
    assert capsys.readouterr().out.splitlines()[0] == \
        "<Symbol data0 shape=(2, 2)> <Symbol data1 shape=(2, 2)> <Symbol shape=(2,)>"
