"""Fused recurrent layers of ``gluon.rnn`` (MXNet's ``rnn_layer.py``): RNN, LSTM, GRU.

Each layer keeps one Parameter per layer, direction and matrix (``l0_i2h_weight``,
``r1_h2h_bias``, ...), named and ordered as in MXNet so parameter files move both ways,
and concatenates them inside ``hybrid_forward`` into the fused ``RNN`` operator's flat
vector (all weights, then all biases; layer-major, left before right, i2h before h2h).
"""

import re

from ... import ndarray as nd
from ..block import HybridBlock
from . import rnn_cell
from ._cell_base import _symbol_zeros_like_batch

__all__ = ["RNN", "LSTM", "GRU"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
_PARAM_KEY = re.compile(r"(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")


class _RNNLayer(HybridBlock):
    """Common implementation of the fused recurrent layers."""

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, projection_size, h2r_weight_initializer,
                 lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan, dtype,
                 use_sequence_length=False, **kwargs):
        super().__init__(**kwargs)
        if layout not in ("TNC", "NTC"):
            raise AssertionError(f"Invalid layout {layout}; must be one of ['TNC' or 'NTC']")
        self._hidden_size = hidden_size
        self._projection_size = projection_size if projection_size else None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._i2h_weight_initializer = i2h_weight_initializer
        self._h2h_weight_initializer = h2h_weight_initializer
        self._i2h_bias_initializer = i2h_bias_initializer
        self._h2h_bias_initializer = h2h_bias_initializer
        self._h2r_weight_initializer = h2r_weight_initializer
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self.skip_states = None
        self._gates = _GATES[mode]

        rows, rec = self._gates * hidden_size, self._projection_size or hidden_size
        ni = input_size
        for i in range(num_layers):
            for d in "lr"[:self._dir]:
                shapes = [("i2h_weight", (rows, ni), i2h_weight_initializer),
                          ("h2h_weight", (rows, rec), h2h_weight_initializer),
                          ("i2h_bias", (rows,), i2h_bias_initializer),
                          ("h2h_bias", (rows,), h2h_bias_initializer)]
                if self._projection_size:
                    shapes.append(("h2r_weight", (rec, hidden_size), h2r_weight_initializer))
                for name, shape, init in shapes:
                    self._register_param(f"{d}{i}_{name}", shape, init, dtype)
            ni = rec * self._dir

    def _register_param(self, name, shape, init, dtype):
        p = self.params.get(name, shape=shape, init=init, allow_deferred_init=True,
                            dtype=dtype)
        setattr(self, name, p)
        return p

    def __repr__(self):
        extra = "" if self._num_layers == 1 else f", num_layers={self._num_layers}"
        extra += "" if self._dropout == 0 else f", dropout={self._dropout}"
        extra += ", bidirectional" if self._dir == 2 else ""
        rows, cols = self.l0_i2h_weight.shape
        mapping = f"{cols if cols else None} -> {rows // self._gates}"
        return f"{type(self).__name__}({mapping}, {self._layout}{extra})"

    def _collect_params_with_prefix(self, prefix=""):
        # MXNet saves the fused layer under the names of its unfused cell stack:
        # '_unfused.<layer>.<g>_<t>' (or '_unfused.<layer>.<l|r>_cell.<g>_<t>' bidirectional).
        if prefix:
            prefix += "."
        ret = {}
        for key, val in self._reg_params.items():
            d, layer, g, t = _PARAM_KEY.match(key).groups()
            cell = f"{d}_cell." if self._dir == 2 else ""
            ret[f"{prefix}_unfused.{layer}.{cell}{g}_{t}"] = val
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def state_info(self, batch_size=0):
        raise NotImplementedError

    def _unfuse(self):
        """The same network as a ``HybridSequentialRNNCell`` of cells (``BidirectionalCell``
        pairs, ``DropoutCell`` between layers) sharing this layer's parameters."""
        if self._projection_size:
            raise AssertionError("_unfuse does not support projection layer yet!")
        if self._lstm_state_clip_min or self._lstm_state_clip_max:
            raise AssertionError("_unfuse does not support state clipping yet!")
        cell_type, extra = {"rnn_relu": (rnn_cell.RNNCell, {"activation": "relu"}),
                            "rnn_tanh": (rnn_cell.RNNCell, {"activation": "tanh"}),
                            "lstm": (rnn_cell.LSTMCell, {}),
                            "gru": (rnn_cell.GRUCell, {})}[self._mode]
        stack = rnn_cell.HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        with stack.name_scope():
            ni = self._input_size
            for i in range(self._num_layers):
                kwargs = dict(extra, input_size=ni,
                              i2h_weight_initializer=self._i2h_weight_initializer,
                              h2h_weight_initializer=self._h2h_weight_initializer,
                              i2h_bias_initializer=self._i2h_bias_initializer,
                              h2h_bias_initializer=self._h2h_bias_initializer)
                if self._dir == 2:
                    stack.add(rnn_cell.BidirectionalCell(
                        cell_type(self._hidden_size, prefix=f"l{i}_", **kwargs),
                        cell_type(self._hidden_size, prefix=f"r{i}_", **kwargs)))
                else:
                    stack.add(cell_type(self._hidden_size, prefix=f"l{i}_", **kwargs))
                if self._dropout > 0 and i != self._num_layers - 1:
                    stack.add(rnn_cell.DropoutCell(self._dropout))
                ni = self._hidden_size * self._dir
        return stack

    def _state_shape(self, batch_size, size):
        return {"shape": (self._num_layers * self._dir, batch_size, size),
                "__layout__": "LNC", "dtype": self._dtype}

    def cast(self, dtype):
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Initial states made by ``func(shape=..., dtype=..., **kwargs)``.

        Parameters
        ----------
        batch_size : int
            Size of the batch axis ('N' of the layout; 0, unknown, for Symbols).
        func : callable, default ``nd.zeros``
            Creates one state from ``name``, ``shape``, ``__layout__``, ``dtype`` and
            ``**kwargs``: ``nd.zeros``, ``nd.ones``, ``nd.random.uniform``, ``sym.var``, ...
        **kwargs
            Passed on to ``func`` (``ctx``, ``dtype``, ``low``, ...).

        Returns
        -------
        list of NDArray or Symbol
            ``[h]`` (``[h, c]`` for LSTM), each (num_layers * directions, batch, size).
        """
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info = dict(info or {}, **kwargs)
            states.append(func(name=f"{self.prefix}h0_{i}", **info))
        return states

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        """``output`` if ``states`` is None, else ``(output, new_states)``."""
        self.skip_states = states is None
        if states is None:
            if isinstance(inputs, nd.NDArray):
                batch_size = inputs.shape[self._layout.find("N")]
                states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
            else:
                states = self.begin_state(
                    0, func=_symbol_zeros_like_batch(inputs, self._layout.find("N")))
        if not isinstance(states, (list, tuple)):
            states = [states]
        args = (states, sequence_length) if self._use_sequence_length else (states,)
        out = super().__call__(inputs, *args, **kwargs)
        # The compiled forward always returns the states too; MXNet 1.9.1's hybridized layer
        # keeps whichever form its first call had, which is a bug not copied here.
        return out[0] if self.skip_states else out

    def forward(self, inputs, *args):
        if isinstance(inputs, nd.NDArray):
            self._finish_deferred_init(inputs)
        return super().forward(inputs, *args)

    def infer_shape(self, inputs, *args):
        """Infer the first layer's input size from ``inputs`` (and finish a deferred
        initialisation) without running the layer."""
        self._finish_deferred_init(inputs)

    def _finish_deferred_init(self, inputs):
        """Infer the first layer's input size from ``inputs`` and finish initialisation."""
        ni = inputs.shape[self._layout.find("C")]
        for d in "lr"[:self._dir]:
            weight = self._reg_params[f"{d}0_i2h_weight"]
            if weight.shape[1] == 0:
                weight.shape = (weight.shape[0], ni)
        for p in self._reg_params.values():
            if p._data is None and p._deferred_init:
                p._finish_deferred_init()

    def hybrid_forward(self, F, inputs, states, sequence_length=None, **kwargs):
        if F is nd:
            batch_size = inputs.shape[self._layout.find("N")]
            for state, info in zip(states, self.state_info(batch_size)):
                if state.shape != info["shape"]:
                    raise ValueError("Invalid recurrent state shape. Expecting "
                                     f"{info['shape']}, got {state.shape}.")
        return self._forward_kernel(F, inputs, states, sequence_length, **kwargs)

    def _flat_parameters(self, F, params):
        """The RNN operator's packed vector: weights then biases, each layer-major."""
        kinds = ("i2h", "h2h", "h2r") if self._projection_size else ("i2h", "h2h")
        flat = [params[f"{d}{layer}_{g}_{t}"].reshape(-1)
                for t in ("weight", "bias")
                for layer in range(self._num_layers)
                for d in "lr"[:self._dir]
                for g in kinds if not (g == "h2r" and t == "bias")]
        return F._internal._rnn_param_concat(*flat, dim=0)

    def _forward_kernel(self, F, inputs, states, sequence_length, **kwargs):
        if self._layout == "NTC":
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        extra = {"sequence_length": sequence_length} if self._use_sequence_length else {}
        rnn = F.RNN(inputs, self._flat_parameters(F, kwargs), *states,
                    use_sequence_length=self._use_sequence_length,
                    state_size=self._hidden_size, projection_size=self._projection_size,
                    num_layers=self._num_layers, bidirectional=self._dir == 2,
                    p=self._dropout, state_outputs=True, mode=self._mode,
                    lstm_state_clip_min=self._lstm_state_clip_min,
                    lstm_state_clip_max=self._lstm_state_clip_max,
                    lstm_state_clip_nan=self._lstm_state_clip_nan, **extra)
        outputs, states = rnn[0], list(rnn[1:])
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs, states


