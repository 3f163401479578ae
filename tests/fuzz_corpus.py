"""Generator of the bad-input corpus of ``test_fuzz_inputs.py``: damaged or hostile files
(``nd.load``, ``.params``, ``-symbol.json``, optimizer states, RecordIO) and bad operator
arguments, each with the error class and message pattern mxjax must give.

Deterministic: ``cases()`` draws from ``random.Random(SEED)``; every case is a small
picklable record, so a failing one is reproduced from its id alone.
"""

import io
import json
import pickle
import random
import struct
from dataclasses import dataclass

import numpy as np

SEED = 16

ND_MAGIC = 0x112
V2 = 0xF993FAC9
REC_MAGIC = 0xCED7230A
FLOAT32 = 0


@dataclass(frozen=True)
class Case:
    """One bad input: ``kind`` picks the runner, ``data`` what it is given."""

    kind: str
    id: str
    data: object
    error: str      # name of the exception class expected (MXNetError, IndexError, ...)
    pattern: str    # regular expression the message must match


# ---- nd.load files -----------------------------------------------------------------------
def _array_record(shape, values):
    return (struct.pack(f"<Iii{len(shape)}qiii", V2, 0, len(shape), *shape, 1, 0, FLOAT32)
            + np.asarray(values, "<f4").tobytes())


def nd_file(records, names=()):
    out = struct.pack("<QQQ", ND_MAGIC, 0, len(records)) + b"".join(records)
    out += struct.pack("<Q", len(names))
    for name in names:
        out += struct.pack("<Q", len(name)) + name.encode()
    return out


GOOD_ND = nd_file([_array_record((2, 3), np.arange(6)), _array_record((3,), [1, 2, 3])],
                  names=("weight", "bias"))
# Byte offsets of the fields of GOOD_ND's first array record.
_REC0 = 24
_FIELDS = {"magic": (_REC0, "<I"), "stype": (_REC0 + 4, "<i"), "ndim": (_REC0 + 8, "<i"),
           "dim0": (_REC0 + 12, "<q"), "dtype": (_REC0 + 36, "<i")}
ND_ERROR = "invalid MXNet NDArray file|nd.load|np shape semantics"


def _patched(buf, offset, fmt, value):
    return buf[:offset] + struct.pack(fmt, value) + buf[offset + struct.calcsize(fmt):]


def _sparse_bomb(rng):
    rows = 1 << rng.randrange(22, 40)
    cols = 1 << rng.randrange(8, 20)
    head = struct.pack("<Ii", V2, 1)
    for dims in ((0, cols), (rows, cols)):
        head += struct.pack("<i2q", 2, *dims)
    return nd_file([head + struct.pack("<iiiiiq", 1, 0, FLOAT32, 6, 1, 0)])


def nd_cases(rng):
    out = []
    for cut in sorted(rng.sample(range(1, len(GOOD_ND)), 30)):
        out.append(Case("nd", f"nd-truncated-{cut}", GOOD_ND[:cut], "MXNetError",
                        "invalid MXNet NDArray file"))
    bad_values = {
        "magic": lambda: rng.choice([0, 1 << 31, rng.randrange(64, 1 << 31)]),
        "stype": lambda: rng.choice([-1, 3, rng.randrange(4, 1 << 30)]),
        "ndim": lambda: rng.choice([-rng.randrange(2, 1 << 20), rng.randrange(40, 1 << 30)]),
        "dim0": lambda: rng.choice([-rng.randrange(2, 1 << 40), rng.randrange(7, 1 << 40)]),
        "dtype": lambda: rng.choice([-rng.randrange(2, 100), rng.randrange(13, 1 << 20)]),
    }
    for field, draw in bad_values.items():
        offset, fmt = _FIELDS[field]
        for k in range(6):
            out.append(Case("nd", f"nd-{field}-{k}", _patched(GOOD_ND, offset, fmt, draw()),
                            "MXNetError", ND_ERROR))
    for k in range(6):
        buf = _patched(GOOD_ND, 0, "<Q", rng.randrange(0x113, 1 << 60))
        out.append(Case("nd", f"nd-file-magic-{k}", buf, "MXNetError", ND_ERROR))
        buf = _patched(GOOD_ND, 16, "<Q", rng.randrange(3, 1 << 62))
        out.append(Case("nd", f"nd-count-{k}", buf, "MXNetError", ND_ERROR))
        tail = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
        out.append(Case("nd", f"nd-trailing-{k}", GOOD_ND + tail, "MXNetError", ND_ERROR))
        out.append(Case("nd", f"nd-sparse-bomb-{k}", _sparse_bomb(rng), "MXNetError",
                        "held densely.*MXJAX_SPARSE_DENSE_LIMIT"))
    return out


