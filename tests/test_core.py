"""Registry, invocation, context and compile-cache behaviour (no numeric goldens needed:
these check mxjax's own machinery and error reporting)."""

import inspect
import json
import os
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest

import mxjax as mx
from mxjax import autograd
from mxjax.operator import spec as op_spec


def test_duplicate_registration_is_an_error():
    with pytest.raises(ValueError, match="registered twice"):
        op_spec.register("_zeros", inputs=())(lambda: None)


def test_generated_function_has_mxnet_signature_and_doc():
    sig = inspect.signature(mx.nd.eye)
    assert list(sig.parameters)[:3] == ["N", "M", "k"]
    assert "N" in mx.nd._internal._eye.__doc__


def test_unknown_argument_names_the_operator():
    with pytest.raises(mx.MXNetError, match=r"_zeros: unknown argument\(s\) \['bogus'\]"):
        mx.nd._internal._zeros(shape=(2,), bogus=1)


def _takes_unknown_keyword(spec):
    try:
        spec.parse_attrs({"zz_unknown_keyword": "1"})
    except mx.MXNetError as e:  # a missing required argument is not the point here
        return "unknown argument" not in str(e)
    return True


def test_unknown_keywords_are_ignored_where_mxnet_ignores_them():
    """MXNet 1.9.1 ignores unknown keywords of operators without a (strict) parameter
    struct; goldens/op_keywords.json (generate_op_keywords.py) says which."""
    path = os.path.join(os.path.dirname(__file__), "reference", "goldens", "op_keywords.json")
    with open(path, encoding="utf-8") as f:
        expected = json.load(f)
    got = {name: _takes_unknown_keyword(spec) for name, spec in op_spec.all_specs()
           if name in expected}
    assert len(got) > 400
    assert got == {name: expected[name] for name in got}
    a, b = mx.nd.array([0.0]), mx.nd.array([[1.0, -2.0]])
    assert mx.nd.broadcast_maximum(a, b, axis=1).asnumpy().tolist() == [[1.0, 0.0]]


def test_missing_required_argument():
    with pytest.raises(mx.MXNetError, match="_full: required argument 'value'"):
        mx.nd._internal._full(shape=(2,))


def test_unknown_dtype_name():
    with pytest.raises(TypeError, match="float17"):
        mx.nd.zeros((2,), dtype="float17")


def test_missing_gpu_context_says_so():
    missing = mx.num_gpus()  # one past the last GPU; gpu(0) on a machine without one
    with pytest.raises(mx.MXNetError, match=rf"gpu\({missing}\): no such GPU"):
        mx.nd.zeros((2,), ctx=mx.gpu(missing))


def test_array_copies_a_numpy_source():
    source = np.ones(3, dtype=np.float32)
    a = mx.nd.array(source)
    source[0] = 5  # the caller's buffer is theirs: the NDArray keeps its own copy
    assert a.asnumpy().tolist() == [1.0, 1.0, 1.0]


def test_context_scope_places_arrays():
    with mx.cpu(0):
        a = mx.nd.ones((2,))
    assert a.context == mx.cpu(0)
    assert mx.current_context() == mx.cpu(0)


def test_backward_compiles_once_per_graph_structure():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    before = mx.engine.compile_stats()["traced"].get("gradient", 0)
    for i in range(4):
        with autograd.record():
            y = mx.nd.ones((2,)) * 0 + x * x * float(i)
        y.backward()
    after = mx.engine.compile_stats()["traced"].get("gradient", 0)
    assert after - before == 1  # one graph structure
    np.testing.assert_allclose(x.grad.asnumpy(), [6.0, 12.0])


def test_function_backward_error_surfaces():
    class Broken(autograd.Function):
        def forward(self, x):
            return x * 1

        def backward(self, dy):
            raise ArithmeticError("broken backward")

    x = mx.nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        y = Broken()(x)
    with pytest.raises(ArithmeticError, match="broken backward"):
        y.backward()


def test_view_read_is_cached_until_root_changes():
    a = mx.nd.arange(4)
    v = a[1:3]
    first = v._data
    assert v._data is first
    a[:] = 1
    assert v._data is not first
    np.testing.assert_array_equal(v.asnumpy(), [1, 1])


