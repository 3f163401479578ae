"""``mx.viz`` against MXNet 1.9.1: ``print_summary``'s table character for character
(column stops, parameter counts with MXNet's quirks, ``Total params``) and
``plot_network``'s graph (nodes, labels, colours, edge labels, the repeated-name
warning), from the cases of ``tests/reference/generate_viz.py``."""

import contextlib
import io
import json
import os
import warnings

import graphviz
import pytest

import mxjax as mx
from tests.reference.generate_viz import CASES, normalized, summaries

GOLDENS = os.path.join(os.path.dirname(__file__), "reference", "goldens")
with open(os.path.join(GOLDENS, "viz.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)


@pytest.mark.parametrize("name", list(CASES))
def test_print_summary_matches_mxnet(name):
    assert summaries(mx, name) == EXPECTED["summary"][name]


def _replayed(calls):
    """The Digraph MXNet built, rebuilt from its recorded calls with this graphviz."""
    (_, title, save_format), *rest = calls
    dot = graphviz.Digraph(name=title, format=save_format)
    for kind, *args in rest:
        if kind == "node":
            dot.node(name=args[0], label=args[1], **args[2])
        else:
            dot.edge(tail_name=args[0], head_name=args[1], **args[2])
    return dot


@pytest.mark.parametrize("name", list(CASES))
def test_plot_network_matches_mxnet(name):
    with mx.name.NameManager():
        sym, _, plot_kwargs = CASES[name](mx)
    for kwargs, (calls, messages) in zip(plot_kwargs, EXPECTED["plot"][name], strict=True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dot = mx.viz.plot_network(sym, **kwargs)
        assert isinstance(dot, graphviz.Digraph)
        expected = _replayed(calls)
        assert dot.source == expected.source
        assert (dot.name, dot.format) == (expected.name, expected.format)
        assert [normalized(w.message) for w in caught] == messages


def test_rendering_without_dot_says_what_to_install(tmp_path, monkeypatch):
    dot = mx.viz.plot_network(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2))
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program anywhere
    for render in (lambda: dot.pipe(format="svg"), lambda: dot.render(tmp_path / "net")):
        with pytest.raises(graphviz.ExecutableNotFound, match="apt-get install graphviz"):
            render()


def test_summary_rejects_what_is_not_a_symbol():
    with pytest.raises(TypeError, match="symbol must be Symbol"):
        mx.viz.print_summary(mx.nd.ones((2,)))
    with pytest.raises(TypeError, match="symbol must be a Symbol"):
        mx.viz.plot_network("data")


def test_summary_absolute_positions_cut_long_fields():
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="a_rather_long_name")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        mx.viz.print_summary(sym, positions=(10, 20, 25, 30), line_length=30)
    rows = out.getvalue().splitlines()
    assert rows[3] == "data(null)" + " " * 10 + "0" + " " * 9
    assert rows[5].startswith("a_rather_l") and len(rows[5]) == 30
