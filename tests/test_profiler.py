"""``mx.profiler``: MXNet 1.9.1's "Profile Statistics" texts (table and JSON, every sort
order, reset) for records with fixed numbers, from tests/reference/generate_profiler.py;
then what XLA lets mxjax observe: compiled programs (an operator run on its own under
its name, a captured step as one program), compilations, user ranges, pause/resume and
the Chrome trace file."""

import json
import os
import time

import pytest

import mxjax as mx
from mxjax import autograd, gluon, profiler
from tests.reference.generate_profiler import counters_only

GOLDENS = os.path.join(os.path.dirname(__file__), "reference", "goldens")
with open(os.path.join(GOLDENS, "profiler.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)["dumps"]


@pytest.fixture
def fresh_profiler(tmp_path):
    """Aggregating, recording programs, writing to tmp_path; stopped and emptied after."""
    profiler.set_config(profile_all=True, profile_symbolic=True, profile_imperative=True,
                        aggregate_stats=True, continuous_dump=True,
                        filename=str(tmp_path / "profile.json"))
    profiler.dumps(reset=True)
    profiler.dump(True)  # a new trace file
    yield tmp_path / "profile.json"
    profiler.set_state("stop")
    profiler.dumps(reset=True)
    profiler.dump(True)


def test_dumps_texts_match_mxnet(tmp_path):
    texts = counters_only(mx, str(tmp_path / "profile.json"))
    assert sorted(texts) == sorted(EXPECTED)
    for key, expected in EXPECTED.items():
        assert texts[key] == expected, key


def _json_stats():
    return json.loads(profiler.dumps(format="json"))


def test_operators_run_alone_are_programs_named_after_them(fresh_profiler):
    inp = mx.nd.zeros((100, 100))
    profiler.set_state("run")
    y = mx.nd.sqrt(inp)
    inp = inp + 1
    inp = inp + 1
    mx.nd.waitall()
    stats = _json_stats()
    operators = stats["Time"]["operator"]
    assert operators["sqrt"]["Count"] == 1
    assert operators["_plus_scalar"]["Count"] == 2
    assert {"Count", "Total", "Min", "Max", "Avg"} <= set(operators["sqrt"])
    assert stats["Unit"] == {"Time": "ms", "Memory": "kB"}
    del y


def test_a_captured_step_is_one_program_and_compiles_are_counted(fresh_profiler):
    net = gluon.nn.Dense(3, in_units=4)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    x = mx.nd.ones((2, 4))
    profiler.set_state("run")
    for _ in range(3):
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
        trainer.step(2)
    mx.nd.waitall()
    stats = _json_stats()
    operators = stats["Time"]["operator"]
    # per-operator time is not observable inside the step: no FullyConnected row
    assert "FullyConnected" not in operators and "dot" not in operators
    assert sum(v["Count"] for v in operators.values()) >= 3
    assert sum(v["Count"] for v in stats["Time"]["XLA compile"].values()) >= 1
    assert stats["Capture"]["runs"] >= 2
    assert "Step capture (mx.engine.compile_stats" in profiler.dumps()


def test_tasks_frames_events_counters_and_pause(fresh_profiler):
    domain = profiler.Domain("PythonDomain")
    task = domain.new_task("work")
    frame = domain.new_frame("iteration")
    event = profiler.Event("evt")
    profiler.set_state("run")
    task.start()
    frame.start()
    time.sleep(0.02)
    frame.stop()
    task.stop()
    profiler.pause()
    with event:  # paused: not recorded
        pass
    domain.new_counter("hidden", 3)
    profiler.resume()
    event.start()
    event.stop()
    stats = _json_stats()["Time"]
    assert stats["PythonDomain"]["work"]["Count"] == 1
    assert stats["PythonDomain"]["work"]["Total"] >= 20
    assert stats["PythonDomain,frame"]["iteration"]["Count"] == 1
    assert stats["event"]["evt"]["Count"] == 1
    assert "hidden" not in stats["PythonDomain"]


def test_dump_writes_a_chrome_trace_that_grows(fresh_profiler):
    domain = profiler.Domain("D")
    profiler.set_state("run")
    sizes = []
    for i in range(3):
        profiler.Marker(domain, f"start-{i}").mark("process")
        with domain.new_task("t"):
            mx.nd.ones((3,)).asnumpy()
        domain.new_counter("c", i)
        profiler.dump(False)
        sizes.append(os.path.getsize(fresh_profiler))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    with open(fresh_profiler, encoding="utf-8") as f:
        trace = json.load(f)
    assert trace["displayTimeUnit"] == "ms"
    phases = {}
    for ev in trace["traceEvents"]:
        phases.setdefault(ev["ph"], []).append(ev)
    assert {"M", "B", "E", "C", "i"} <= set(phases)
    assert len(phases["B"]) == len(phases["E"])
    assert {e["args"]["name"] for e in phases["M"]} >= {"D", "D,instant_marker"}
    assert [e["name"] for e in phases["i"]] == ["start-0", "start-1", "start-2"]


def test_bad_configuration_is_refused():
    with pytest.raises(mx.MXNetError, match="Cannot find argument 'bogus'"):
        profiler.set_config(bogus=1)
    with pytest.raises(AssertionError, match="Invalid value provided for format"):
        profiler.dumps(format="xml")


class _AddOne(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] + 1)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0])


@mx.operator.register("profiler_add_one")
class _AddOneProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=True)

    def infer_shape(self, in_shape):
        return [in_shape[0]], [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return _AddOne()


def test_custom_operators_and_the_programs_they_run(fresh_profiler):
    x = mx.nd.zeros((10, 10))
    x.attach_grad()
    profiler.set_state("run")
    with autograd.record():
        y = mx.nd.Custom(x, op_type="profiler_add_one")
    y.backward()
    mx.nd.waitall()
    custom = _json_stats()["Time"]["Custom Operator"]
    assert {"profiler_add_one::pure_python", "_backward_profiler_add_one::pure_python",
            "profiler_add_one::_plus_scalar"} <= set(custom)
    assert "_plus_scalar" not in _json_stats()["Time"].get("operator", {})
