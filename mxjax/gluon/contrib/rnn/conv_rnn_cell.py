"""Convolutional recurrent cells (MXNet's ``gluon/contrib/rnn/conv_rnn_cell.py``):
RNN, LSTM and GRU cells whose input-to-hidden and hidden-to-hidden transforms are
convolutions (Shi et al., 2015), in 1, 2 and 3 spatial dimensions.

The nine public classes (``Conv{1,2,3}D{RNN,LSTM,GRU}Cell``) are built from three
recurrences times three dimensionalities; they differ only in their defaults.
"""

from ....base import numeric_types
from ...rnn._cell_base import HybridRecurrentCell

__all__ = ["Conv1DRNNCell", "Conv2DRNNCell", "Conv3DRNNCell",
           "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell",
           "Conv1DGRUCell", "Conv2DGRUCell", "Conv3DGRUCell"]


def _get_conv_out_size(dimensions, kernels, paddings, dilations):
    """Spatial output size of a stride-1 convolution (0 stays 0: unknown)."""
    return tuple((x + 2 * p - d * (k - 1) - 1) + 1 if x else 0
                 for x, k, p, d in zip(dimensions, kernels, paddings, dilations))


class _BaseConvRNNCell(HybridRecurrentCell):
    """Shapes, parameters and the two convolutions shared by every convolutional cell.

    ``input_shape`` is one step's sample shape without the batch axis, in
    ``conv_layout`` (``(C, H, W)`` for 'NCHW'); the hidden-to-hidden convolution keeps
    the spatial size (odd kernels, 'same' padding).
    """

    _num_gates = 1
    _num_states = 1

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad,
                 i2h_dilate, h2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                 i2h_bias_initializer, h2h_bias_initializer, dims, conv_layout, activation,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._hidden_channels = hidden_channels
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._activation = activation
        specs = (i2h_kernel, i2h_pad, i2h_dilate, h2h_kernel, h2h_dilate)
        if not all(isinstance(s, int) or len(s) == dims for s in specs):
            raise AssertionError(f"For {dims}D convolution, the convolution settings can only "
                                 f"be either int or list/tuple of length {dims}")
        i2h_kernel, i2h_pad, i2h_dilate, h2h_kernel, h2h_dilate = (
            (s,) * dims if isinstance(s, numeric_types) else tuple(s) for s in specs)
        if not all(k % 2 == 1 for k in h2h_kernel):
            raise AssertionError(f"Only support odd number, get h2h_kernel= {specs[3]}")
        self._i2h_kernel, self._i2h_pad, self._i2h_dilate = i2h_kernel, i2h_pad, i2h_dilate
        self._h2h_kernel, self._h2h_dilate = h2h_kernel, h2h_dilate
        self._stride = (1,) * dims
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(h2h_dilate, h2h_kernel))

        self._channel_axis = conv_layout.find("C")
        channels_first = self._channel_axis == 1
        in_channels = input_shape[self._channel_axis - 1]
        spatial = input_shape[1:] if channels_first else input_shape[:-1]
        out_size = _get_conv_out_size(spatial, i2h_kernel, i2h_pad, i2h_dilate)
        self._in_channels = in_channels
        self._state_shape = ((hidden_channels,) + out_size if channels_first
                             else out_size + (hidden_channels,))
        rows = hidden_channels * self._num_gates

        def weight_shape(channels, kernel):
            return (rows, channels) + kernel if channels_first else (rows,) + kernel + (channels,)

        for name, shape, init in (
                ("i2h_weight", weight_shape(in_channels, i2h_kernel), i2h_weight_initializer),
                ("h2h_weight", weight_shape(hidden_channels, h2h_kernel),
                 h2h_weight_initializer),
                ("i2h_bias", (rows,), i2h_bias_initializer),
                ("h2h_bias", (rows,), h2h_bias_initializer)):
            setattr(self, name, self.params.get(name, shape=shape, init=init,
                                                allow_deferred_init=True))

    def __repr__(self):
        shape = self.i2h_weight.shape
        in_channels = shape[1 if self._channel_axis == 1 else -1]
        return (f"{type(self).__name__}({in_channels if in_channels else None} -> {shape[0]}, "
                f"{self._activation}, {self._conv_layout})")

    def state_info(self, batch_size=0):
        return [{"shape": (batch_size,) + self._state_shape, "__layout__": self._conv_layout}
                for _ in range(self._num_states)]

    def _conv_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias,
                      prefix):
        num_filter = self._hidden_channels * self._num_gates
        i2h = F.Convolution(data=inputs, num_filter=num_filter, kernel=self._i2h_kernel,
                            stride=self._stride, pad=self._i2h_pad, dilate=self._i2h_dilate,
                            weight=i2h_weight, bias=i2h_bias, layout=self._conv_layout,
                            name=prefix + "i2h")
        h2h = F.Convolution(data=states[0], num_filter=num_filter, kernel=self._h2h_kernel,
                            dilate=self._h2h_dilate, pad=self._h2h_pad, stride=self._stride,
                            weight=h2h_weight, bias=h2h_bias, layout=self._conv_layout,
                            name=prefix + "h2h")
        return i2h, h2h


