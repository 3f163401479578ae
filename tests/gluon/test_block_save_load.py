"""``Block.save`` / ``Block.load`` against files real MXNet 1.9.1 wrote
(tests/reference/generate_gluon_io.py): the same ``-model.json`` structure, and a model
saved by MXNet loads into mxjax (and back) with MXNet's output."""

import json
import os

import numpy as np

import mxjax as mx
from tests.reference import gluon_io_cases as cases
from tests.reference.generate_gluon_io import FIXTURE, JSON

with open(JSON, encoding="utf-8") as _f:
    GOLDEN = json.load(_f)["save"]


def _trained_net():
    with mx.name.NameManager():  # the names MXNet's fresh process gave
        net = cases.save_net(mx)
    net.initialize()
    cases.set_save_params(mx, net)
    net.hybridize()
    return net, net(cases.save_input(mx))


def _as_lists(value):
    return json.loads(json.dumps(value))


def test_save_writes_mxnets_structure(tmp_path):
    net, out = _trained_net()
    np.testing.assert_allclose(out.asnumpy(), GOLDEN["output"], rtol=1e-5, atol=1e-6)
    net.save(str(tmp_path / "m"))
    with open(tmp_path / "m-model.json") as f:
        assert _as_lists(cases.model_structure(json.load(f))) == GOLDEN["structure"]
    assert sorted(mx.nd.load(str(tmp_path / "m-model.params"))) == \
        sorted(mx.nd.load(FIXTURE + "-model.params"))


def test_load_a_model_mxnet_saved():
    with mx.name.NameManager():
        cases.save_net(mx)
        net = cases.save_net(mx)  # other names (holder3, dense2...), uninitialized
    assert net.name == "holder3"
    net.load(FIXTURE)
    out = net(cases.save_input(mx))
    np.testing.assert_allclose(out.asnumpy(), GOLDEN["output"], rtol=1e-5, atol=1e-6)
    # blocks get their saved names back, children their saved keys, and the blocks that
    # were hybridized are hybridized again
    assert net.name == "holder1"
    assert list(net._children) == ["holder00", "dense11"]
    inner_dense = net._children["holder00"]._children["dense00"]
    assert inner_dense.name == "dense0" and inner_dense._active
    assert sorted(inner_dense.params.keys()) == ["dense0_bias", "dense0_weight"]
    assert not inner_dense.act._active


def test_save_then_load_round_trip(tmp_path):
    net, out = _trained_net()
    net.save(str(tmp_path / "m"))
    again = cases.save_net(mx)
    again.load(str(tmp_path / "m"))
    np.testing.assert_array_equal(again(cases.save_input(mx)).asnumpy(), out.asnumpy())


def test_an_unhybridized_model_is_saved_without_graphs(tmp_path):
    net = cases.save_net(mx)
    net.initialize()
    net(cases.save_input(mx))
    net.save(str(tmp_path / "m"))
    with open(tmp_path / "m-model.json") as f:
        model = json.load(f)
    dense = model["holder0"]["dense4"]
    assert dense["hybridized"] is False and "symbol" not in dense
    assert os.path.exists(tmp_path / "m-model.params")
