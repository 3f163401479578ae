"""Convolution, pooling and padding layers of ``gluon.nn`` (MXNet's ``conv_layers.py``)."""

from numbers import Number

from ... import operator as _operator
from ..block import HybridBlock
from .activations import Activation

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "Conv3DTranspose", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D",
           "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D"]


def _ntuple(value, n):
    """A number repeated ``n`` times; a tuple or list is kept as given (as MXNet does)."""
    return (value,) * n if isinstance(value, Number) else value


def _sized(value, n, what):
    value = _ntuple(value, n)
    if len(value) != n:
        raise AssertionError(f"{what} must be a number or a list of {n} ints")
    return value


def _check_layout(layout, allowed, message):
    if layout not in allowed:
        raise AssertionError(message)


class _Conv(HybridBlock):
    """N-D (transposed) convolution, ``activation(conv(x, weight) + bias)``: the base of
    the Conv* layers. ``in_channels=0`` defers the weight's shape to the first forward."""

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout,
                 in_channels=0, activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", op_name="Convolution", adj=None, prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            n = len(kernel_size)
            self._op_name = op_name
            self._kwargs = {"kernel": kernel_size, "stride": _ntuple(strides, n),
                            "dilate": _ntuple(dilation, n), "pad": _ntuple(padding, n),
                            "num_filter": channels, "num_group": groups,
                            "no_bias": not use_bias, "layout": layout}
            if adj is not None:
                self._kwargs["adj"] = adj
            # Shapes for a batch of one with ``in_channels`` channels; 0 marks what the
            # first forward has to infer (MXNet asks its shape inference the same way).
            dshape = [0] * (n + 2)
            dshape[layout.find("N")] = 1
            dshape[layout.find("C")] = in_channels
            shapes = _operator.infer_param_shapes(
                op_name, {"data": tuple(dshape), "weight": None, "bias": None}, self._kwargs)
            self.weight = self.params.get("weight", shape=shapes["weight"],
                                          init=weight_initializer, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=shapes["bias"],
                                            init=bias_initializer, allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + "_") if activation else None

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        if bias is None:
            out = op(x, weight, name="fwd", **self._kwargs)
        else:
            out = op(x, weight, bias, name="fwd", **self._kwargs)
        return self.act(out) if self.act is not None else out

    def _alias(self):
        return "conv"

    def __repr__(self):
        k = self._kwargs
        n = len(k["kernel"])
        parts = [f"kernel_size={k['kernel']}", f"stride={k['stride']}"]
        if k["pad"] != (0,) * n:
            parts.append(f"padding={k['pad']}")
        if k["dilate"] != (1,) * n:
            parts.append(f"dilation={k['dilate']}")
        # MXNet 1.9.1 never prints output_padding: its repr looks for an attribute that the
        # transposed layers do not set.
        if k["num_group"] != 1:
            parts.append(f"groups={k['num_group']}")
        if self.bias is None:
            parts.append("bias=False")
        if self.act:
            parts.append(repr(self.act))
        # MXNet prints weight.shape[1] as the input size: for channel-last layouts and
        # transposed convolutions that is not the number of input channels.
        shape = self.weight.shape
        mapping = f"{shape[1] if shape[1] else None} -> {shape[0]}"
        return f"{type(self).__name__}({mapping}, {', '.join(parts)})"


class _ConvN(_Conv):
    """A convolution layer of fixed dimensionality; subclasses set the class constants."""

    _ndim, _layouts, _op = 2, ("NCHW", "NHWC"), "Convolution"

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout,
                 activation, use_bias, weight_initializer, bias_initializer, in_channels,
                 output_padding=None, **kwargs):
        n = self._ndim
        allowed = " and ".join(f"'{x}'" for x in self._layouts)
        _check_layout(layout, self._layouts, f"Only supports {allowed} layout for now")
        kernel_size = _sized(kernel_size, n, "kernel_size")
        if output_padding is not None:
            output_padding = _sized(output_padding, n, "output_padding")
        op_name = kwargs.pop("op_name", self._op)
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, op_name=op_name, adj=output_padding, **kwargs)
        if output_padding is not None:
            self.outpad = output_padding


class Conv1D(_ConvN):
    """1-D convolution over the ``W`` axis of ``NCW`` data."""

    _ndim, _layouts = 1, ("NCW",)

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1,
                 layout="NCW", activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer,
                         in_channels, **kwargs)


class Conv2D(_ConvN):
    """2-D convolution over the ``H`` and ``W`` axes (``NCHW`` or ``NHWC`` data)."""

    _ndim, _layouts = 2, ("NCHW", "NHWC")

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, layout="NCHW", activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer,
                         in_channels, **kwargs)


class Conv3D(_ConvN):
    """3-D convolution over the ``D``, ``H`` and ``W`` axes (``NCDHW`` or ``NDHWC``)."""

    _ndim, _layouts = 3, ("NCDHW", "NDHWC")

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 dilation=(1, 1, 1), groups=1, layout="NCDHW", activation=None,
                 use_bias=True, weight_initializer=None, bias_initializer="zeros",
                 in_channels=0, **kwargs):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer,
                         in_channels, **kwargs)


class Conv1DTranspose(_ConvN):
    """1-D transposed convolution (deconvolution) of ``NCW`` data."""

    _ndim, _layouts, _op = 1, ("NCW",), "Deconvolution"

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0,
                 dilation=1, groups=1, layout="NCW", activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer,
                         in_channels, output_padding, **kwargs)


class Conv2DTranspose(_ConvN):
    """2-D transposed convolution (``NCHW`` or ``NHWC`` data)."""

    _ndim, _layouts, _op = 2, ("NCHW", "NHWC"), "Deconvolution"

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 output_padding=(0, 0), dilation=(1, 1), groups=1, layout="NCHW",
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer,
                         in_channels, output_padding, **kwargs)


