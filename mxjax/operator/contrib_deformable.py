"""Deformable convolutions: DeformableConvolution (v1) and ModulatedDeformableConvolution
(v2, with a modulation mask), 2-D and NCHW only, as in MXNet 1.9.1.

Every kernel tap samples the input at its regular position plus a learned offset, by
bilinear interpolation; the samples then go through a grouped matrix product with the
weight. Gradients come from JAX: the interpolation is written so that its derivative is
MXNet's backward (v1 sticks to the last row/column inside the map; v2 reads zeros past
the border).
"""

import jax.numpy as jnp
import numpy as np

from ..base import MXNetError, shape_error
from .spec import Required, register, unless_attr


def _pair(op, name, value, default):
    value = (value,) if isinstance(value, int) else tuple(value or ())
    if not value:
        return (default, default)
    if len(value) != 2:
        raise MXNetError(f"{op}: only 2-D kernels are implemented (MXNet 1.9.1 too); "
                         f"{name}={value}")
    return value


def _geometry(op, data, kernel, stride, dilate, pad, layout):
    if layout not in (None, "NCHW"):
        raise MXNetError(f"{op}: layout must be NCHW, got {layout!r}")
    kernel = _pair(op, "kernel", kernel, 0)
    stride, dilate, pad = (_pair(op, n, v, d) for n, v, d in
                           (("stride", stride, 1), ("dilate", dilate, 1), ("pad", pad, 0)))
    if data.ndim != 4:
        raise shape_error(op, "data", data.shape, "4-D (batch, channel, height, width)")
    out = tuple((size + 2 * p - (d * (k - 1) + 1)) // s + 1 for size, k, s, d, p in
                zip(data.shape[2:], kernel, stride, dilate, pad))
    if min(out) < 1:
        raise shape_error(op, "data", data.shape, f"spatial sizes of at least the dilated "
                          f"kernel {kernel} (dilate {dilate}) after padding {pad}")
    return kernel, stride, dilate, pad, out