# ---- .params into a network (nothing may change) -----------------------------------------
PARAMS_SHAPES = {"weight": (3, 4), "bias": (3,)}


def params_cases(rng):
    out = []
    good = nd_file([_array_record((3, 4), np.arange(12)), _array_record((3,), [1, 2, 3])],
                   names=("weight", "bias"))
    for cut in sorted(rng.sample(range(1, len(good)), 12)):
        out.append(Case("params", f"params-truncated-{cut}", good[:cut], "MXNetError",
                        "invalid MXNet NDArray file"))
    for k in range(8):
        shape = (rng.randrange(1, 6), rng.randrange(1, 6))
        if shape == (3, 4):
            shape = (4, 3)
        buf = nd_file([_array_record(shape, np.zeros(shape[0] * shape[1])),
                       _array_record((3,), [1, 2, 3])], names=("weight", "bias"))
        out.append(Case("params", f"params-shape-{k}", buf, "AssertionError",
                        "shape incompatible"))
    for k in range(5):
        name = "".join(rng.choice("abcxyz") for _ in range(5))
        buf = nd_file([_array_record((3, 4), np.zeros(12))], names=("weight",) if k % 2 else
                      (name,))
        out.append(Case("params", f"params-missing-{k}", buf, "AssertionError",
                        "is missing in file"))
        buf = nd_file([_array_record((3, 4), np.zeros(12)), _array_record((3,), np.zeros(3)),
                       _array_record((1,), [0])], names=("weight", "bias", name))
        out.append(Case("params", f"params-extra-{k}", buf, "AssertionError",
                        "is not present"))
    return out