def _slow_chain(x=None):
    """A chain of large matmuls (about half a second here), dispatched asynchronously."""
    if x is None:
        x = mx.nd.random.uniform(shape=(1500, 1500))
        x.wait_to_read()
    y = x
    for _ in range(6):
        y = mx.nd.dot(y, x) / 1500
    return y


def _buffer(array):
    """The jax.Array behind ``array`` (a captured value must have been computed)."""
    value = array._lazy
    if type(value).__name__ == "Pending":
        assert value.value is not None, "the captured graph did not run"
        value = value.value
    return value


def test_waitall_blocks_until_dispatched_work_has_finished():
    y = _slow_chain()
    mx.nd.waitall()
    assert _buffer(y).is_ready()


def test_waitall_runs_and_waits_for_a_captured_step():
    x = mx.nd.random.uniform(shape=(1500, 1500))
    x.attach_grad()
    with autograd.record():
        y = _slow_chain(x)
    assert type(y._lazy).__name__ == "Pending"
    mx.nd.waitall()
    assert _buffer(y).is_ready()


def test_wait_to_read_waits_for_that_array():
    y = _slow_chain()
    y.wait_to_read()
    assert _buffer(y).is_ready()
    z = _slow_chain()[1:3]   # a view: its root's chain must be done too
    z.wait_to_read()
    assert _buffer(z).is_ready()


def test_operator_accepts_raw_jax_array_inputs_and_rejects_lists():
    out = mx.nd.zeros_like(jnp.ones((2,)))
    assert out.shape == (2,)
    with pytest.raises(TypeError, match="must be an NDArray"):
        mx.nd.zeros_like([1, 2])


def test_mxjax_run_resolves_import_mxnet(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import sys
        import mxnet as mx
        from mxnet import nd, autograd
        import mxnet.ndarray
        import helper_beside_the_script  # as python script.py: the script's folder first
        print(mx.__name__, nd.ones((2,)).sum().asscalar(), sys.argv[1:],
              helper_beside_the_script.VALUE)
    """))
    (tmp_path / "helper_beside_the_script.py").write_text("VALUE = 7\n")
    out = subprocess.run([sys.executable, "-m", "mxjax", "run", str(script), "a"],
                         capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "mxjax 2.0 ['a'] 7"


TIER1 = """Activation BatchNorm BlockGrad Convolution Deconvolution Dropout Embedding Flatten
FullyConnected GroupNorm InstanceNorm LayerNorm LeakyReLU Pooling RNN SequenceLast SequenceMask
SequenceReverse SoftmaxOutput abs add add_n arange argmax argmin argsort array batch_dot
broadcast_add broadcast_div broadcast_equal broadcast_greater broadcast_greater_equal
broadcast_lesser broadcast_lesser_equal broadcast_like broadcast_maximum broadcast_minimum
broadcast_minus broadcast_mul broadcast_not_equal broadcast_plus broadcast_power broadcast_sub
broadcast_to cast ceil clip concat cos divide dot empty equal erf exp expand_dims expm1 eye fix
flatten flip floor full gather_nd greater greater_equal lesser lesser_equal linspace load log
log10 log1p log2 log_softmax max maximum mean min minimum multiply negative norm not_equal
one_hot ones ones_like pad pick power prod reciprocal relu repeat reshape reshape_like rint
round rsqrt save sigmoid sign sin slice slice_axis slice_like softmax sort split sqrt square
squeeze stack stop_gradient subtract sum swapaxes take tan tanh tile topk transpose trunc
waitall where zeros zeros_like Concat Reshape Cast SliceChannel ElementWiseSum Pad Softmax
SwapAxis""".split()
RANDOM = "uniform normal randint randn shuffle multinomial exponential gamma poisson " \
         "negative_binomial".split()
LINALG = "gemm gemm2 potrf potri trsm trmm syrk inverse det slogdet".split()


def test_every_tier1_operator_is_exposed():
    missing = [n for n in TIER1 if not callable(getattr(mx.nd, n, None))]
    missing += [f"random.{n}" for n in RANDOM if not callable(getattr(mx.nd.random, n, None))]
    missing += [f"linalg.{n}" for n in LINALG if not callable(getattr(mx.nd.linalg, n, None))]
    missing += [f"mx.random.{n}" for n in RANDOM if not callable(getattr(mx.random, n, None))]
    assert not missing
