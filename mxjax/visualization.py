"""``mx.viz`` / ``mx.visualization``: a Symbol's layers as a text table
(``print_summary``) or a Graphviz graph (``plot_network``), as MXNet 1.9.1 draws them.

Both read the graph from ``symbol.tojson()``, which is MXNet's JSON, so node order,
names and attribute strings are the ones MXNet shows.
"""

import copy
import functools
import json
import re
import warnings

from .symbol import Symbol

__all__ = ["print_summary", "plot_network"]


def _str2tuple(string):
    """The numbers of a shape attribute string, as strings: ``'(3, 3)'`` -> ``['3', '3']``."""
    return re.findall(r"\d+", string)


def _print_row(fields, positions):
    """One table row: each field cut at, and padded to, its column stop."""
    line = ""
    for field, stop in zip(fields, positions):
        line += str(field)
        line = line[:stop]
        line += " " * (stop - len(line))
    print(line)


def _layer_params(node, nodes, heads, shape_dict):
    """``(parameter count, names of the previous layers)`` of ``node`` as MXNet 1.9.1's
    table counts them -- quirks included, so the tables agree:

    - the previous layers are the operator inputs plus any variable whose node index
      appears in the first head entry ``[node, output, version]`` (in practice the first
      variable, ``data``, since output and version are 0);
    - ``pre_filter``, the input size the counts use, is the sum over those inputs of
      their output's dimension 1 (the channels of an NCHW input, not the flattened size
      a FullyConnected layer really sees), and 0 without ``shape``;
    - Convolution: ``pre_filter * num_filter / num_group * prod(kernel)`` (+ num_filter
      unless ``no_bias`` is exactly the string 'True'); FullyConnected: ``(pre_filter + 1)
      * num_hidden`` (``pre_filter * num_hidden`` with no_bias); BatchNorm: 2 * channels
      (gamma and beta, not the moving statistics), only with ``shape``; Embedding:
      input_dim * output_dim; every other operator: 0, even with weights.
    """
    op = node["op"]
    previous = []
    pre_filter = 0
    if op != "null":
        for item in node["inputs"]:
            input_node = nodes[item[0]]
            if input_node["op"] != "null" or item[0] in heads:
                previous.append(input_node["name"])
                if shape_dict is not None:
                    key = input_node["name"] + ("_output" if input_node["op"] != "null"
                                                else "")
                    if key in shape_dict:
                        pre_filter += int(shape_dict[key][1:][0])
    attrs = node.get("attrs", {})
    params = 0
    if op == "Convolution":
        num_group = int(attrs.get("num_group", "1"))
        params = pre_filter * int(attrs["num_filter"]) // num_group
        for k in _str2tuple(attrs["kernel"]):
            params *= int(k)
        if attrs.get("no_bias") != "True":
            params += int(attrs["num_filter"])
    elif op == "FullyConnected":
        if attrs.get("no_bias") == "True":
            params = pre_filter * int(attrs["num_hidden"])
        else:
            params = (pre_filter + 1) * int(attrs["num_hidden"])
    elif op == "BatchNorm":
        if shape_dict is not None:
            params = int(shape_dict[node["name"] + "_output"][1]) * 2
    elif op == "Embedding":
        params = int(attrs["input_dim"]) * int(attrs["output_dim"])
    return params, previous


