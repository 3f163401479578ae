"""Initializer goldens from real MXNet 1.9.1, for tests/test_initializer.py.

    /work/refvenv/bin/python tests/reference/generate_init.py

The cases below take the library under test as ``mx`` and use only its public API and
numpy, so tests/test_initializer.py runs them unchanged on mxjax. Only deterministic
results are recorded: ``goldens/init.npz`` holds the arrays of ``ARRAY_CASES``;
``goldens/init.json`` holds the values of ``VALUE_CASES`` (``dumps()`` strings, equality,
...) and, for ``ERROR_CASES``, the name of the exception MXNet raises.
"""

import json
import os
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NPZ = os.path.join(HERE, "goldens", "init.npz")
JSON = os.path.join(HERE, "goldens", "init.json")


def tag(name):
    """A number that differs between the piece names of a fused RNN vector."""
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % 997


def tagged_initializer(mx):
    """A user subclass writing name-dependent values in place (weights and biases)."""
    class Tagged(mx.init.Initializer):
        def _init_weight(self, name, arr):
            arr[:] = tag(name) + np.arange(arr.size).reshape(arr.shape) / 64

        def _init_bias(self, name, arr):
            arr[:] = -tag(name) - np.arange(arr.size) / 64

    return Tagged()


def filled(mx, init, name, shape=(3, 4), dtype="float32", fill=7.0):
    """Call ``init(name, arr)`` on an array of ``fill`` and return the array."""
    arr = mx.nd.full(shape, fill, dtype=dtype)
    init(name, arr)
    return arr


def fused_size(num_input, h, layers, mode, bidirectional):
    m = {"lstm": 4, "gru": 3}.get(mode, 1)
    b = 2 if bidirectional else 1
    return (num_input + h + 2) * h * m * b + (layers - 1) * m * h * (h + b * h + 2) * b


def fused_case(mode, layers, bidirectional, via_global):
    """A fused RNN vector initialized piece by piece by the Tagged initializer, either
    as FusedRNN's ``init`` or (init=None) as the global initializer, as Module does."""
    def run(mx):
        size = fused_size(3, 2, layers, mode, bidirectional)
        arr = mx.nd.zeros((size,))
        if via_global:
            fused = mx.init.FusedRNN(None, 2, layers, mode, bidirectional, forget_bias=1.5)
            desc = mx.init.InitDesc("rnn_parameters", attrs={"__init__": fused.dumps()})
            tagged_initializer(mx)(desc, arr)
        else:
            fused = mx.init.FusedRNN(tagged_initializer(mx), 2, layers, mode, bidirectional)
            fused(mx.init.InitDesc("rnn_parameters_weight"), arr)
        return arr
    return run


def _desc(mx, name, **kw):
    return mx.init.InitDesc(name, **kw)


def _load_params(mx):
    return {"arg:fc_weight": mx.nd.array([[1, 2], [3, 4]]),
            "aux:bn_moving_mean": mx.nd.array([5, 6]), "other": mx.nd.array([9])}


def _load_from_file(mx):
    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, "p.params")
        mx.nd.save(fname, _load_params(mx))
        return filled(mx, mx.init.Load(fname), "bn_moving_mean", (2,))


