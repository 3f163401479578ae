"""``mx.rnn`` (MXNet 1.x's legacy symbolic RNN cells) against MXNet 1.9.1 goldens
(tests/reference/generate_legacy_rnn.py)."""

import json
import os
import sys
import warnings

import numpy as np
import pytest

import mxjax as mx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "reference"))
import generate_legacy_rnn as gen  # noqa: E402

with open(gen.JSON) as _f:
    META = json.load(_f)
GOLD = np.load(gen.NPZ)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _close(actual, expected, key):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=key)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n.startswith("conv")
                                  else n for n in sorted(gen.CELLS)])
def test_cell_unroll(name):
    meta, arrays = gen.run_cell(mx, name)
    assert meta == META["cells"][name]
    for key, value in arrays.items():
        _close(value, GOLD[key], key)


def test_pack_unpack_and_unfuse():
    meta, arrays = gen.run_weights(mx)
    assert meta == META["weights"]
    for key, value in arrays.items():
        _close(value, GOLD[key], key)


def test_encode_sentences_and_bucket_iter():
    meta, arrays = gen.run_data(mx)
    assert json.loads(json.dumps(meta)) == META["data"]
    for key, value in arrays.items():
        np.testing.assert_array_equal(value, GOLD[key], err_msg=key)


def test_fused_and_unfused_agree_through_module():
    """Weights moved from a fused cell's Module to an unfused stack give its outputs."""
    fused = mx.rnn.FusedRNNCell(3, num_layers=2, mode="lstm", get_next_state=True, prefix="")
    stack = fused.unfuse()
    data = mx.sym.Variable("data")
    mods = []
    for cell in (fused, stack):
        out, _ = cell.unroll(2, data, layout="NTC", merge_outputs=True)
        mod = mx.mod.Module(out, label_names=None)
        mod.bind(data_shapes=[("data", (2, 2, 4))], label_shapes=None)
        mods.append(mod)
    mods[0].init_params()
    args, auxs = mods[0].get_params()
    mods[1].set_params(stack.pack_weights(fused.unpack_weights(args)), auxs)
    batch = mx.io.DataBatch(data=[mx.nd.array(np.arange(16).reshape(2, 2, 4) / 16)])
    outs = []
    for mod in mods:
        mod.forward(batch, is_train=False)
        outs.append(mod.get_outputs()[0].asnumpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)


def test_rnn_checkpoint_roundtrip(tmp_path):
    cell = mx.rnn.LSTMCell(2, prefix="c_")
    out, _ = cell.unroll(2, mx.sym.Variable("data"), merge_outputs=True)
    args = {"c_i2h_weight": mx.nd.ones((8, 3)), "c_i2h_bias": mx.nd.arange(8),
            "c_h2h_weight": mx.nd.ones((8, 2)) * 2, "c_h2h_bias": mx.nd.zeros(8)}
    prefix = str(tmp_path / "lstm")
    mx.rnn.save_rnn_checkpoint(cell, prefix, 3, out, args, {})
    saved = mx.nd.load(prefix + "-0003.params")
    assert "arg:c_i2h_f_bias" in saved and "arg:c_i2h_bias" not in saved
    np.testing.assert_array_equal(saved["arg:c_i2h_f_bias"].asnumpy(), [2, 3])
    sym, arg, aux = mx.rnn.load_rnn_checkpoint(cell, prefix, 3)
    assert sym.list_outputs() == out.list_outputs()
    for name, value in args.items():
        np.testing.assert_array_equal(arg[name].asnumpy(), value.asnumpy())


def test_cells_refuse_to_step():
    with pytest.raises(NotImplementedError):
        mx.rnn.FusedRNNCell(2)(mx.sym.Variable("x"), [])
    bi = mx.rnn.BidirectionalCell(mx.rnn.RNNCell(2, prefix="a_"), mx.rnn.RNNCell(2, prefix="b_"))
    with pytest.raises(NotImplementedError):
        bi(mx.sym.Variable("x"), [])
