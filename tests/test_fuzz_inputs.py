"""The bad-input corpus (``fuzz_corpus.py``, fixed seed): every damaged or hostile file
and every bad operator argument gives a clear error of the expected class and message,
changes nothing (a network's parameters, a Trainer's states) and runs nothing (a hostile
pickle never executes)."""

import builtins
import json
import os
import re
import tempfile

import numpy as np
import pytest

import mxjax as mx
from mxjax.base import MXNetError
from tests import fuzz_corpus

SENTINEL = os.path.join(tempfile.gettempdir(), f"mxjax-fuzz-ran-{os.getpid()}")
CASES = fuzz_corpus.cases(SENTINEL)
ERRORS = {"MXNetError": MXNetError, "IndexError": IndexError, "ValueError": ValueError,
          "RuntimeError": RuntimeError, "AssertionError": AssertionError}


def test_corpus_is_large_and_covers_every_kind():
    kinds = {c.kind for c in CASES}
    assert kinds == {"nd", "params", "json", "states", "recordio", "op"}
    assert len(CASES) >= 300
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def net_and_trainer():
    net = mx.gluon.nn.Dense(3, in_units=4)
    net.initialize(mx.init.Uniform(1.0))
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"momentum": 0.9,
                                                             "learning_rate": 0.1})
    with mx.autograd.record():
        loss = net(mx.nd.ones((2, 4))).sum()
    loss.backward()
    trainer.step(2)
    return net, trainer


def _snapshot(net, trainer):
    params = {k: p.data().asnumpy().copy() for k, p in net.collect_params().items()}
    states = {k: v.asnumpy().copy() for k, v in trainer._updaters[0].states.items()}
    return params, states, trainer._updaters[0].optimizer, trainer.learning_rate


def _same(before, after):
    (p0, s0, opt0, lr0), (p1, s1, opt1, lr1) = before, after
    assert p0.keys() == p1.keys() and s0.keys() == s1.keys()
    for k in p0:
        np.testing.assert_array_equal(p0[k], p1[k])
    for k in s0:
        np.testing.assert_array_equal(s0[k], s1[k])
    assert opt0 is opt1 and lr0 == lr1


# ---- runners: each feeds one case's bad input to mxjax -----------------------------------
def _run_nd(case, path, _):
    path.write_bytes(case.data)
    mx.nd.load(str(path))


def _run_params(case, path, net_and_trainer):
    path.write_bytes(case.data)
    net_and_trainer[0].load_parameters(str(path))


def _run_json(case, path, _):
    path.write_text(case.data, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(ERRORS[case.error], match=case.pattern):
        mx.sym.load(str(path))  # the same checks through the file reader
    mx.sym.load_json(case.data)


def _run_states(case, path, net_and_trainer):
    path.write_bytes(case.data)
    net_and_trainer[1].load_states(str(path))


def _run_recordio(case, path, _):
    if isinstance(case.data, tuple):  # a damaged index beside a good file
        path.write_bytes(fuzz_corpus.GOOD_REC)
        index = path.with_suffix(".idx")
        index.write_text(case.data[1])
        mx.recordio.MXIndexedRecordIO(str(index), str(path), "r")
        return
    path.write_bytes(case.data)
    reader = mx.recordio.MXRecordIO(str(path), "r")
    try:
        while reader.read() is not None:
            pass
    finally:
        reader.close()


_X = mx.nd.arange(4)
_IMG = mx.nd.ones((1, 1, 6, 6))
_CONV = dict(kernel=(3, 3), num_filter=2)


def _run_op(case, _path, _net):
    name, args = case.data
    if name == "FullyConnected":
        mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.ones(4),
                             **{k: v for k, v in args.items() if v is not None})
    elif name == "Convolution":
        mx.nd.Convolution(_IMG, mx.nd.ones((2, 1, 3, 3)), mx.nd.ones(2), **{**_CONV, **args})
    elif name == "arange":
        mx.nd.arange(**args)
    elif name == "ones":
        with mx.autograd.record():
            mx.nd.ones(args["shape"])
    elif name == "take":
        mx.nd.take(_X, mx.nd.array([args["index"]]), mode="raise").wait_to_read()
    elif name == "gather_nd":
        mx.nd.gather_nd(_X, mx.nd.array([[args["index"]]])).wait_to_read()
    elif name == "fc_dtype":
        mx.nd.FullyConnected(mx.nd.ones((2, 3), dtype=args["dtype"]), mx.nd.ones((4, 3)),
                             mx.nd.ones(4), num_hidden=4).wait_to_read()
    elif name == "setitem":
        target = mx.nd.zeros((3, 4))
        before = target.asnumpy()
        try:
            target[1:3] = mx.nd.ones(args["shape"])
        finally:
            np.testing.assert_array_equal(target.asnumpy(), before)


RUNNERS = {"nd": _run_nd, "params": _run_params, "json": _run_json, "states": _run_states,
           "recordio": _run_recordio, "op": _run_op}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused(case, tmp_path, net_and_trainer, monkeypatch):
    before = _snapshot(*net_and_trainer)
    opened = []
    real_open = builtins.open

    def watch_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            opened.append(file)
        return real_open(file, mode, *args, **kwargs)

    path = tmp_path / "input"
    if os.path.exists(SENTINEL):
        os.rmdir(SENTINEL) if os.path.isdir(SENTINEL) else os.unlink(SENTINEL)
    monkeypatch.setattr(builtins, "open", watch_open)
    with pytest.raises(ERRORS[case.error]) as info:
        RUNNERS[case.kind](case, path, net_and_trainer)
    monkeypatch.undo()
    assert re.search(case.pattern, str(info.value)), (case.pattern, str(info.value))
    assert not os.path.exists(SENTINEL), "a hostile file ran code"
    # nothing written but the input files themselves
    assert all(str(f) in (str(path), str(path.with_suffix(".idx"))) for f in opened), opened
    _same(before, _snapshot(*net_and_trainer))


def test_imports_refuses_a_bad_graph_before_reading_parameters(tmp_path):
    graph = fuzz_corpus.base_graph()
    graph["nodes"][3]["inputs"][0][0] = -1  # would silently read the last node
    (tmp_path / "net-symbol.json").write_text(json.dumps(graph))
    with pytest.raises(MXNetError, match="node #3 'fc'.*input 0 refers to node -1"):
        mx.gluon.SymbolBlock.imports(str(tmp_path / "net-symbol.json"), ["x"],
                                     str(tmp_path / "missing.params"))