def print_summary(symbol, shape=None, line_length=120, positions=(.44, .64, .74, 1.)):
    """Print a table of ``symbol``'s layers: name (operator), output shape (without
    the batch axis, when ``shape`` is given), parameter count and previous layers,
    then ``Total params``; exactly MXNet 1.9.1's table, including how it counts (see
    the notes).

    Parameters
    ----------
    symbol : Symbol
    shape : dict of str to tuple, optional
        Input shapes; without them shapes are blank and some counts are partial.
    line_length : int
        Width of the table.
    positions : sequence of float or int
        Column stops, as fractions of ``line_length`` (when the last is <= 1) or
        absolute.

    Notes
    -----
    The counts are MXNet's estimate, not the sizes of the bound arrays: a layer's
    input size is taken as the channel dimension (dimension 1) of its inputs, BatchNorm
    counts gamma and beta only, and operators other than Convolution, FullyConnected,
    BatchNorm and Embedding count 0. Of the variables, only the first one is listed.
    """
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be Symbol")
    shape_dict = None
    if shape is not None:
        internals = symbol.get_internals()
        _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise ValueError("Input shape is incomplete")
        shape_dict = dict(zip(internals.list_outputs(), out_shapes))
    conf = json.loads(symbol.tojson())
    nodes = conf["nodes"]
    heads = set(conf["heads"][0])  # MXNet's: the first head entry's numbers (see above)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    print("_" * line_length)
    _print_row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"], positions)
    print("=" * line_length)
    total_params = 0
    for i, node in enumerate(nodes):
        op = node["op"]
        if op == "null" and i > 0:
            continue
        out_shape = []
        if shape_dict is not None and (op != "null" or i in heads):
            key = node["name"] + ("_output" if op != "null" else "")
            if key in shape_dict:
                out_shape = shape_dict[key][1:]
        params, previous = _layer_params(node, nodes, heads, shape_dict)
        _print_row([f"{node['name']}({op})", "x".join(str(x) for x in out_shape), params,
                    previous[0] if previous else ""], positions)
        for name in previous[1:]:
            _print_row(["", "", "", name], positions)
        total_params += params
        print(("=" if i == len(nodes) - 1 else "_") * line_length)
    print(f"Total params: {total_params}")
    print("_" * line_length)


# ---- plot_network ------------------------------------------------------------------------------
_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5")
_WEIGHT_LIKE = ("_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean",
                "_running_var", "_running_mean")


@functools.cache
def _digraph_class():
    """``graphviz.Digraph`` whose rendering, when Graphviz's ``dot`` program is missing,
    raises an error that says so and what to install."""
    from graphviz import Digraph, ExecutableNotFound

    class DotNotFound(ExecutableNotFound):
        _msg = ("mx.viz.plot_network: rendering the graph needs Graphviz's {!r} program, "
                "which is not on PATH. Install Graphviz (e.g. `apt-get install graphviz`, "
                "`brew install graphviz` or `conda install graphviz`); the Python package "
                "`graphviz` alone only builds the graph (its .source works without it)")

    class NetworkDigraph(Digraph):
        """A ``graphviz.Digraph`` with a clear error where ``dot`` is missing."""

        def pipe(self, *args, **kwargs):
            try:
                return super().pipe(*args, **kwargs)
            except DotNotFound:
                raise
            except ExecutableNotFound as e:
                raise DotNotFound(["dot"]) from e

        def render(self, *args, **kwargs):
            try:
                return super().render(*args, **kwargs)
            except DotNotFound:
                raise
            except ExecutableNotFound as e:
                raise DotNotFound(["dot"]) from e

    return NetworkDigraph


def _node_style(node, node_attr):
    """``(label, attributes)`` of an operator or input node, MXNet's colours and labels."""
    op, name = node["op"], node["name"]
    attrs = node.get("attrs", {})
    attr = copy.deepcopy(node_attr)
    label = name
    if op == "null":
        attr["shape"] = "oval"
        attr["fillcolor"] = _COLORS[0]
    elif op == "Convolution":
        label = "Convolution\n{}/{}, {}".format(
            "x".join(_str2tuple(attrs["kernel"])),
            "x".join(_str2tuple(attrs["stride"])) if "stride" in attrs else "1",
            attrs["num_filter"])
        attr["fillcolor"] = _COLORS[1]
    elif op == "FullyConnected":
        label = f"FullyConnected\n{attrs['num_hidden']}"
        attr["fillcolor"] = _COLORS[1]
    elif op == "BatchNorm":
        attr["fillcolor"] = _COLORS[3]
    elif op == "Activation":
        label = f"Activation\n{attrs['act_type']}"
        attr["fillcolor"] = _COLORS[2]
    elif op == "LeakyReLU":
        label = f"LeakyReLU\n{attrs.get('act_type', 'Leaky')}"
        attr["fillcolor"] = _COLORS[2]
    elif op == "Pooling":
        label = "Pooling\n{}, {}/{}".format(
            attrs["pool_type"],
            "x".join(_str2tuple(attrs["kernel"])) if "kernel" in attrs else "[]",
            "x".join(_str2tuple(attrs["stride"])) if "stride" in attrs else "1")
        attr["fillcolor"] = _COLORS[4]
    elif op in ("Concat", "Flatten", "Reshape"):
        attr["fillcolor"] = _COLORS[5]
    elif op == "Softmax":
        attr["fillcolor"] = _COLORS[6]
    else:
        attr["fillcolor"] = _COLORS[7]
        if op == "Custom":
            label = attrs["op_type"]
    return label, attr