ARRAY_CASES = {
    # suffix dispatch of the base class with an InitDesc
    **{f"suffix_{n}": (lambda mx, n=n: filled(mx, mx.init.Initializer(), _desc(mx, n)))
       for n in ("fc_bias", "bn_gamma", "bn_beta", "q_min", "q_max", "fc_bias_quantize")},
    "suffix_xavier_bias": lambda mx: filled(mx, mx.init.Xavier(), _desc(mx, "fc_bias")),
    "suffix_constant_bias": lambda mx: filled(mx, mx.init.Constant(5), _desc(mx, "fc_bias")),
    # an ``__init__`` attribute overrides the suffix
    "attr_init_name": lambda mx: filled(
        mx, mx.init.Xavier(), _desc(mx, "bn_moving_var", attrs={"__init__": "ones"})),
    "attr_init_dumps": lambda mx: filled(mx, mx.init.Xavier(), _desc(
        mx, "bn_moving_var", attrs={"__init__": '["constant", {"value": 2.5}]'})),
    "attr_init_instance": lambda mx: filled(mx, mx.init.Xavier(), _desc(
        mx, "fc_bias", attrs={"__init__": mx.init.Constant(4)})),
    # the deprecated call with a plain string name
    **{f"legacy_{n}": (lambda mx, n=n: filled(mx, mx.init.Uniform(), n))
       for n in ("bn_moving_mean", "bn_moving_var", "bn_moving_inv_var", "bn_moving_avg",
                 "fc_bias", "bn_gamma", "q_min", "q_max", "stn_loc_weight")},
    "legacy_upsampling": lambda mx: filled(mx, mx.init.Zero(), "upsampling0_weight",
                                           (1, 1, 4, 4)),
    "legacy_stn_loc_bias": lambda mx: filled(mx, mx.init.Zero(), "stn_loc_bias", (6,)),
    # deterministic initializers
    "zero": lambda mx: filled(mx, mx.init.Zero(), _desc(mx, "w_weight")),
    "zero_int32": lambda mx: filled(mx, mx.init.Zero(), _desc(mx, "w_weight"), dtype="int32"),
    "one_f16": lambda mx: filled(mx, mx.init.One(), _desc(mx, "w_weight"), dtype="float16"),
    "constant_f64": lambda mx: filled(mx, mx.init.Constant(0.1), _desc(mx, "w_weight"),
                                      dtype="float64"),
    "constant_int32": lambda mx: filled(mx, mx.init.Constant(2.7), _desc(mx, "w_weight"),
                                        dtype="int32"),
    "constant_nd_bcast": lambda mx: filled(
        mx, mx.init.Constant(mx.nd.array([1, 2, 3])), _desc(mx, "w_weight"), (2, 3)),
    "constant_list": lambda mx: filled(mx, mx.init.Constant([5, 6, 7]),
                                       _desc(mx, "w_weight"), (2, 3)),
    "constant_np": lambda mx: filled(mx, mx.init.Constant(np.array([[0.5], [1.5]])),
                                     _desc(mx, "w_weight"), (2, 3)),
    **{f"bilinear_{'x'.join(map(str, s))}": (
        lambda mx, s=s: filled(mx, mx.init.Bilinear(), _desc(mx, "up_weight"), s))
       for s in ((1, 1, 3, 3), (2, 1, 4, 5), (1, 2, 5, 4), (2, 3, 6, 6), (1, 1, 1, 1))},
    "bilinear_f64": lambda mx: filled(mx, mx.init.Bilinear(), _desc(mx, "up_weight"),
                                      (2, 2, 3, 3), dtype="float64"),
    "lstmbias_weight": lambda mx: filled(mx, mx.init.LSTMBias(2.0), _desc(mx, "x_weight"), (8,)),
    "lstmbias_bias": lambda mx: filled(mx, mx.init.LSTMBias(2.0), _desc(mx, "x_bias"), (8,)),
    "lstmbias_odd": lambda mx: filled(mx, mx.init.LSTMBias(), _desc(mx, "x_weight"), (10,)),
    # fused RNN vectors (layout and forget bias)
    **{f"fused_{mode}_l{layers}_{'bi' if bi else 'uni'}_{'global' if g else 'init'}":
       fused_case(mode, layers, bi, g)
       for mode in ("lstm", "gru", "rnn_tanh", "rnn_relu") for layers in (1, 2)
       for bi in (False, True) for g in (False, True)},
    # a user subclass
    "user_weight": lambda mx: filled(mx, tagged_initializer(mx), _desc(mx, "fc_weight")),
    "user_bias": lambda mx: filled(mx, tagged_initializer(mx), _desc(mx, "fc_bias"), (5,)),
    "user_gamma": lambda mx: filled(mx, tagged_initializer(mx), _desc(mx, "bn_gamma"), (5,)),
    # Mixed: the first pattern matching at the start of the name wins
    **{f"mixed_{n}": (lambda mx, n=n: filled(mx, mx.init.Mixed(
        ["fc.*", ".*weight", ".*"], [mx.init.Constant(1), mx.init.Constant(2),
                                      mx.init.Constant(3)]), _desc(mx, n)))
       for n in ("fc_weight", "conv_weight", "conv_bias", "xfc_gamma")},
    "mixed_bias_first": lambda mx: filled(mx, mx.init.Mixed(
        ["bias", ".*"], [mx.init.Zero(), mx.init.One()]), "fc_bias"),
    "mixed_suffix_rules": lambda mx: filled(mx, mx.init.Mixed(
        [".*"], [mx.init.Constant(3)]), _desc(mx, "x_gamma"), (2,)),
    # Load: values by name (``arg:``/``aux:`` dropped), else default_init
    "load_arg": lambda mx: filled(mx, mx.init.Load(_load_params(mx)), "fc_weight", (2, 2)),
    "load_aux_desc": lambda mx: filled(mx, mx.init.Load(_load_params(mx)),
                                       _desc(mx, "bn_moving_mean"), (2,)),
    "load_default": lambda mx: filled(mx, mx.init.Load(_load_params(mx), mx.init.One()),
                                      _desc(mx, "zz_weight"), (2,)),
    "load_file": _load_from_file,
}


def _create_dumps(*args, **kwargs):
    return lambda mx: mx.init.create(*args, **kwargs).dumps()


