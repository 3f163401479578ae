"""mx.runtime, mx.util and the mx.base helpers that code written for MXNet imports."""

import threading

import jax
import pytest

import mxjax as mx


def _in_thread(fn):
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join()
    return result[0]


def test_features_is_one_ordered_instance_with_mxnet_names():
    features = mx.runtime.Features()
    assert features is mx.runtime.Features()
    assert list(features)[:5] == ["CUDA", "CUDNN", "NCCL", "CUDA_RTC", "TENSORRT"]
    assert len(features) >= 30
    assert repr(features["CUDA"]) in ("✔ CUDA", "✖ CUDA")


def test_features_report_the_xla_backends():
    features = mx.runtime.Features()
    platforms = {d.platform for d in jax.devices()}
    assert features.is_enabled("cuda") == ("gpu" in platforms)
    assert features.is_enabled("TPU") == ("tpu" in platforms)
    with pytest.raises(RuntimeError, match="unknown"):
        features.is_enabled("this girl is on fire")


def test_np_shape_is_per_thread_unless_set_globally():
    try:
        assert mx.util.set_np_shape(True) is False
        assert mx.is_np_shape()
        assert _in_thread(mx.is_np_shape) is False
        mx.util.set_np_shape(False)
        mx.util.set_np_shape(2)
        assert _in_thread(mx.is_np_shape) is True
        assert mx.util.set_np_shape(0) is True
        assert _in_thread(mx.is_np_shape) is False
    finally:
        mx.util.set_np_shape(0)


def test_np_shape_scope_restores_and_decorator_applies():
    @mx.use_np_shape
    def inside():
        return mx.is_np_shape()

    assert not mx.is_np_shape()
    with mx.np_shape(True):
        assert mx.is_np_shape()
    assert not mx.is_np_shape()
    assert inside() and not mx.is_np_shape()


def test_numpy_array_interface_is_reported_not_implemented():
    assert not mx.is_np_array()
    with mx.np_array(False):
        assert not mx.is_np_array()
    with pytest.raises(NotImplementedError, match="mx.np"):
        with mx.np_array(True):
            pass
    with pytest.raises(NotImplementedError):
        mx.use_np(lambda: None)()
    with pytest.raises(NotImplementedError, match="mx.np.ones"):
        mx.np.ones((2,))


def test_env_helpers(monkeypatch):
    monkeypatch.delenv("MXJAX_TEST_ENV", raising=False)
    assert mx.util.getenv("MXJAX_TEST_ENV") is None
    mx.util.setenv("MXJAX_TEST_ENV", "1")
    assert mx.util.getenv("MXJAX_TEST_ENV") == "1"
    mx.util.setenv("MXJAX_TEST_ENV", None)
    assert mx.util.getenv("MXJAX_TEST_ENV") is None


def test_base_helpers(monkeypatch, tmp_path):
    assert mx.base.py_str(b"abc") == "abc"
    assert mx.base._as_list(3) == [3] and mx.base._as_list((1, 2)) == (1, 2)
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    assert mx.base.data_dir() == str(tmp_path)


def test_not_implemented_for_symbol_message_matches_mxnet():
    # Messages as MXNet 1.9.1 prints them for bool(sym) and sym += 1.
    with pytest.raises(mx.base.NotImplementedForSymbol) as info:
        bool(mx.sym.var("a"))
    assert str(info.value) == ('Function __bool__ (namely operator "bool") is not implemented '
                               "for Symbol and only available in NDArray.")
    with pytest.raises(mx.base.NotImplementedForSymbol, match="only available in NDArray"):
        s = mx.sym.var("a")
        s += 1


def test_engine_bulk_size_is_per_thread_and_restored():
    # MXNet 1.9.1: the first set_bulk_size returns 0, in every thread.
    assert mx.engine.set_bulk_size(30) == 0
    assert _in_thread(lambda: mx.engine.set_bulk_size(7)) == 0
    with mx.engine.bulk(5):
        assert mx.engine.set_bulk_size(5) == 5
    assert mx.engine.set_bulk_size(0) == 30
