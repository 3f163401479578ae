"""``gluon.rnn`` cells and layers on Symbols, ``_unfuse`` and a fused layer's
``infer_shape``, against MXNet 1.9.1 (``tests/reference/generate_rnn_symbolic.py``).

A cell unrolled on ``mx.sym`` variables must give MXNet's output and argument names, the
shapes ``infer_shape`` finds from the data shapes alone (the default begin states take
their batch size from the data) and the values ``eval`` computes; exported graphs of
cells and fused layers must load back.
"""

import json
import os

import numpy as np
import pytest

import mxjax as mx
import mxjax.gluon.contrib.rnn  # noqa: F401  (mx.gluon.contrib.rnn)
from tests.reference.generate_rnn_symbolic import ALL, run

GOLDENS = os.path.join(os.path.dirname(__file__), os.pardir, "reference", "goldens")
with np.load(os.path.join(GOLDENS, "rnn_symbolic.npz")) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
with open(os.path.join(GOLDENS, "rnn_symbolic.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)


def test_goldens_cover_every_case():
    assert set(EXPECTED) == set(ALL)


@pytest.mark.parametrize("case_id", sorted(ALL))
def test_matches_mxnet(case_id):
    arrays, meta = run(mx, case_id)
    assert meta == EXPECTED[case_id]
    prefix = case_id + ":"
    golden = {k[len(prefix):]: v for k, v in ARRAYS.items() if k.startswith(prefix)}
    assert set(arrays) == set(golden)
    for k, v in golden.items():
        np.testing.assert_allclose(arrays[k], v, rtol=1e-5, atol=1e-6, err_msg=k)


def test_symbolic_begin_state_follows_the_batch_size():
    """One unrolled graph serves every batch size, as MXNet's 0-sized begin states do."""
    cell = mx.gluon.rnn.GRUCell(4, prefix="g_")
    out, states = cell.unroll(2, mx.sym.var("data"), layout="NTC", merge_outputs=True)
    for batch in (1, 5):
        _, outs, _ = mx.sym.Group([out] + states).infer_shape(data=(batch, 2, 3))
        assert outs == [(batch, 2, 4), (batch, 4)]


def test_begin_state_passes_name_and_layout_to_func():
    cell = mx.gluon.rnn.LSTMCell(3, prefix="c_")
    states = cell.begin_state(func=mx.sym.var)
    assert [s.name for s in states] == ["c_begin_state_0", "c_begin_state_1"]
    assert states[0].attr("__layout__") == "NC"
    layer = mx.gluon.rnn.LSTM(3, prefix="l_")
    assert [s.name for s in layer.begin_state(func=mx.sym.var)] == ["l_h0_0", "l_h0_1"]


def test_unroll_rejects_a_grouped_symbol():
    cell = mx.gluon.rnn.RNNCell(3)
    grouped = mx.sym.Group([mx.sym.var("a"), mx.sym.var("b")])
    with pytest.raises(AssertionError, match="grouped symbol"):
        cell.unroll(2, grouped)


def test_unfuse_refuses_projection():
    with pytest.raises(AssertionError, match="projection"):
        mx.gluon.rnn.LSTM(4, projection_size=2)._unfuse()


@pytest.mark.parametrize("make", [
    lambda: mx.gluon.rnn.LSTM(4, 2, layout="NTC", bidirectional=True),
    lambda: mx.gluon.rnn.GRU(3, layout="NTC"),
], ids=["lstm", "gru"])
def test_exported_fused_layer_loads_back(tmp_path, make):
    net = mx.gluon.nn.HybridSequential()
    net.add(make())
    net.initialize(mx.init.Uniform(0.5))
    net.hybridize()
    x = mx.nd.array(np.random.RandomState(0).randn(2, 3, 5))
    expected = net(x).asnumpy()
    net.export(str(tmp_path / "net"))
    block = mx.gluon.SymbolBlock.imports(str(tmp_path / "net-symbol.json"), ["data"],
                                         str(tmp_path / "net-0000.params"))
    np.testing.assert_allclose(block(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)
