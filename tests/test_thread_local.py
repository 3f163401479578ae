"""Per-thread state, as in MXNet 1.9.1: the default context (``Context.default_ctx``),
``AttrScope.current``, ``NameManager.current`` and Gluon's block name scopes."""

import threading

import pytest

import mxjax as mx
from mxjax.attribute import AttrScope
from mxjax.context import Context
from mxjax.gluon import block
from mxjax.name import NameManager


def _in_thread(fn):
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


@pytest.mark.filterwarnings("ignore:Context.default_ctx is deprecated")
def test_default_context_is_per_thread():
    with pytest.warns(DeprecationWarning, match="default_ctx is deprecated"):
        assert Context.default_ctx == mx.cpu(0)

    def other():
        Context.default_ctx = mx.gpu(11)
        return Context.default_ctx

    assert _in_thread(other) == mx.gpu(11)
    assert Context.default_ctx == mx.cpu(0)
    with mx.cpu(3):
        assert Context.default_ctx == mx.cpu(3) == mx.context.current_context()
        assert _in_thread(lambda: Context.default_ctx) == mx.cpu(0)


def test_attr_scope_and_name_manager_are_per_thread():
    saved_attr, saved_names = AttrScope.current, NameManager.current
    try:
        AttrScope.current = AttrScope(y="hi")
        NameManager.current = NameManager()
        NameManager.current.get(None, "main")

        def other():
            return AttrScope.current._attr, dict(NameManager.current._counter)

        attrs, counter = _in_thread(other)
        assert attrs == {} and "main" not in counter
        assert AttrScope.current._attr == {"y": "hi"}
        assert mx.sym.var("v").attr("y") == "hi"
        assert mx.sym.var("w", attr={"y": "mine"}).attr("y") == "mine"
    finally:
        AttrScope.current, NameManager.current = saved_attr, saved_names


def test_block_scopes_are_per_thread():
    class Dummy:
        prefix = "spawned_"
        _empty_prefix = False

    started, done = threading.Event(), threading.Event()
    names = []

    def other():
        with block._BlockScope(Dummy()):
            started.set()
            done.wait()
            names.append(NameManager.current.get(None, "hello"))

    thread = threading.Thread(target=other)
    thread.start()
    started.wait()
    assert NameManager.current.get(None, "main_hint").startswith("main_hint")
    done.set()
    thread.join()
    assert names == ["spawned_hello0"]