def _edge_key(input_node):
    """The internals output feeding an edge: a variable's name, or an operator's
    ``<name>_output`` (MXNet appends ``num_outputs - 1`` for multi-output operators,
    i.e. labels the edge with the last output's shape)."""
    if input_node["op"] == "null":
        return input_node["name"]
    key = input_node["name"] + "_output"
    params = input_node.get("attrs", {})
    if "num_outputs" in params:
        key += str(int(params["num_outputs"]) - 1)
    return key


def plot_network(symbol, title="plot", save_format="pdf", shape=None, dtype=None,
                 node_attrs=None, hide_weights=True):
    """A ``graphviz.Digraph`` of ``symbol``'s graph, drawn as MXNet 1.9.1 draws it.

    Building the graph needs the Python package ``graphviz``; rendering it
    (``render``, ``view``, ``pipe``, notebook display) needs Graphviz's ``dot`` program
    too, and says so when it is missing.

    Parameters
    ----------
    symbol : Symbol
    title : str
        Name of the graph.
    save_format : str
        Format ``render`` writes (``'pdf'``, ``'png'``, ``'svg'`` ...).
    shape : dict of str to tuple, optional
        Input shapes: edges are labelled with the shapes (without the batch axis).
    dtype : dict of str to numpy type, optional
        Input types: edges are labelled with the type names.
    node_attrs : dict, optional
        Graphviz node attributes overriding the defaults (box, filled, 1.3 x 0.8034).
    hide_weights : bool
        Leave out variables named like weights (``*_weight``, ``*_bias``, ``*_gamma``,
        running statistics ...).

    Returns
    -------
    graphviz.Digraph
    """
    try:
        import graphviz  # noqa: F401 - the error below is MXNet's
    except ImportError:
        raise ImportError("Draw network requires graphviz library") from None
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be a Symbol")
    internals = symbol.get_internals()
    shape_dict = type_dict = None
    if shape is not None:
        _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise ValueError("Input shape is incomplete")
        shape_dict = dict(zip(internals.list_outputs(), out_shapes))
    if dtype is not None:
        _, out_types, _ = internals.infer_type(**dtype)
        if out_types is None:
            raise ValueError("Input type is incomplete")
        type_dict = dict(zip(internals.list_outputs(), out_types))
    nodes = json.loads(symbol.tojson())["nodes"]

    seen = set()
    repeated = [n["name"] for n in nodes if n["name"] in seen or seen.add(n["name"])]
    repeated = list(dict.fromkeys(repeated))  # MXNet lists a set, in no fixed order
    if repeated:
        warnings.warn("There are multiple variables with the same name in your graph, this "
                      "may result in cyclic graph. Repeated names: " + ",".join(repeated),
                      RuntimeWarning, stacklevel=2)

    node_attr = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034",
                 "style": "filled"}
    node_attr.update(node_attrs or {})
    dot = _digraph_class()(name=title, format=save_format)
    hidden = set()
    for node in nodes:
        if node["op"] == "null" and node["name"].endswith(_WEIGHT_LIKE):
            if hide_weights:
                hidden.add(node["name"])
            # not drawn either way; without hide_weights the edge draws an empty node
            continue
        label, attr = _node_style(node, node_attr)
        dot.node(name=node["name"], label=label, **attr)

    for node in nodes:
        if node["op"] == "null":
            continue
        inputs = node["inputs"]
        if node["op"] == "_contrib_BilinearResize2D":
            inputs = [inputs[0]]
        for item in inputs:
            input_node = nodes[item[0]]
            if input_node["name"] in hidden:
                continue
            attr = {"dir": "back", "arrowtail": "open", "label": ""}
            key = _edge_key(input_node)
            if shape_dict is not None:
                attr["label"] = "x".join(str(x) for x in shape_dict[key][1:])
            if type_dict is not None:
                attr["label"] += "(" + type_dict[key].__name__ + ")"
            dot.edge(tail_name=node["name"], head_name=input_node["name"], **attr)
    return dot