def _weight_shape(channels, num_filter, num_group, kernel):
    return (num_filter, channels // num_group, *kernel)


def _param_shapes(shapes, attrs):
    """Deferred initialisation: weight (and bias) shapes from the data shape."""
    kernel = _pair("", "kernel", attrs["kernel"], 0)
    wanted = {"weight": _weight_shape(shapes["data"][1], attrs["num_filter"],
                                      attrs["num_group"], kernel)}
    if not attrs["no_bias"]:
        wanted["bias"] = (attrs["num_filter"],)
    return {k: v for k, v in wanted.items() if shapes.get(k, 0) is None}


def _sample(data, rows, cols, modulated):
    """Bilinear samples of ``data`` (N, G, Cg, H, W) at ``rows``/``cols`` (N, G, L),
    shared by the Cg channels of each deformable group -> (N, G, Cg, L)."""
    height, width = data.shape[-2:]
    flat = data.reshape(*data.shape[:3], height * width)
    r0, c0 = jnp.floor(rows), jnp.floor(cols)
    if modulated:
        # v2: corners past the border read 0; inside when -1 < position < size
        inside = (rows > -1) & (cols > -1) & (rows < height) & (cols < width)
        lr, lc = rows - r0, cols - c0
        r1, c1 = r0 + 1, c0 + 1
    else:
        # v1: inside when 0 <= position < size; the last row/column interpolates with itself
        inside = (rows >= 0) & (cols >= 0) & (rows < height) & (cols < width)
        last_r, last_c = r0 >= height - 1, c0 >= width - 1
        lr = jnp.where(last_r, 0, rows - r0)
        lc = jnp.where(last_c, 0, cols - c0)
        r1 = jnp.where(last_r, height - 1, r0 + 1)
        c1 = jnp.where(last_c, width - 1, c0 + 1)

    def corner(r, c):
        valid = inside & (r >= 0) & (r <= height - 1) & (c >= 0) & (c <= width - 1)
        index = (jnp.clip(r, 0, height - 1) * width + jnp.clip(c, 0, width - 1))
        values = jnp.take_along_axis(flat, index.astype(jnp.int32)[:, :, None], axis=-1)
        return jnp.where(valid[:, :, None], values, 0)

    hr, hc = 1 - lr, 1 - lc
    w = [(hr * hc), (hr * lc), (lr * hc), (lr * lc)]
    v = [corner(r0, c0), corner(r0, c1), corner(r1, c0), corner(r1, c1)]
    out = sum(wi[:, :, None] * vi for wi, vi in zip(w, v))
    return jnp.where(inside[:, :, None], out, 0)


def _deformable_conv(op, data, offset, mask, weight, bias, *, kernel, stride, dilate, pad,
                     num_filter, num_group, num_deformable_group, no_bias, layout):
    kernel, stride, dilate, pad, (ho, wo) = _geometry(op, data, kernel, stride, dilate, pad,
                                                      layout)
    n, c, height, width = data.shape
    dg, taps = num_deformable_group, kernel[0] * kernel[1]
    if num_group < 1 or c % num_group or num_filter % num_group:
        raise MXNetError(f"{op}: num_group={num_group} must divide the input channels ({c}) "
                         f"and num_filter ({num_filter})")
    if dg < 1 or c % dg:
        raise MXNetError(f"{op}: num_deformable_group={dg} must divide the input channels "
                         f"({c})")
    expected = {"offset": (n, 2 * dg * taps, ho, wo),
                "weight": _weight_shape(c, num_filter, num_group, kernel)}
    if mask is not None:
        expected["mask"] = (n, dg * taps, ho, wo)
    for name, array in (("offset", offset), ("mask", mask), ("weight", weight)):
        if name in expected and tuple(array.shape) != expected[name]:
            raise shape_error(op, name, array.shape, expected[name], data=data.shape,
                              kernel=kernel, num_deformable_group=dg)
    # regular sampling positions of every tap at every output position: (taps, ho*wo)
    i, j = np.meshgrid(np.arange(kernel[0]), np.arange(kernel[1]), indexing="ij")
    oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    base_r = (oy.reshape(1, -1) * stride[0] - pad[0] + i.reshape(-1, 1) * dilate[0])
    base_c = (ox.reshape(1, -1) * stride[1] - pad[1] + j.reshape(-1, 1) * dilate[1])
    off = offset.reshape(n, dg, taps, 2, ho * wo)
    rows = (off[:, :, :, 0] + base_r.astype(data.dtype)).reshape(n, dg, -1)
    cols = (off[:, :, :, 1] + base_c.astype(data.dtype)).reshape(n, dg, -1)
    grouped = data.reshape(n, dg, c // dg, height, width)
    columns = _sample(grouped, rows, cols, mask is not None)          # (n, dg, c/dg, L)
    columns = columns.reshape(n, dg, c // dg, taps, ho * wo)
    if mask is not None:
        columns = columns * mask.reshape(n, dg, 1, taps, ho * wo)
    columns = columns.reshape(n, num_group, c // num_group, taps, ho * wo)
    w = weight.reshape(num_group, num_filter // num_group, c // num_group, taps)
    out = jnp.einsum("ngckl,gfck->ngfl", columns, w).reshape(n, num_filter, ho, wo)
    if not no_bias:
        if bias is None or tuple(bias.shape) != (num_filter,):
            raise shape_error(op, "bias", None if bias is None else bias.shape,
                              (num_filter,))
        out = out + bias.reshape(1, -1, 1, 1)
    return out.astype(data.dtype)


_ATTRS = dict(kernel=Required, stride=(), dilate=(), pad=(), num_filter=Required,
              num_group=1, num_deformable_group=1, workspace=1024, no_bias=False)


@register("_contrib_DeformableConvolution", inputs=("data", "offset", "weight", "bias"),
          attrs=dict(_ATTRS, layout=None), infer_params=_param_shapes,
          conditional_inputs={"bias": unless_attr("no_bias")}, lists_input_names=True)
def deformable_convolution(data, offset, weight, bias, *, workspace, **attrs):
    """Deformable convolution (Dai et al. 2017): each kernel tap samples ``data`` at its
    position plus ``offset`` (N, 2*num_deformable_group*kh*kw, Ho, Wo; (dy, dx) pairs per
    tap), bilinearly; samples outside the map are 0."""
    return _deformable_conv("DeformableConvolution", data, offset, None, weight, bias,
                            **attrs)


@register("_contrib_ModulatedDeformableConvolution",
          inputs=("data", "offset", "mask", "weight", "bias"),
          attrs=dict(_ATTRS, im2col_step=64, layout=None), infer_params=_param_shapes,
          conditional_inputs={"bias": unless_attr("no_bias")})
def modulated_deformable_convolution(data, offset, mask, weight, bias, *, workspace,
                                     im2col_step, **attrs):
    """Modulated deformable convolution (DCNv2): DeformableConvolution whose samples are
    scaled by ``mask`` (N, num_deformable_group*kh*kw, Ho, Wo).

    MXNet 1.9.1 computes its gradient only on GPU; mxjax computes it everywhere."""
    if data.shape[0] > im2col_step and data.shape[0] % im2col_step:
        raise MXNetError(f"ModulatedDeformableConvolution: batch size {data.shape[0]} must "
                         f"be at most or a multiple of im2col_step={im2col_step}")
    if attrs["num_filter"] % attrs["num_deformable_group"]:
        raise MXNetError("ModulatedDeformableConvolution: num_deformable_group must divide "
                         f"num_filter ({attrs['num_filter']})")
    return _deformable_conv("ModulatedDeformableConvolution", data, offset, mask, weight,
                            bias, **attrs)