class Conv3DTranspose(_ConvN):
    """3-D transposed convolution (``NCDHW`` or ``NDHWC`` data)."""

    _ndim, _layouts, _op = 3, ("NCDHW", "NDHWC"), "Deconvolution"

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 output_padding=(0, 0, 0), dilation=(1, 1, 1), groups=1, layout="NCDHW",
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer,
                         in_channels, output_padding, **kwargs)


# ---- pooling -------------------------------------------------------------------------------
_POOL_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}


class _Pooling(HybridBlock):
    """Max or average pooling (local or global): the base of the pooling layers."""

    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool, pool_type,
                 layout, count_include_pad=None, **kwargs):
        n = len(pool_size)
        _check_layout(layout, _POOL_LAYOUTS[n],
                      f"Only {' and '.join(_POOL_LAYOUTS[n])} layouts are valid for {n}D "
                      "Pooling")
        super().__init__(**kwargs)
        self._kwargs = {"kernel": pool_size,
                        "stride": _ntuple(pool_size if strides is None else strides, n),
                        "pad": _ntuple(padding, n), "global_pool": global_pool,
                        "pool_type": pool_type, "layout": layout,
                        "pooling_convention": "full" if ceil_mode else "valid"}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self):
        return "pool"

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name="fwd", **self._kwargs)

    def __repr__(self):
        k = self._kwargs
        return (f"{type(self).__name__}(size={k['kernel']}, stride={k['stride']}, "
                f"padding={k['pad']}, ceil_mode={k['pooling_convention'] == 'full'}, "
                f"global_pool={k['global_pool']}, pool_type={k['pool_type']}, "
                f"layout={k['layout']})")


class _LocalPool(_Pooling):
    """Windowed pooling of fixed dimensionality; subclasses set the class constants."""

    _ndim, _type = 2, "max"

    def __init__(self, pool_size, strides, padding, layout, ceil_mode,
                 count_include_pad=None, **kwargs):
        pool_size = _sized(pool_size, self._ndim, "pool_size")
        super().__init__(pool_size, strides, padding, ceil_mode, False, self._type, layout,
                         count_include_pad, **kwargs)


class MaxPool1D(_LocalPool):
    """Max pooling over the ``W`` axis."""

    _ndim, _type = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False,
                 **kwargs):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, **kwargs)


class MaxPool2D(_LocalPool):
    """Max pooling over the ``H`` and ``W`` axes."""

    _ndim, _type = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout="NCHW",
                 ceil_mode=False, **kwargs):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, **kwargs)


class MaxPool3D(_LocalPool):
    """Max pooling over the ``D``, ``H`` and ``W`` axes."""

    _ndim, _type = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCDHW", **kwargs):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, **kwargs)


class AvgPool1D(_LocalPool):
    """Average pooling over the ``W`` axis."""

    _ndim, _type = 1, "avg"

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False,
                 count_include_pad=True, **kwargs):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, count_include_pad,
                         **kwargs)


class AvgPool2D(_LocalPool):
    """Average pooling over the ``H`` and ``W`` axes."""

    _ndim, _type = 2, "avg"

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCHW", count_include_pad=True, **kwargs):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, count_include_pad,
                         **kwargs)


class AvgPool3D(_LocalPool):
    """Average pooling over the ``D``, ``H`` and ``W`` axes."""

    _ndim, _type = 3, "avg"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout="NCDHW", count_include_pad=True, **kwargs):
        super().__init__(pool_size, strides, padding, layout, ceil_mode, count_include_pad,
                         **kwargs)


class _GlobalPool(_Pooling):
    """Pooling over the whole spatial extent; subclasses set the class constants."""

    _ndim, _type = 2, "max"

    def __init__(self, layout, **kwargs):
        super().__init__((1,) * self._ndim, None, 0, True, True, self._type, layout,
                         **kwargs)


class GlobalMaxPool1D(_GlobalPool):
    """Max over the whole ``W`` axis."""

    _ndim, _type = 1, "max"

    def __init__(self, layout="NCW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalMaxPool2D(_GlobalPool):
    """Max over the whole ``H`` and ``W`` axes."""

    _ndim, _type = 2, "max"

    def __init__(self, layout="NCHW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalMaxPool3D(_GlobalPool):
    """Max over the whole ``D``, ``H`` and ``W`` axes."""

    _ndim, _type = 3, "max"

    def __init__(self, layout="NCDHW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalAvgPool1D(_GlobalPool):
    """Mean over the whole ``W`` axis."""

    _ndim, _type = 1, "avg"

    def __init__(self, layout="NCW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalAvgPool2D(_GlobalPool):
    """Mean over the whole ``H`` and ``W`` axes."""

    _ndim, _type = 2, "avg"

    def __init__(self, layout="NCHW", **kwargs):
        super().__init__(layout, **kwargs)


class GlobalAvgPool3D(_GlobalPool):
    """Mean over the whole ``D``, ``H`` and ``W`` axes."""

    _ndim, _type = 3, "avg"

    def __init__(self, layout="NCDHW", **kwargs):
        super().__init__(layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pads the ``H`` and ``W`` axes of 4-D data by reflection.

    ``padding`` is one number for every side, or MXNet's 8-entry ``pad_width``.
    """

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, Number):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        if len(padding) != 8:
            raise AssertionError(f"ReflectionPad2D: padding must have 8 entries, got "
                                 f"{padding}")
        self._padding = padding

    def hybrid_forward(self, F, x):
        return F.pad(x, mode="reflect", pad_width=self._padding)