# ---- -symbol.json ------------------------------------------------------------------------
def base_graph():
    """x -> FullyConnected(fc, 3) -> Activation(relu) -> Convolution-free tail."""
    return {
        "nodes": [
            {"op": "null", "name": "x", "inputs": []},
            {"op": "null", "name": "fc_weight", "inputs": []},
            {"op": "null", "name": "fc_bias", "inputs": []},
            {"op": "FullyConnected", "name": "fc", "attrs": {"num_hidden": "3"},
             "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
            {"op": "Activation", "name": "act", "attrs": {"act_type": "relu"},
             "inputs": [[3, 0, 0]]},
        ],
        "arg_nodes": [0, 1, 2], "node_row_ptr": [0, 1, 2, 3, 4, 5],
        "heads": [[4, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]},
    }


def conv_graph():
    return {
        "nodes": [
            {"op": "null", "name": "x", "inputs": []},
            {"op": "null", "name": "c_weight", "inputs": []},
            {"op": "null", "name": "c_bias", "inputs": []},
            {"op": "Convolution", "name": "c",
             "attrs": {"kernel": "(3, 3)", "num_filter": "4"},
             "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
        ],
        "arg_nodes": [0, 1, 2], "node_row_ptr": [0, 1, 2, 3, 4], "heads": [[3, 0, 0]],
    }


_POP = object()


def _rand_name(rng):
    return "".join(rng.choice("ABCXYZabcxyz_") for _ in range(rng.randrange(3, 12)))


def json_cases(rng):
    out = []

    def add(label, graph, pattern):
        text = graph if isinstance(graph, str) else json.dumps(graph)
        out.append(Case("json", f"json-{label}-{len(out)}", text, "MXNetError",
                        "load_json.*" + pattern))

    def edited(path, value=_POP, graph=None):
        """``graph`` (default: ``base_graph()``) with the item at ``path`` (keys and
        indices) set to ``value``, or removed."""
        g = graph or base_graph()
        parent = g
        for key in path[:-1]:
            parent = parent[key]
        if value is _POP:
            parent.pop(path[-1])
        else:
            parent[path[-1]] = value
        return g

    for _ in range(10):  # input references that are not earlier nodes
        node, slot = rng.choice([(3, 0), (3, 1), (3, 2), (4, 0)])
        bad = rng.choice([-rng.randrange(1, 50), node, node + rng.randrange(1, 50)])
        add("input-index", edited(("nodes", node, "inputs", slot, 0), bad),
            f"input {slot} refers to node {bad}, which is not an earlier node")
    for _ in range(6):  # output index out of range
        bad = rng.choice([-rng.randrange(1, 9), rng.randrange(1, 9)])
        add("output-index", edited(("nodes", 4, "inputs", 0, 1), bad), "refers to output")
    for _ in range(6):
        bad = rng.choice([-rng.randrange(1, 9), rng.randrange(5, 99)])
        add("head-index", edited(("heads",), [[bad, 0, 0]]), f"head 0 refers to node {bad}")
    for _ in range(8):
        add("unknown-op", edited(("nodes", 4, "op"), _rand_name(rng)), "is not registered")
    for field in ("op", "name"):
        for node in (0, 3, 4):
            add(f"missing-{field}", edited(("nodes", node, field)), f'missing field "{field}"')
    for field in ("nodes", "heads"):
        add(f"missing-{field}", edited((field,)), f'missing field "{field}"')
        for bad in (5, "x", {"a": 1}, None):
            add(f"type-{field}", edited((field,), bad), f'field "{field}"|missing field')
    for bad in ("abc", [[0]], [[0, "a", 0]], [[0, 0, 0, 0]], [0, 0], [[True, 0]]):
        add("inputs-shape", edited(("nodes", 4, "inputs"), bad), "inputs|input 0")
    for bad in ([1, 2], "text", 7):
        add("attrs-type", edited(("nodes", 3, "attrs"), bad), 'field "attrs"')
    for bad in ({"a": 1}, [1], None):
        add("attr-value", edited(("nodes", 3, "attrs", "no_bias"), bad),
            "attribute \"no_bias\" must be a string")
    int_bad = ["abc", "", "3.5", "1e3", "True", "(3,)", str(2 ** 40), str(-(2 ** 40))]
    for _ in range(14):
        value = rng.choice(int_bad + [str(-rng.randrange(1, 1000)), "0"])
        pattern = "greater equal to 1" if value.lstrip("-").isdigit() and \
            abs(int(value)) < 2 ** 31 else "expect int"
        add("num-hidden", edited(("nodes", 3, "attrs", "num_hidden"), value),
            f"FullyConnected.*{pattern}")
    for value in ("maybe", "2", "-1", "yes", "[]"):
        add("no-bias", edited(("nodes", 3, "attrs", "no_bias"), value), "expect boolean")
    add("missing-required", edited(("nodes", 3, "attrs", "num_hidden")),
        "required argument 'num_hidden'")
    for _ in range(14):
        attr = rng.choice(["kernel", "stride", "dilate", "num_filter", "num_group"])
        if attr in ("num_filter", "num_group"):
            value = rng.choice(["0", str(-rng.randrange(1, 99)), "x", str(2 ** 40)])
            pattern = "greater equal to 1|expect int|expect long"
        else:
            value = rng.choice([f"({-rng.randrange(1, 9)}, 3)", "(0, 0)", "abc", "(3.5, 3)",
                                f"({rng.randrange(1, 4)}, -1)"])
            pattern = "at least 1|expect Shape"
        add(f"conv-{attr}", edited(("nodes", 3, "attrs", attr), value, conv_graph()),
            f"Convolution.*({pattern})")
    for text in ("{{{", "[1, 2]", "null", "", "[" * 5000 + "]" * 5000, '{"nodes": [}',
                 '"just a string"', "{}", "\x00\x01"):
        add("not-json", text, "not an MXNet symbol file")
    return out


# ---- optimizer states --------------------------------------------------------------------
class _Call:
    """Pickles as a call of ``module.name(*args)``: what a hostile states file holds."""

    def __init__(self, module, name, args):
        self.module, self.name, self.args = module, name, args

    def __reduce__(self):
        import importlib
        return getattr(importlib.import_module(self.module), self.name), self.args


def _hostile(module, name, args):
    buf = io.BytesIO()
    pickle.Pickler(buf, 4).dump({0: _Call(module, name, args)})
    return buf.getvalue()


def states_cases(rng, sentinel):
    """``sentinel``: a path that exists only if a hostile pickle ran."""
    out = []
    calls = [("os", "makedirs", (sentinel,)), ("os", "mkdir", (sentinel,)),
             ("builtins", "open", (sentinel, "w")), ("pathlib", "Path", (sentinel,)),
             ("builtins", "exec", (f"open({sentinel!r}, 'w')",)),
             ("builtins", "eval", (f"open({sentinel!r}, 'w')",)),
             ("subprocess", "call", (["touch", sentinel],)),
             ("os", "system", (f"touch {sentinel}",)),
             ("shutil", "copyfile", ("/dev/null", sentinel)),
             ("builtins", "getattr", (0, "real")), ("builtins", "__import__", ("os",)),
             ("numpy", "save", (sentinel, [1])), ("numpy", "load", (sentinel,)),
             ("io", "open", (sentinel, "w")), ("codecs", "open", (sentinel, "w")),
             ("runpy", "run_path", (sentinel,)), ("functools", "partial", (print,)),
             ("collections", "namedtuple", ("T", "a"))]
    for module, name, args in calls:
        out.append(Case("states", f"states-hostile-{module}.{name}",
                        _hostile(module, name, args), "MXNetError",
                        f"refusing to load [\\w.]+\\.{name}"))  # os.mkdir is posix.mkdir
    good = pickle.dumps({0: 1.5}, protocol=4)
    for k in range(12):
        cut = rng.randrange(0, len(good) - 1)
        out.append(Case("states", f"states-truncated-{k}", good[:cut], "MXNetError",
                        "not a valid states file"))
    for k in range(10):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        if junk[:1] in (b"N", b"I", b"F", b"L", b"]", b")", b"}", b"(", b"."):
            junk = b"\xff" + junk
        out.append(Case("states", f"states-junk-{k}", junk, "MXNetError",
                        "not a valid states file|refusing to load|not optimizer states"))
    for k, value in enumerate([[1, 2], 3, "text", (1, 2), None, b"raw"]):
        out.append(Case("states", f"states-not-a-dict-{k}", pickle.dumps(value, protocol=4),
                        "MXNetError", "not optimizer states"))
    return out


# ---- RecordIO ----------------------------------------------------------------------------
def _record(payload, cflag=0):
    pad = b"\0" * (-len(payload) % 4)
    return struct.pack("<II", REC_MAGIC, (cflag << 29) | len(payload)) + payload + pad


GOOD_REC = _record(b"first record") + _record(b"2nd") + _record(b"x" * 9)


def recordio_cases(rng):
    out = []
    for k in range(10):
        offset = rng.choice([0, 20, 32])
        magic = rng.randrange(0, 1 << 32)
        if magic == REC_MAGIC:
            magic ^= 1
        buf = GOOD_REC[:offset] + struct.pack("<I", magic) + GOOD_REC[offset + 4:]
        out.append(Case("recordio", f"rec-magic-{k}", buf, "RuntimeError", "bad magic"))
    # Any cut but at a record's end, or inside the last record's padding (its data is whole).
    cuts = [c for c in range(1, len(GOOD_REC) - 3) if c not in (20, 32)]
    for cut in sorted(rng.sample(cuts, 12)):
        out.append(Case("recordio", f"rec-truncated-{cut}", GOOD_REC[:cut], "RuntimeError",
                        "truncated"))
    for k in range(6):
        length = rng.randrange(100, 1 << 29)
        buf = GOOD_REC + struct.pack("<II", REC_MAGIC, length) + b"abcd"
        out.append(Case("recordio", f"rec-length-{k}", buf, "RuntimeError", "truncated"))
    for k in range(8):
        line = rng.choice(["abc\t0", "0\tx", "0", "\t", "1.5\t0", "0\t0\n7"])
        out.append(Case("recordio", f"rec-index-{k}", ("index", line + "\n"), "ValueError",
                        "invalid RecordIO index"))
    for k in range(4):
        buf = _record(b"part one", cflag=1)  # a multi-part record that never ends
        out.append(Case("recordio", f"rec-unfinished-{k}", buf * (k + 1), "RuntimeError",
                        "truncated"))
    return out


# ---- operator arguments ------------------------------------------------------------------
def op_cases(rng):
    out = []

    def add(label, call, error, pattern):
        out.append(Case("op", f"op-{label}-{len(out)}", call, error, pattern))

    for _ in range(12):
        value = rng.choice(["abc", 2 ** 40, -rng.randrange(1, 99), 0, 3.5, None, (3,)])
        pattern = "expect int" if not isinstance(value, int) or abs(value) >= 2 ** 31 else \
            "greater equal to 1"
        if value is None:
            pattern = "required argument 'num_hidden'"
        add("fc-num-hidden", ("FullyConnected", {"num_hidden": value}), "MXNetError",
            f"FullyConnected.*{pattern}|{pattern}")
    for _ in range(12):
        attr = rng.choice(["stride", "dilate", "kernel"])
        value = (rng.choice([0, -1, -rng.randrange(2, 9)]), rng.randrange(1, 3))
        add(f"conv-{attr}", ("Convolution", {attr: value}), "MXNetError",
            f"Convolution: every entry of {attr} must be at least 1")
    for _ in range(6):
        value = rng.choice([0, -rng.randrange(1, 9)])
        add("conv-num-filter", ("Convolution", {"num_filter": value}), "MXNetError",
            "num_filter should be greater equal to 1")
    for _ in range(8):
        start = rng.randrange(-9, 9)
        add("arange-step0", ("arange", {"start": start, "stop": start + 5, "step": 0}),
            "MXNetError", "Range does not support step=0")
    for _ in range(8):
        shape = tuple(rng.choice([2 ** 20, 2 ** 16, 2 ** 31]) for _ in range(2))
        add("ones-huge", ("ones", {"shape": shape}), "MXNetError", "larger than 2\\^31")
    for _ in range(10):
        index = rng.choice([rng.randrange(4, 99), -rng.randrange(1, 99)])
        add("take-raise", ("take", {"index": index}), "MXNetError",
            "take: indices contain values out of bound")
    for _ in range(8):
        index = rng.randrange(4, 99)
        add("gather-nd", ("gather_nd", {"index": index}), "IndexError",
            f"gather_nd: index {index} is out of bounds")
    for dtype in ("float64", "float16", "int32"):
        add("fc-dtype", ("fc_dtype", {"dtype": dtype}), "MXNetError",
            f"FullyConnected: weight has dtype float32, expected {dtype}")
    for _ in range(6):
        shape = (rng.randrange(3, 6), rng.randrange(5, 8))
        add("setitem-shape", ("setitem", {"shape": shape}), "ValueError",
            "could not be broadcast together")
    return out


def cases(sentinel):
    """Every case of the corpus, in a fixed order."""
    rng = random.Random(SEED)
    return (nd_cases(rng) + params_cases(rng) + json_cases(rng) + states_cases(rng, sentinel)
            + recordio_cases(rng) + op_cases(rng))
