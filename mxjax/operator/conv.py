"""Convolution and Deconvolution (1-D, 2-D, 3-D; channel-first or channel-last), im2col and
col2im."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, check_same_dtype, shape_error
from .cpu_kernels import conv_general
from .spec import Required, register, unless_attr

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


@dataclass(frozen=True)
class _Geometry:
    """Kernel attributes resolved against the data: MXNet's defaults filled in."""

    layout: str          # data/output layout, e.g. "NCHW" or "NHWC"
    kernel: tuple
    stride: tuple
    dilate: tuple
    pad: tuple

    @property
    def channel_last(self):
        return self.layout.endswith("C")

    @property
    def channel_axis(self):
        return len(self.layout) - 1 if self.channel_last else 1

    @property
    def weight_layout(self):
        return self.layout.replace("N", "O").replace("C", "I")

    def dilated_kernel(self):
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilate))

    def spatial_sizes(self, shape):
        return tuple(shape[2:]) if not self.channel_last else tuple(shape[1:-1])

    def to_layout(self, nc_shape):
        """A shape given as (N-or-O, C-or-I, *spatial) in this geometry's layout."""
        if not self.channel_last:
            return tuple(nc_shape)
        return (nc_shape[0], *nc_shape[2:], nc_shape[1])


def _shape_attr(value, n, default):
    value = (value,) if isinstance(value, int) else tuple(value or ())
    return value if value else (default,) * n


def _geometry(op, data_shape, kernel, stride, dilate, pad, layout):
    kernel = _shape_attr(kernel, 0, 0)
    nd = len(kernel)
    if nd not in _SPATIAL:
        raise MXNetError(f"{op}: kernel must have 1, 2 or 3 dimensions, got {kernel}")
    if len(data_shape) != nd + 2:
        raise shape_error(op, "data", data_shape, f"{nd + 2} dimensions", kernel=kernel)
    channel_first, channel_last = "NC" + _SPATIAL[nd], "N" + _SPATIAL[nd] + "C"
    layout = layout or channel_first
    if layout not in (channel_first, channel_last):
        raise MXNetError(f"{op}: layout {layout!r} does not fit a {nd}-D kernel; "
                         f"use {channel_first!r} or {channel_last!r}")
    geo = _Geometry(layout, kernel, _shape_attr(stride, nd, 1), _shape_attr(dilate, nd, 1),
                    _shape_attr(pad, nd, 0))
    for name in ("stride", "dilate", "pad"):
        if len(getattr(geo, name)) != nd:
            raise MXNetError(f"{op}: {name} {getattr(geo, name)} must have {nd} entries "
                             f"like kernel {kernel}")
    return geo


def _check_groups(op, channels, num_filter, num_group):
    if num_group < 1 or channels % num_group or num_filter % num_group:
        raise MXNetError(f"{op}: num_group={num_group} must divide both the input channels "
                         f"({channels}) and num_filter ({num_filter})")


def _check(op, name, array, expected, **context):
    if array is not None and tuple(array.shape) != tuple(expected):
        raise shape_error(op, name, array.shape, tuple(expected), **context)


def _add_bias(op, out, bias, no_bias, num_filter, geo):
    if no_bias:
        return out
    if bias is None:
        raise MXNetError(f"{op}: no_bias=False needs the 'bias' input")
    _check(op, "bias", bias, (num_filter,))
    shape = [1] * out.ndim
    shape[geo.channel_axis] = num_filter
    return out + bias.reshape(shape).astype(out.dtype)


def _accumulation(data):
    # float16 convolutions accumulate in float32, as MXNet's kernels do.
    return jnp.float32 if data.dtype == jnp.float16 else None


def _param_shapes(op, weight_shape):
    """``infer_params`` for convolution family member ``op``, given its weight-shape rule."""

    def infer(shapes, attrs):
        geo = _geometry(op, shapes["data"], attrs["kernel"], attrs["stride"], attrs["dilate"],
                        attrs["pad"], attrs["layout"])
        channels = shapes["data"][geo.channel_axis]
        wanted = {"weight": weight_shape(geo, channels, attrs["num_filter"],
                                         attrs["num_group"])}
        if not attrs["no_bias"]:
            wanted["bias"] = (attrs["num_filter"],)
        return {k: v for k, v in wanted.items() if shapes.get(k, 0) is None}

    return infer


# ---------------------------------------------------------------------------------------
# Convolution