class _ConvRNNCell(_BaseConvRNNCell):
    """``h_t = activation(conv(x_t) + conv(h_{t-1}))``."""

    def _alias(self):
        return "conv_rnn"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f"t{self._counter}_"
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        output = self._get_activation(F, i2h + h2h, self._activation, name=prefix + "out")
        return output, [output]


class _ConvLSTMCell(_BaseConvRNNCell):
    """LSTM with convolutional transforms; gates i, f, c, o along the channel axis."""

    _num_gates = 4
    _num_states = 2

    def _alias(self):
        return "conv_lstm"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f"t{self._counter}_"
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        gates = F.SliceChannel(i2h + h2h, num_outputs=4, name=prefix + "slice",
                               axis=self._channel_axis)
        in_gate = F.Activation(gates[0], act_type="sigmoid", name=prefix + "i")
        forget_gate = F.Activation(gates[1], act_type="sigmoid", name=prefix + "f")
        in_transform = self._get_activation(F, gates[2], self._activation, name=prefix + "c")
        out_gate = F.Activation(gates[3], act_type="sigmoid", name=prefix + "o")
        next_c = F.elemwise_add(forget_gate * states[1], in_gate * in_transform,
                                name=prefix + "state")
        next_h = F.elemwise_mul(out_gate, self._get_activation(F, next_c, self._activation),
                                name=prefix + "out")
        return next_h, [next_h, next_c]


class _ConvGRUCell(_BaseConvRNNCell):
    """GRU with convolutional transforms; gates r, z, n along the channel axis."""

    _num_gates = 3

    def _alias(self):
        return "conv_gru"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f"t{self._counter}_"
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        i2h_r, i2h_z, i2h_n = F.SliceChannel(i2h, num_outputs=3, name=prefix + "i2h_slice",
                                             axis=self._channel_axis)
        h2h_r, h2h_z, h2h_n = F.SliceChannel(h2h, num_outputs=3, name=prefix + "h2h_slice",
                                             axis=self._channel_axis)
        reset_gate = F.Activation(i2h_r + h2h_r, act_type="sigmoid", name=prefix + "r_act")
        update_gate = F.Activation(i2h_z + h2h_z, act_type="sigmoid", name=prefix + "z_act")
        candidate = self._get_activation(F, i2h_n + reset_gate * h2h_n, self._activation,
                                         name=prefix + "h_act")
        next_h = F.elemwise_add((1.0 - update_gate) * candidate, update_gate * states[0],
                                name=prefix + "out")
        return next_h, [next_h]


def _public_cell(base, dims, kind):
    """``Conv{dims}D{kind}Cell``: ``base`` with MXNet's defaults for ``dims`` dimensions."""
    layout = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[dims]

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel,
                 i2h_pad=(0,) * dims, i2h_dilate=(1,) * dims, h2h_dilate=(1,) * dims,
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros",
                 conv_layout=layout, activation="tanh", prefix=None, params=None):
        base.__init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad,
                      i2h_dilate, h2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                      i2h_bias_initializer, h2h_bias_initializer, dims, conv_layout,
                      activation, prefix, params)

    name = f"Conv{dims}D{kind}Cell"
    doc = (f"{dims}D convolutional {kind} cell.\n\n    Parameters\n    ----------\n"
           f"    input_shape : tuple of int\n        One step's sample shape in "
           f"``conv_layout`` without the batch axis.\n    hidden_channels : int\n"
           f"        Channels of the state.\n    i2h_kernel, h2h_kernel : int or tuple\n"
           f"        Kernels of the input and the (odd, 'same'-padded) state convolutions.\n"
           f"    i2h_pad, i2h_dilate, h2h_dilate : int or tuple\n        Padding and "
           f"dilations.\n    conv_layout : str, default '{layout}'\n        Layout of inputs, "
           f"states and weights.\n    activation : str or Block, default 'tanh'\n")
    return type(name, (base,), {"__init__": __init__, "__doc__": doc, "__module__": __name__,
                                "__qualname__": name})


Conv1DRNNCell = _public_cell(_ConvRNNCell, 1, "RNN")
Conv2DRNNCell = _public_cell(_ConvRNNCell, 2, "RNN")
Conv3DRNNCell = _public_cell(_ConvRNNCell, 3, "RNN")
Conv1DLSTMCell = _public_cell(_ConvLSTMCell, 1, "LSTM")
Conv2DLSTMCell = _public_cell(_ConvLSTMCell, 2, "LSTM")
Conv3DLSTMCell = _public_cell(_ConvLSTMCell, 3, "LSTM")
Conv1DGRUCell = _public_cell(_ConvGRUCell, 1, "GRU")
Conv2DGRUCell = _public_cell(_ConvGRUCell, 2, "GRU")
Conv3DGRUCell = _public_cell(_ConvGRUCell, 3, "GRU")