def _global_init_is_self(mx):
    init, desc = mx.init.Zero(), mx.init.InitDesc("w_weight")
    init(desc, mx.nd.zeros((1,)))
    return desc.global_init is init


VALUE_CASES = {
    "dumps_zero": lambda mx: mx.init.Zero().dumps(),
    "dumps_one": lambda mx: mx.init.One().dumps(),
    "dumps_constant": lambda mx: mx.init.Constant(0.5).dumps(),
    "dumps_constant_int": lambda mx: mx.init.Constant(3).dumps(),
    "dumps_constant_nd": lambda mx: mx.init.Constant(mx.nd.array([[1, 2], [3, 0.1]])).dumps(),
    "dumps_constant_np": lambda mx: mx.init.Constant(np.array([1.0, 2])).dumps(),
    "dumps_uniform": lambda mx: mx.init.Uniform().dumps(),
    "dumps_uniform_int": lambda mx: mx.init.Uniform(scale=1).dumps(),
    "dumps_normal": lambda mx: mx.init.Normal().dumps(),
    "dumps_normal_08": lambda mx: mx.init.Normal(0.8).dumps(),
    "dumps_orthogonal": lambda mx: mx.init.Orthogonal().dumps(),
    "dumps_orthogonal_normal": lambda mx: mx.init.Orthogonal(2, "normal").dumps(),
    "dumps_xavier": lambda mx: mx.init.Xavier().dumps(),
    "dumps_xavier_in": lambda mx: mx.init.Xavier("gaussian", "in", 2.45).dumps(),
    "dumps_xavier_out": lambda mx: mx.init.Xavier(factor_type="out", magnitude=2).dumps(),
    "dumps_xavier_float": lambda mx: mx.init.Xavier(magnitude=3.0).dumps(),
    "dumps_msraprelu": lambda mx: mx.init.MSRAPrelu().dumps(),
    "dumps_msraprelu_in": lambda mx: mx.init.MSRAPrelu("in", 0.1).dumps(),
    "dumps_bilinear": lambda mx: mx.init.Bilinear().dumps(),
    "dumps_lstmbias": lambda mx: mx.init.LSTMBias().dumps(),
    "dumps_lstmbias_05": lambda mx: mx.init.LSTMBias(0.5).dumps(),
    "dumps_fused_none": lambda mx: mx.init.FusedRNN(None, 4, 1, "lstm").dumps(),
    "dumps_fused_xavier": lambda mx: mx.init.FusedRNN(mx.init.Xavier(), 4, 2, "gru", True,
                                                      2.0).dumps(),
    "dumps_user": lambda mx: tagged_initializer(mx).dumps(),
    "create_name": _create_dumps("xavier"),
    "create_upper": _create_dumps("XAVIER"),
    "create_zeros": _create_dumps("zeros"),
    "create_ones_mixed_case": _create_dumps("Ones"),
    "create_msra": _create_dumps("MSRAPrelu", "in"),
    "create_list_json": _create_dumps('["normal", {"sigma": 0.8}]'),
    "create_dict_json": _create_dumps('{"initializer": "normal", "sigma": 0.3}'),
    "create_dict": _create_dumps({"initializer": "uniform", "scale": 0.3}),
    "create_kwargs": _create_dumps("normal", sigma=0.2),
    "create_args": _create_dumps("normal", 0.4),
    "create_keyword_name": _create_dumps(initializer="one"),
    "create_roundtrip_fused": lambda mx: mx.init.create(
        mx.init.FusedRNN(None, 4, 1, "lstm").dumps()).dumps(),
    "create_instance": lambda mx: (lambda i: mx.init.create(i) is i)(mx.init.Normal()),
    "eq_same": lambda mx: mx.init.Normal(0.5) == mx.init.Normal(0.5),
    "eq_other_arg": lambda mx: mx.init.Normal(0.5) == mx.init.Normal(0.4),
    "eq_default_arg": lambda mx: mx.init.Xavier() == mx.init.Xavier("uniform", "avg", 3),
    "eq_subclass": lambda mx: mx.init.Xavier() == mx.init.MSRAPrelu(),
    "eq_not_init": lambda mx: mx.init.Normal() == 3,
    "ne_same": lambda mx: mx.init.Zero() != mx.init.Zero(),
    "msra_magnitude": lambda mx: mx.init.MSRAPrelu().magnitude,
    "msra_rnd_type": lambda mx: mx.init.MSRAPrelu().rnd_type,
    "xavier_magnitude_float": lambda mx: type(mx.init.Xavier().magnitude).__name__,
    "desc_str": lambda mx: [str(mx.init.InitDesc("abc")), isinstance(
        mx.init.InitDesc("abc"), str), mx.init.InitDesc("abc").attrs],
    "desc_attrs": lambda mx: mx.init.InitDesc("abc", attrs={"a": "1"}).attrs,
    "desc_global_none": lambda mx: mx.init.InitDesc("abc").global_init is None,
    "desc_global_set": _global_init_is_self,
    "load_keys": lambda mx: sorted(mx.init.Load(_load_params(mx)).param),
    "load_not_initializer": lambda mx: isinstance(mx.init.Load({}), mx.init.Initializer),
    "mixed_not_initializer": lambda mx: isinstance(mx.init.Mixed([], []), mx.init.Initializer),
    "set_verbosity_returns_self": lambda mx: (lambda i: i.set_verbosity(True) is i)(
        mx.init.Zero()),
}


