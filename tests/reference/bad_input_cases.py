"""Bad inputs run the same way on MXNet 1.9.1 and on mxjax: ``CASES[name](mx)`` returns a
numpy array or raises. ``generate_bad_inputs.py`` records what MXNet does;
``tests/test_bad_inputs.py`` checks mxjax against it."""

import copy
import json

import numpy as np

CASES = {}


def case(name):
    def wrap(fn):
        CASES[name] = fn
        return fn
    return wrap


def _out(x):
    x.wait_to_read()
    return x.asnumpy()


# ---- runtime index errors ----------------------------------------------------------------
@case("take_raise_out_of_range")
def _(mx):
    return _out(mx.nd.take(mx.nd.arange(4), mx.nd.array([9]), mode="raise"))


@case("take_raise_negative")
def _(mx):
    return _out(mx.nd.take(mx.nd.arange(4), mx.nd.array([-1]), mode="raise"))


@case("gather_nd_out_of_range")
def _(mx):
    return _out(mx.nd.gather_nd(mx.nd.arange(4), mx.nd.array([[9]])))


@case("gather_nd_negative")
def _(mx):
    return _out(mx.nd.gather_nd(mx.nd.arange(4), mx.nd.array([[-1]])))


@case("take_raise_hybridized_under_record")
def _(mx):
    class Take(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x, idx):
            return F.take(x, idx, mode="raise")

    block = Take()
    block.hybridize()
    x = mx.nd.arange(4)
    x.attach_grad()
    with mx.autograd.record():
        y = block(x, mx.nd.array([7]))
    y.backward()
    return _out(y)


@case("pick_out_of_range")
def _(mx):
    return _out(mx.nd.pick(mx.nd.arange(6).reshape((2, 3)), mx.nd.array([5, 1])))


@case("one_hot_out_of_range")
def _(mx):
    return _out(mx.nd.one_hot(mx.nd.array([5, -1, 1]), 3))


@case("embedding_out_of_range")
def _(mx):
    return _out(mx.nd.Embedding(mx.nd.array([5, -2]), mx.nd.arange(6).reshape((3, 2)),
                                input_dim=3, output_dim=2))


# ---- attributes and sizes ----------------------------------------------------------------
@case("arange_step_zero")
def _(mx):
    return _out(mx.nd.arange(0, 5, 0))


@case("ones_too_large_under_record")
def _(mx):
    with mx.autograd.record():
        mx.nd.ones((2 ** 40,))
    return np.zeros(1)


def _fc(mx, **attrs):
    return _out(mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.ones(4),
                                      **attrs))


@case("fc_num_hidden_text")
def _(mx):
    return _fc(mx, num_hidden="abc")


@case("fc_num_hidden_huge")
def _(mx):
    return _fc(mx, num_hidden=2 ** 40)


@case("fc_num_hidden_negative")
def _(mx):
    return _fc(mx, num_hidden=-3)


# ---- dtypes and shapes -------------------------------------------------------------------
def _dense(mx, hybridize, in_units):
    net = mx.gluon.nn.Dense(2, in_units=in_units)
    net.initialize()
    if hybridize:
        net.hybridize()
    return _out(net(mx.nd.ones((1, 3), dtype="float64")))


@case("dense_float64_input")
def _(mx):
    return _dense(mx, False, 3)


@case("dense_float64_input_hybridized")
def _(mx):
    return _dense(mx, True, 3)


@case("dense_float64_input_deferred")
def _(mx):
    return _dense(mx, False, 0)


@case("conv2d_3d_input")
def _(mx):
    net = mx.gluon.nn.Conv2D(4, 3, in_channels=1)
    net.initialize()
    return _out(net(mx.nd.ones((1, 8, 8))))


@case("slice_assign_wrong_shape")
def _(mx):
    x = mx.nd.zeros((3, 4))
    x[1:3] = mx.nd.ones((3, 3))
    return x.asnumpy()


# ---- softmax over NaN and infinities -----------------------------------------------------
_ROWS = [[np.nan, 1], [1, np.nan], [np.nan, 1, 2], [np.nan, np.nan], [np.inf, 1],
         [-np.inf, 1]]