_LAYER_DOC = """

    Parameters
    ----------
    hidden_size : int
        Number of features of the hidden state.
    num_layers : int, default 1
        Number of stacked recurrent layers.{extra}
    layout : {{'TNC', 'NTC'}}, default 'TNC'
        Layout of the input and output sequences (time, batch, channels).
    dropout : float, default 0
        Dropout on the outputs of every layer but the last (training only).
    bidirectional : bool, default False
        Also run every layer backwards in time and concatenate both outputs.
    input_size : int, default 0
        Number of input features; 0 infers it at the first forward.
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
        Initializers of the input-to-hidden and hidden-to-hidden weights.
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
        Initializers of the biases.
    dtype : str, default 'float32'
        Type of the parameters and of the default begin states.
    prefix, params
        As for every Block.

    Call as ``layer(data)`` (zeros as begin states; returns the output) or
    ``layer(data, states)`` (returns ``(output, new_states)``). ``data`` is
    (seq_len, batch, input_size) for 'TNC'; states are
    (num_layers * directions, batch, hidden_size).
"""


class RNN(_RNNLayer):
    __doc__ = ("Multi-layer Elman RNN with a ``tanh`` or ``relu`` nonlinearity."
               + _LAYER_DOC.format(extra="""
    activation : {'relu', 'tanh'}, default 'relu'
        The nonlinearity."""))

    def __init__(self, hidden_size, num_layers=1, activation="relu", layout="TNC", dropout=0,
                 bidirectional=False, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", input_size=0,
                 dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "rnn_" + activation, None, None, None, None,
                         False, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [self._state_shape(batch_size, self._hidden_size)]


class LSTM(_RNNLayer):
    __doc__ = ("Multi-layer long short-term memory RNN (gates i, f, g, o)." + _LAYER_DOC.format(
        extra="""
    projection_size : int, optional
        Size of the projected recurrent state (LSTMP); the output has this size.
    h2r_weight_initializer : str or Initializer, optional
        Initializer of the projection weights.
    state_clip_min, state_clip_max : float, optional
        Clip the cell state into this range (both or neither).
    state_clip_nan : bool, default False
        Clip NaN cell states to the range too."""))

    def __init__(self, hidden_size, num_layers=1, layout="TNC", dropout=0,
                 bidirectional=False, input_size=0, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer="zeros",
                 h2h_bias_initializer="zeros", projection_size=None,
                 h2r_weight_initializer=None, state_clip_min=None, state_clip_max=None,
                 state_clip_nan=False, dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "lstm", projection_size, h2r_weight_initializer,
                         state_clip_min, state_clip_max, state_clip_nan, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [self._state_shape(batch_size, self._projection_size or self._hidden_size),
                self._state_shape(batch_size, self._hidden_size)]


class GRU(_RNNLayer):
    __doc__ = ("Multi-layer gated recurrent unit RNN in cuDNN's form (gates r, z, n; the "
               "reset gate applies after the hidden projection)." + _LAYER_DOC.format(extra=""))

    def __init__(self, hidden_size, num_layers=1, layout="TNC", dropout=0,
                 bidirectional=False, input_size=0, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer="zeros",
                 h2h_bias_initializer="zeros", dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "gru", None, None, None, None, False, dtype,
                         **kwargs)

    def state_info(self, batch_size=0):
        return [self._state_shape(batch_size, self._hidden_size)]