def _conv_weight_shape(geo, channels, num_filter, num_group):
    return geo.to_layout((num_filter, channels // num_group, *geo.kernel))


_COMMON = dict(kernel=Required(tuple), stride=(), dilate=(), pad=())
# MXNet rejects these when it infers shapes; mxjax when the operator is created.
_BOUNDS = dict(kernel=1, stride=1, dilate=1, num_filter=1, num_group=1)
_CUDNN = dict(cudnn_tune=None, cudnn_off=False, layout=None)
_GRAPH = dict(conditional_inputs={"bias": unless_attr("no_bias")}, lists_input_names=True,
              bounds=_BOUNDS)


@register("Convolution", inputs=("data", "weight", "bias"),
          attrs=dict(_COMMON, num_filter=Required(int), num_group=1, workspace=1024,
                     no_bias=False, **_CUDNN),
          infer_params=_param_shapes("Convolution", _conv_weight_shape), **_GRAPH)
def convolution(data, weight, bias, *, kernel, stride, dilate, pad, num_filter, num_group,
                workspace, no_bias, cudnn_tune, cudnn_off, layout):
    """N-D convolution (cross-correlation) with optional groups, dilation and padding."""
    op = "Convolution"
    check_same_dtype(op, data, weight=weight, bias=None if no_bias else bias)
    geo = _geometry(op, data.shape, kernel, stride, dilate, pad, layout)
    channels = data.shape[geo.channel_axis]
    _check_groups(op, channels, num_filter, num_group)
    _check(op, "weight", weight, _conv_weight_shape(geo, channels, num_filter, num_group),
           data=data.shape, num_filter=num_filter, num_group=num_group)
    for size, k, p in zip(geo.spatial_sizes(data.shape), geo.dilated_kernel(), geo.pad):
        if k > size + 2 * p:
            raise shape_error(op, "data", data.shape, f"spatial sizes of at least the "
                              f"dilated kernel {geo.dilated_kernel()} after padding {geo.pad}")
    padding = [(p, p) for p in geo.pad]
    if len(geo.kernel) == 3 and any(s > 1 for s in geo.stride) and any(geo.pad):
        # XLA CPU (jax 0.10) aborts on the data gradient of a strided, padded 3-D
        # convolution with a non-cubic kernel; padding explicitly avoids that path.
        spatial = [i for i, c in enumerate(geo.layout) if c not in "NC"]
        widths = [(0, 0)] * data.ndim
        for axis, p in zip(spatial, geo.pad):
            widths[axis] = (p, p)
        data, padding = jnp.pad(data, widths), [(0, 0)] * 3
    out = conv_general(
        data, weight, window_strides=geo.stride, padding=padding, lhs_dilation=(1,) * len(padding),
        rhs_dilation=geo.dilate,
        dimension_numbers=(geo.layout, geo.weight_layout, geo.layout),
        feature_group_count=num_group, preferred_element_type=_accumulation(data))
    return _add_bias(op, out.astype(data.dtype), bias, no_bias, num_filter, geo)


# The first Convolution: the same arguments and results, its own name in graphs.
register("Convolution_v1", inputs=("data", "weight", "bias"),
         attrs=dict(_COMMON, num_filter=Required(int), num_group=1, workspace=1024, no_bias=False,
                    **_CUDNN),
         infer_params=_param_shapes("Convolution_v1", _conv_weight_shape),
         **_GRAPH)(convolution)


# ---------------------------------------------------------------------------------------
# Deconvolution

def _deconv_weight_shape(geo, channels, num_filter, num_group):
    return geo.to_layout((channels, num_filter // num_group, *geo.kernel))


def _deconv_pads(geo, sizes, adj, target_shape):
    """(pad, adj) per spatial dim; a nonzero ``target_shape`` overrides both (MXNet rule)."""
    if any(target_shape):
        if len(target_shape) != len(sizes):
            raise MXNetError(f"Deconvolution: target_shape {target_shape} must have "
                             f"{len(sizes)} entries")
        pads, adjs = [], []
        for size, s, k, t in zip(sizes, geo.stride, geo.dilated_kernel(), target_shape):
            total = s * (size - 1) + k - t
            if total < 0:
                raise MXNetError(f"Deconvolution: target_shape {target_shape} is too big "
                                 f"for input sizes {sizes}")
            pads.append((total + 1) // 2)
            adjs.append(total % 2)
        return tuple(pads), tuple(adjs)
    return geo.pad, _shape_attr(adj, len(sizes), 0)


@register("Deconvolution", inputs=("data", "weight", "bias"),
          attrs=dict(_COMMON, adj=(), target_shape=(), num_filter=Required(int), num_group=1,
                     workspace=512, no_bias=True, **_CUDNN),
          infer_params=_param_shapes("Deconvolution", _deconv_weight_shape), **_GRAPH)
def deconvolution(data, weight, bias, *, kernel, stride, dilate, pad, adj, target_shape,
                  num_filter, num_group, workspace, no_bias, cudnn_tune, cudnn_off, layout):
    """Transposed convolution: the gradient of Convolution with respect to its input."""
    op = "Deconvolution"
    check_same_dtype(op, data, weight=weight, bias=None if no_bias else bias)
    geo = _geometry(op, data.shape, kernel, stride, dilate, pad, layout)
    channels = data.shape[geo.channel_axis]
    _check_groups(op, channels, num_filter, num_group)
    _check(op, "weight", weight, _deconv_weight_shape(geo, channels, num_filter, num_group),
           data=data.shape, num_filter=num_filter, num_group=num_group)
    pads, adjs = _deconv_pads(geo, geo.spatial_sizes(data.shape), adj,
                              _shape_attr(target_shape, 0, 0))
    if any(a >= s for a, s in zip(adjs, geo.stride)):
        raise MXNetError(f"{op}: adj {adjs} must be smaller than stride {geo.stride}")
    # Regroup the (C_in, F/g, *k) weight into a (F, C_in/g, *k) kernel, flipped in space,
    # and run it over the input dilated by the stride.
    nd = len(geo.kernel)
    w = jnp.moveaxis(weight, -1, 1) if geo.channel_last else weight
    g = num_group
    w = w.reshape(g, channels // g, num_filter // g, *geo.kernel).swapaxes(1, 2)
    w = jnp.flip(w.reshape(num_filter, channels // g, *geo.kernel), tuple(range(2, 2 + nd)))
    padding = [(k - 1 - p, k - 1 - p + a)
               for k, p, a in zip(geo.dilated_kernel(), pads, adjs)]
    out = conv_general(
        data, w, window_strides=(1,) * nd, padding=padding, lhs_dilation=geo.stride,
        rhs_dilation=geo.dilate,
        dimension_numbers=(geo.layout, "OI" + _SPATIAL[nd], geo.layout),
        feature_group_count=g, preferred_element_type=_accumulation(data))
    return _add_bias(op, out.astype(data.dtype), bias, no_bias, num_filter, geo)


# ---------------------------------------------------------------------------------------
# im2col, col2im

def _im2col(data, geo):
    patches = lax.conv_general_dilated_patches(
        data, geo.kernel, geo.stride, [(p, p) for p in geo.pad], rhs_dilation=geo.dilate,
        precision=lax.Precision.HIGHEST)
    return patches.reshape(patches.shape[0], patches.shape[1], -1)


@register("im2col", attrs=dict(_COMMON), lists_input_names=True, bounds=_BOUNDS)
def im2col(data, *, kernel, stride, dilate, pad):
    """Sliding windows of (N, C, *spatial) data as columns: shape (N, C * prod(kernel), L),
    L the number of window positions; the column axis runs over C, then the kernel."""
    geo = _geometry("im2col", data.shape, kernel, stride, dilate, pad, None)
    return _im2col(data, geo)


@register("col2im", attrs=dict(output_size=Required(tuple), **_COMMON), lists_input_names=True,
          bounds=_BOUNDS)
def col2im(data, *, output_size, kernel, stride, dilate, pad):
    """The inverse layout of ``im2col``: columns (N, C * prod(kernel), L) summed back into
    an (N, C, *output_size) image (overlapping windows add up)."""
    output_size = _shape_attr(output_size, 0, 0)
    k = int(np.prod(_shape_attr(kernel, 0, 0)))
    if data.ndim != 3 or data.shape[1] % k:
        raise shape_error("col2im", "data", data.shape, f"(N, C * {k}, L)", kernel=kernel)
    image = (data.shape[0], data.shape[1] // k, *output_size)
    geo = _geometry("col2im", image, kernel, stride, dilate, pad, None)
    cols = jax.eval_shape(lambda x: _im2col(x, geo), jax.ShapeDtypeStruct(image, data.dtype))
    if cols.shape != data.shape:
        raise shape_error("col2im", "data", data.shape, cols.shape, output_size=output_size,
                          kernel=kernel)
    (out,) = jax.linear_transpose(lambda x: _im2col(x, geo),
                                  jax.ShapeDtypeStruct(image, data.dtype))(data)
    return out