for _i, _row in enumerate(_ROWS):
    for _op in ("softmax", "log_softmax"):
        CASES[f"{_op}_row{_i}"] = (lambda op, row: lambda mx: _out(
            getattr(mx.nd, op)(mx.nd.array([row]))))(_op, _row)


# ---- -symbol.json ------------------------------------------------------------------------
def _fc_json(mx):
    return json.loads(mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc").tojson())


def _load_fc(mx, change, infer=True):
    graph = copy.deepcopy(_fc_json(mx))
    change(graph)
    sym = mx.sym.load_json(json.dumps(graph))
    if not infer:  # MXNet crashes inferring shapes of some graphs it loads
        return np.array([len(graph["nodes"])], dtype="float64")
    return np.array(sym.infer_shape(x=(2, 4))[1][0], dtype="float64")


def _fc_attr(value):
    return lambda g: g["nodes"][3]["attrs"].__setitem__("num_hidden", value)


for _label, _value in [("text", "abc"), ("huge", str(2 ** 40)), ("negative", "-3"),
                       ("zero", "0"), ("fraction", "3.5")]:
    CASES[f"json_num_hidden_{_label}"] = (lambda v: lambda mx: _load_fc(mx, _fc_attr(v)))(_value)

CASES["json_no_bias_bad"] = lambda mx: _load_fc(
    mx, lambda g: g["nodes"][3]["attrs"].__setitem__("no_bias", "maybe"))
CASES["json_missing_required"] = lambda mx: _load_fc(
    mx, lambda g: g["nodes"][3]["attrs"].pop("num_hidden"))
CASES["json_unknown_operator"] = lambda mx: _load_fc(
    mx, lambda g: g["nodes"][3].__setitem__("op", "NoSuchOp"))
CASES["json_negative_input"] = lambda mx: _load_fc(
    mx, lambda g: g["nodes"][3]["inputs"][0].__setitem__(0, -1))
CASES["json_head_out_of_range"] = lambda mx: _load_fc(
    mx, lambda g: g.__setitem__("heads", [[7, 0, 0]]))
CASES["json_missing_op"] = lambda mx: _load_fc(mx, lambda g: g["nodes"][3].pop("op"))
# MXNet loads these; mxjax refuses them (README, differences).
CASES["json_forward_input"] = lambda mx: _load_fc(
    mx, lambda g: g["nodes"][1].__setitem__("inputs", [[3, 0, 0]]), infer=False)
CASES["json_self_input"] = lambda mx: _load_fc(
    mx, lambda g: g["nodes"][3]["inputs"][0].__setitem__(0, 3), infer=False)
CASES["json_output_index_out_of_range"] = lambda mx: _load_fc(
    mx, lambda g: g["nodes"][3]["inputs"][0].__setitem__(1, 5), infer=False)


# ---- attributes of other operators, at symbol creation -----------------------------------
def _sym(op, **attrs):
    def run(mx):
        sym = getattr(mx.sym, op)(mx.sym.var("x"), **attrs)
        return np.array([len(sym.list_outputs())], dtype="float64")
    return run


for _op, _attrs in [("Embedding", dict(input_dim=0, output_dim=2)),
                    ("Embedding", dict(input_dim=3, output_dim="abc")),
                    ("SliceChannel", dict(num_outputs=0)),
                    ("UpSampling", dict(scale=-1, sample_type="nearest")),
                    ("one_hot", dict(depth="abc")),
                    ("one_hot", dict(depth=2 ** 40)),
                    ("RNN", dict(state_size=2 ** 40, num_layers=1, mode="lstm")),
                    ("LRN", dict(nsize="x")),
                    ("depth_to_space", dict(block_size=3.5)),
                    ("repeat", dict(repeats="two")),
                    ("expand_dims", dict(axis="abc")),
                    ("Convolution", dict(kernel=(3, 3), num_filter=0))]:
    _name = "_".join(f"{k}_{v}" for k, v in _attrs.items() if k not in ("mode", "sample_type"))
    CASES[f"sym_{_op}_{_name}"] = _sym(_op, **_attrs)