def _raise_load_shape(mx):
    mx.init.Load(_load_params(mx))("fc_weight", mx.nd.zeros((3,)))


def _register_non_initializer(mx):
    mx.init.register(type("NotAnInit", (), {}))


ERROR_CASES = {
    **{f"unknown_suffix_{n}": (lambda mx, n=n: filled(mx, mx.init.Uniform(), _desc(mx, n)))
       for n in ("foo", "bn_running_mean", "bn_running_var", "bn_moving_mean")},
    "legacy_unknown": lambda mx: filled(mx, mx.init.Uniform(), "foo"),
    "legacy_name_not_str": lambda mx: filled(mx, mx.init.Uniform(), 3),
    "legacy_arr_not_ndarray": lambda mx: mx.init.Uniform()("w_weight", np.zeros(3)),
    "legacy_stn_loc_bias_shape": lambda mx: filled(mx, mx.init.Zero(), "stn_loc_bias", (5,)),
    "base_weight": lambda mx: filled(mx, mx.init.Initializer(), _desc(mx, "fc_weight")),
    "xavier_vector": lambda mx: filled(mx, mx.init.Xavier(), _desc(mx, "fc_weight"), (5,)),
    "msra_vector": lambda mx: filled(mx, mx.init.MSRAPrelu(), _desc(mx, "fc_weight"), (5,)),
    "xavier_factor": lambda mx: filled(mx, mx.init.Xavier(factor_type="x"),
                                       _desc(mx, "fc_weight")),
    "xavier_rnd": lambda mx: filled(mx, mx.init.Xavier(rnd_type="x"), _desc(mx, "fc_weight")),
    "uniform_int32": lambda mx: filled(mx, mx.init.Uniform(), _desc(mx, "fc_weight"),
                                       dtype="int32"),
    "normal_uint8": lambda mx: filled(mx, mx.init.Normal(), _desc(mx, "fc_weight"),
                                      dtype="uint8"),
    "create_unknown": lambda mx: mx.init.create("nope"),
    "create_instance_args": lambda mx: mx.init.create(mx.init.Normal(), sigma=1),
    "create_not_str": lambda mx: mx.init.create(3),
    "register_not_initializer": _register_non_initializer,
    "unhashable": lambda mx: hash(mx.init.Normal()),
    "mixed_no_match": lambda mx: filled(mx, mx.init.Mixed([".*bias"], [mx.init.One()]),
                                        "fc_weight"),
    "mixed_lengths": lambda mx: mx.init.Mixed(["a"], []),
    "mixed_match_then_rules": lambda mx: filled(mx, mx.init.Mixed(
        ["bias", ".*"], [mx.init.Zero(), mx.init.One()]), "bias_x"),
    "load_shape": _raise_load_shape,
    "load_no_default": lambda mx: mx.init.Load(_load_params(mx))("zz", mx.nd.zeros((3,))),
    "load_list": lambda mx: mx.init.Load([mx.nd.zeros((1,))]),
    "fused_bad_size": lambda mx: mx.init.FusedRNN(mx.init.One(), 2, 1, "lstm")(
        _desc(mx, "p_weight"), mx.nd.zeros((57,))),  # 56 fits
}


def error_name(fn, mx):
    """The class name of the exception ``fn(mx)`` raises, or None."""
    try:
        fn(mx)
    except Exception as e:  # noqa: BLE001 - the exception type is the result
        return type(e).__name__
    return None


def main():
    import warnings

    import mxnet as mx

    warnings.simplefilter("ignore")
    arrays = {name: fn(mx).asnumpy() for name, fn in ARRAY_CASES.items()}
    values = {name: fn(mx) for name, fn in VALUE_CASES.items()}
    errors = {name: error_name(fn, mx) for name, fn in ERROR_CASES.items()}
    os.makedirs(os.path.dirname(NPZ), exist_ok=True)
    np.savez(NPZ, **arrays)
    with open(JSON, "w") as f:
        json.dump({"values": values, "errors": errors}, f, indent=1, sort_keys=True)
    print(f"wrote {len(arrays)} arrays to {NPZ}, {len(values)} values and "
          f"{len(errors)} errors to {JSON}")


if __name__ == "__main__":
    main()
