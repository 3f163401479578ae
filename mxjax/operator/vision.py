"""Spatial sampling and resizing of (N, C, H, W) images: UpSampling, Crop, GridGenerator,
BilinearSampler, SpatialTransformer, Correlation, and contrib BilinearResize2D and
AdaptiveAvgPooling2D."""

import jax.numpy as jnp
import numpy as np
from jax import lax

from ..base import MXNetError, shape_error
from .conv import deconvolution
from .spec import Required, register


def _check_4d(op, name, x):
    if x is None or x.ndim != 4:
        raise shape_error(op, name, None if x is None else x.shape, "(N, C, H, W)")


def _pair(value):
    value = (value,) if isinstance(value, int) else tuple(value or ())
    return value * 2 if len(value) == 1 else value


# ---------------------------------------------------------------------------------------
# UpSampling, Crop

def _nearest(x, scale_h, scale_w):
    return jnp.repeat(jnp.repeat(x, scale_h, axis=2), scale_w, axis=3)


def _upsampling_weight_shape(shapes, attrs):
    """Bilinear UpSampling's weight (the second input): (C, 1, k, k)."""
    data = shapes.get("data0")
    if attrs["sample_type"] != "bilinear" or data is None or shapes.get("data1"):
        return {}
    kernel = 2 * attrs["scale"] - attrs["scale"] % 2
    return {"data1": (data[1], 1, kernel, kernel)}


@register("UpSampling", inputs=("data",), variadic=True,
          attrs=dict(scale=Required(int, low=1), num_filter=0, sample_type=Required,
                     multi_input_mode="concat", workspace=512),
          infer_params=_upsampling_weight_shape, lists_input_names=True)
def upsampling(*data, scale, num_filter, sample_type, multi_input_mode, workspace):
    """Upsample by an integer ``scale``. ``'nearest'``: every input is repeated up to the
    first input's size times ``scale`` and the results are concatenated on channels (or
    summed); ``'bilinear'``: inputs (data, weight), a depthwise transposed convolution
    with the (C, 1, k, k) ``weight`` (k = 2 * scale - scale % 2)."""
    op = "UpSampling"
    if sample_type not in ("nearest", "bilinear"):
        raise MXNetError(f"{op}: invalid sample_type {sample_type!r}")
    if multi_input_mode not in ("concat", "sum"):
        raise MXNetError(f"{op}: invalid multi_input_mode {multi_input_mode!r}")
    if not data:
        raise MXNetError(f"{op}: at least one input is required")
    for i, x in enumerate(data):
        _check_4d(op, f"data[{i}]", x)
    if sample_type == "bilinear":
        if len(data) != 2:
            raise MXNetError(f"{op}: sample_type='bilinear' takes two inputs [data, weight], "
                             f"got {len(data)}")
        x, weight = data
        kernel = 2 * scale - scale % 2
        pad = int(np.ceil((scale - 1) / 2))
        return deconvolution(x, weight, None, kernel=(kernel, kernel), stride=(scale, scale),
                             dilate=(1, 1), pad=(pad, pad), adj=(), target_shape=(),
                             num_filter=num_filter, num_group=num_filter, workspace=workspace,
                             no_bias=True, cudnn_tune=None, cudnn_off=False, layout=None)
    out_h, out_w = data[0].shape[2] * scale, data[0].shape[3] * scale
    outs = []
    for i, x in enumerate(data):
        if out_h % x.shape[2] or out_w % x.shape[3]:
            raise shape_error(op, f"data[{i}]", x.shape, f"a size dividing ({out_h}, {out_w})")
        outs.append(_nearest(x, out_h // x.shape[2], out_w // x.shape[3]))
    if multi_input_mode == "sum":
        if any(o.shape != outs[0].shape for o in outs):
            raise MXNetError(f"{op}: multi_input_mode='sum' needs the same channel count in "
                             f"every input, got {[x.shape for x in data]}")
        return sum(outs[1:], outs[0])
    return jnp.concatenate(outs, axis=1)


@register("Crop", inputs=("data",), variadic=True,
          attrs=dict(offset=(0, 0), h_w=(0, 0), center_crop=False), lists_input_names=True)
def crop(*data, offset, h_w, center_crop):
    """Crop the H and W axes of ``data[0]`` to ``h_w`` or, given a second input, to that
    input's H and W; at ``offset`` or, with ``center_crop``, in the middle."""
    op = "Crop"
    if len(data) not in (1, 2):
        raise MXNetError(f"{op}: takes one or two inputs, got {len(data)}")
    x = data[0]
    _check_4d(op, "data", x)
    if len(data) == 2:
        _check_4d(op, "crop_like", data[1])
        h, w = data[1].shape[2:]
    else:
        h, w = _pair(h_w)
        if not (1 <= h <= x.shape[2] and 1 <= w <= x.shape[3]):
            raise MXNetError(f"{op}: h_w {(h, w)} must be between 1 and the data's height and "
                             f"width {x.shape[2:]}")
    if h > x.shape[2] or w > x.shape[3]:
        raise shape_error(op, "crop_like", (h, w), f"at most the data's {x.shape[2:]}")
    if center_crop:
        top, left = (x.shape[2] - h) // 2, (x.shape[3] - w) // 2
    else:
        top, left = _pair(offset)
        if not (0 <= top <= x.shape[2] - h and 0 <= left <= x.shape[3] - w):
            raise MXNetError(f"{op}: offset {(top, left)} leaves no room for a {(h, w)} crop "
                             f"of {x.shape[2:]}")
    return x[:, :, top:top + h, left:left + w]


# ---------------------------------------------------------------------------------------
# GridGenerator, BilinearSampler, SpatialTransformer

def _affine_grid(theta, height, width):
    """Sampling grid (N, 2, H, W) of x, y in [-1, 1] for (N, 6) affine parameters."""
    if height < 2 or width < 2:
        raise MXNetError(f"target_shape {(height, width)}: both sizes must be at least 2")
    i = np.arange(height * width)
    # float32 steps, as MXNet computes them in the data type
    xs = -1.0 + (i % width) * np.float32(2.0 / (width - 1))
    ys = -1.0 + (i // width) * np.float32(2.0 / (height - 1))
    dst = jnp.asarray(np.stack([xs, ys, np.ones_like(xs)]), theta.dtype)
    out = jnp.matmul(theta.reshape(-1, 2, 3), dst, precision=lax.Precision.HIGHEST)
    return out.reshape(theta.shape[0], 2, height, width)


@register("GridGenerator", attrs=dict(transform_type=Required, target_shape=(0, 0)),
          total_outputs=2, output_names=("output",), lists_input_names=True)
def grid_generator(data, *, transform_type, target_shape):
    """A sampling grid (N, 2, H, W) of x, y in [-1, 1]: from (N, 6) affine parameters
    (``'affine'``, H, W = ``target_shape``) or from an (N, 2, H, W) flow added to the
    identity grid (``'warp'``)."""
    op = "GridGenerator"
    if transform_type == "affine":
        if data.ndim != 2 or data.shape[1] != 6:
            raise shape_error(op, "data", data.shape, "(N, 6)")
        return _affine_grid(data, *_pair(target_shape))
    if transform_type == "warp":
        _check_4d(op, "data", data)
        if data.shape[1] != 2:
            raise shape_error(op, "data", data.shape, "(N, 2, H, W)")
        h, w = data.shape[2:]
        base = jnp.stack(jnp.meshgrid(jnp.arange(w), jnp.arange(h), indexing="xy"))
        half = jnp.asarray([(w - 1) / 2, (h - 1) / 2], data.dtype).reshape(1, 2, 1, 1)
        return (data + base.astype(data.dtype)) / half - 1
    raise MXNetError(f"{op}: invalid transform_type {transform_type!r}")


def _bilinear_sample(data, grid):
    """Sample (N, C, H, W) ``data`` at the (N, 2, h, w) grid; outside points count as 0."""
    n, c, height, width = data.shape
    x = (grid[:, 0] + 1) * (width - 1) / 2
    y = (grid[:, 1] + 1) * (height - 1) / 2
    x0, y0 = jnp.floor(x), jnp.floor(y)
    wx, wy = x - x0, y - y0
    x0, y0 = x0.astype(jnp.int32), y0.astype(jnp.int32)
    flat = data.reshape(n, c, height * width)
    out = 0
    for dy, fy in ((0, 1 - wy), (1, wy)):
        for dx, fx in ((0, 1 - wx), (1, wx)):
            xi, yi = x0 + dx, y0 + dy
            inside = (xi >= 0) & (xi < width) & (yi >= 0) & (yi < height)
            idx = (jnp.clip(yi, 0, height - 1) * width + jnp.clip(xi, 0, width - 1))
            values = jnp.take_along_axis(flat, idx.reshape(n, 1, -1), axis=2)
            weight = jnp.where(inside, fy * fx, 0).reshape(n, 1, -1)
            out = out + values * weight
    return out.reshape(n, c, *grid.shape[2:]).astype(data.dtype)


@register("BilinearSampler", inputs=("data", "grid"), attrs=dict(cudnn_off=None),
          total_outputs=2, output_names=("output",), lists_input_names=True)
def bilinear_sampler(data, grid, *, cudnn_off):
    """Bilinear samples of ``data`` (N, C, H, W) at ``grid`` (N, 2, h, w): x, y in [-1, 1]
    span the image; points outside it read 0."""
    _check_4d("BilinearSampler", "data", data)
    if grid is None or grid.ndim != 4 or grid.shape[:2] != (data.shape[0], 2):
        raise shape_error("BilinearSampler", "grid", None if grid is None else grid.shape,
                          f"({data.shape[0]}, 2, h, w)", data=data.shape)
    return _bilinear_sample(data, grid)


@register("SpatialTransformer", inputs=("data", "loc"),
          attrs=dict(target_shape=(0, 0), transform_type=Required, sampler_type=Required,
                     cudnn_off=None),
          total_outputs=3, output_names=("output",), lists_input_names=True)
def spatial_transformer(data, loc, *, target_shape, transform_type, sampler_type, cudnn_off):
    """Bilinear samples of ``data`` on the affine grid of ``loc`` (N, 6), of size
    ``target_shape``."""
    op = "SpatialTransformer"
    if transform_type != "affine" or sampler_type != "bilinear":
        raise MXNetError(f"{op}: only transform_type='affine' with sampler_type='bilinear' "
                         f"is supported, got {transform_type!r}, {sampler_type!r}")
    _check_4d(op, "data", data)
    if loc is None or loc.ndim != 2 or loc.shape != (data.shape[0], 6):
        raise shape_error(op, "loc", None if loc is None else loc.shape, (data.shape[0], 6))
    return _bilinear_sample(data, _affine_grid(loc, *_pair(target_shape)))


# ---------------------------------------------------------------------------------------
# Correlation

@register("Correlation", inputs=("data1", "data2"),
          attrs=dict(kernel_size=1, max_displacement=1, stride1=1, stride2=1, pad_size=0,
                     is_multiply=True),
          total_outputs=3, output_names=("output",), lists_input_names=True)
def correlation(data1, data2, *, kernel_size, max_displacement, stride1, stride2, pad_size,
                is_multiply):
    """FlowNet correlation of two (N, C, H, W) feature maps: for every displacement within
    ``max_displacement`` (step ``stride2``), the mean over a ``kernel_size`` window and the
    channels of ``data1 * shifted data2`` (or of ``|data1 - shifted data2|``)."""
    op = "Correlation"
    _check_4d(op, "data1", data1)
    if data2 is None or data2.shape != data1.shape:
        raise shape_error(op, "data2", None if data2 is None else data2.shape, data1.shape)
    n, c, h, w = data1.shape
    radius = (kernel_size - 1) // 2
    border = max_displacement + radius
    ph, pw = h + 2 * pad_size, w + 2 * pad_size
    top_h = int(np.ceil((ph - 2 * border) / stride1))
    top_w = int(np.ceil((pw - 2 * border) / stride1))
    if top_h < 1 or top_w < 1:
        raise shape_error(op, "data1", data1.shape, "a larger image for this kernel_size and "
                          "max_displacement", kernel_size=kernel_size,
                          max_displacement=max_displacement, pad_size=pad_size)
    grid_radius = max_displacement // stride2
    grid_width = 2 * grid_radius + 1
    pad = [(0, 0), (0, 0), (pad_size, pad_size), (pad_size, pad_size)]
    x1 = jnp.pad(data1, pad)
    # room for every displacement (MXNet reads within the padded map; the rest is zeros)
    extra = max_displacement + kernel_size
    x2 = jnp.pad(data2, [(0, 0), (0, 0), (pad_size + extra,) * 2, (pad_size + extra,) * 2])
    span_h = (top_h - 1) * stride1 + kernel_size
    span_w = (top_w - 1) * stride1 + kernel_size
    a = x1[:, :, max_displacement:max_displacement + span_h,
           max_displacement:max_displacement + span_w]

    def one_displacement(channel):
        dx = (channel % grid_width - grid_radius) * stride2
        dy = (channel // grid_width - grid_radius) * stride2
        top, left = max_displacement + dy + extra, max_displacement + dx + extra
        b = lax.dynamic_slice(x2, (0, 0, top, left), (n, c, span_h, span_w))
        if is_multiply:
            prod = a * b
        else:
            diff = a - b
            prod = jnp.where(diff >= 0, diff, -diff)  # MXNet: gradient sign(0) = +1
        summed = lax.reduce_window(jnp.sum(prod, axis=1), np.zeros((), prod.dtype), lax.add,
                                   (1, kernel_size, kernel_size), (1, stride1, stride1),
                                   "VALID")
        return summed[:, :top_h, :top_w]

    # one displacement at a time: small to compile and to hold in memory
    outs = lax.map(one_displacement, jnp.arange(grid_width * grid_width))
    outs = jnp.moveaxis(outs, 0, 1)
    return (outs / (kernel_size * kernel_size * c)).astype(data1.dtype)


# ---------------------------------------------------------------------------------------
# BilinearResize2D, AdaptiveAvgPooling2D

def _interp_matrix(in_size, out_size, align_corners):
    """(out, in) bilinear interpolation weights, computed in float32 as MXNet does."""
    m = np.zeros((out_size, in_size), np.float32)
    if in_size == out_size:
        return np.eye(in_size, dtype=np.float32)
    f32 = np.float32
    if out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1) if align_corners else \
            f32(in_size) / f32(out_size)
    else:
        scale = f32(0)
    for dst in range(out_size):
        if align_corners:
            src = scale * f32(dst)
        else:
            src = max(f32(float(scale) * (dst + 0.5) - 0.5), f32(0))
        lo = int(src)
        step = 1 if lo < in_size - 1 else 0
        frac = np.float32(src - lo)
        m[dst, lo] += np.float32(1) - frac
        m[dst, lo + step] += frac
    return m


_RESIZE_MODES = ("size", "odd_scale", "like", "to_even_down", "to_even_up", "to_odd_down",
                 "to_odd_up")


def _resize_shape(op, data, like, height, width, scale_height, scale_width, mode):
    h, w = data.shape[2:]
    if mode == "size":
        if scale_height is not None:
            # MXNet 1.9.1 reads scale_width whenever scale_height is given
            if scale_width is None:
                raise MXNetError(f"{op}: scale_height needs scale_width")
            return int(scale_height * h), int(scale_width * w)
        return height, width
    if mode == "odd_scale":
        if scale_height is None or scale_width is None:
            raise MXNetError(f"{op}: mode='odd_scale' needs scale_height and scale_width")
        return (int(h * scale_height) if h % 2 == 0 else int((h - 1) * scale_height) + 1,
                int(w * scale_width) if w % 2 == 0 else int((w - 1) * scale_width) + 1)
    if mode == "like":
        _check_4d(op, "like", like)
        return like.shape[2:]
    down, even = mode.endswith("down"), "even" in mode

    def fit(n):
        return n if (n % 2 == 0) == even else (n - 1 if down else n + 1)

    return fit(h), fit(w)


@register("_contrib_BilinearResize2D", inputs=("data", "like"),
          attrs=dict(height=1, width=1, scale_height=None, scale_width=None, mode="size",
                     align_corners=True),
          conditional_inputs={"like": lambda attrs: attrs["mode"] == "like"},
          lists_input_names=True)
def bilinear_resize_2d(data, like, *, height, width, scale_height, scale_width, mode,
                       align_corners):
    """Bilinear resize of the H and W axes of (N, C, H, W) data, to a size given by
    ``mode``: ``'size'`` (height/width, or scale_height/scale_width), ``'like'`` (the second
    input's), ``'odd_scale'``, ``'to_even_down'``, ``'to_even_up'``, ``'to_odd_down'``,
    ``'to_odd_up'``."""
    op = "BilinearResize2D"
    if mode not in _RESIZE_MODES:
        raise MXNetError(f"{op}: invalid mode {mode!r}")
    _check_4d(op, "data", data)
    out_h, out_w = _resize_shape(op, data, like, height, width, scale_height, scale_width,
                                 mode)
    if out_h < 1 or out_w < 1:
        raise MXNetError(f"{op}: output size {(out_h, out_w)} must be positive")
    rows = jnp.asarray(_interp_matrix(data.shape[2], out_h, align_corners), data.dtype)
    cols = jnp.asarray(_interp_matrix(data.shape[3], out_w, align_corners), data.dtype)
    return jnp.einsum("oh,nchw,pw->ncop", rows, data, cols, precision=lax.Precision.HIGHEST)


def _adaptive_matrix(in_size, out_size):
    """(out, in) averaging weights of the adaptive windows [floor(i*in/out),
    ceil((i+1)*in/out))."""
    m = np.zeros((out_size, in_size), np.float32)
    for i in range(out_size):
        start = int(np.floor(np.float32(i * in_size) / out_size))
        end = int(np.ceil(np.float32((i + 1) * in_size) / out_size))
        m[i, start:end] = 1.0 / (end - start)
    return m


@register("_contrib_AdaptiveAvgPooling2D", attrs=dict(output_size=()))
def adaptive_avg_pooling_2d(data, *, output_size):
    """Average pooling of (N, C, H, W) data to ``output_size`` (one size for both axes,
    or (h, w); (1, 1) by default) with windows adapted to the input size."""
    _check_4d("AdaptiveAvgPooling2D", "data", data)
    out_h, out_w = _pair(output_size) if output_size not in (None, ()) else (1, 1)
    rows = jnp.asarray(_adaptive_matrix(data.shape[2], out_h), data.dtype)
    cols = jnp.asarray(_adaptive_matrix(data.shape[3], out_w), data.dtype)
    return jnp.einsum("oh,nchw,pw->ncop", rows, data, cols, precision=lax.Precision.HIGHEST)


# ---------------------------------------------------------------------------------------
# ROIPooling, ROIAlign: rois are (R, 5) rows [batch index, x1, y1, x2, y2] in image
# coordinates, mapped onto the feature map by spatial_scale.

def _check_rois(op, data, rois, columns=(5,)):
    _check_4d(op, "data", data)
    if rois is None or rois.ndim != 2 or rois.shape[1] not in columns:
        raise shape_error(op, "rois", None if rois is None else rois.shape,
                          f"(R, {' or '.join(map(str, columns))})", data=data.shape)


def _first_max(values, axis):
    """Index of the first maximum along ``axis`` and the maximum."""
    return jnp.argmax(values, axis=axis), jnp.max(values, axis=axis)


def _roi_pool_one(data, roi, pooled, scale):
    n, c, height, width = data.shape
    ph_n, pw_n = pooled
    b = roi[0].astype(jnp.int32)
    start_w, start_h, end_w, end_h = (
        lax.round(roi[i] * scale, lax.RoundingMethod.AWAY_FROM_ZERO).astype(jnp.int32)
        for i in (1, 2, 3, 4))
    # malformed ROIs count as 1 x 1
    roi_h = jnp.maximum(end_h - start_h + 1, 1).astype(data.dtype)
    roi_w = jnp.maximum(end_w - start_w + 1, 1).astype(data.dtype)

    def bins(count, size, start, length):
        i = jnp.arange(count, dtype=data.dtype)
        lo = jnp.floor(i * (length / count)).astype(jnp.int32) + start
        hi = jnp.ceil((i + 1) * (length / count)).astype(jnp.int32) + start
        lo, hi = jnp.clip(lo, 0, size), jnp.clip(hi, 0, size)
        pos = jnp.arange(size)
        return (pos >= lo[:, None]) & (pos < hi[:, None]), hi > lo

    mask_h, full_h = bins(ph_n, height, start_h, roi_h)  # (PH, H)
    mask_w, full_w = bins(pw_n, width, start_w, roi_w)  # (PW, W)
    x = data[jnp.clip(b, 0, n - 1)]  # (C, H, W)
    lowest = jnp.asarray(-jnp.inf, data.dtype)
    # MXNet's gradient goes to the first maximum of each bin in row-major order: the
    # first column maximum within a row, then the first row.
    col, row_max = _first_max(jnp.where(mask_w[None, None], x[:, :, None, :], lowest), 3)
    row, _ = _first_max(jnp.where(mask_h[None, :, :, None], row_max[:, None], lowest), 2)
    col = jnp.take_along_axis(col, row, axis=1)  # (C, PH, PW)
    out = x[jnp.arange(c)[:, None, None], row, col]
    keep = full_h[:, None] & full_w[None, :] & (b >= 0) & (b < n)
    return jnp.where(keep[None], out, 0)


@register("ROIPooling", inputs=("data", "rois"),
          attrs=dict(pooled_size=Required, spatial_scale=Required),
          total_outputs=2, output_names=("output",), lists_input_names=True)
def roi_pooling(data, rois, *, pooled_size, spatial_scale):
    """Max pooling of each region of interest into a ``pooled_size`` grid of bins:
    (R, C, PH, PW). Coordinates are rounded to the feature map; empty bins give 0."""
    _check_rois("ROIPooling", data, rois)
    pooled = _pair(pooled_size)
    scale = np.float32(spatial_scale)
    rois = lax.stop_gradient(rois)  # MXNet: no gradient for the ROI coordinates
    return lax.map(lambda r: _roi_pool_one(data, r, pooled, scale), rois)


def _align_axis(start, bin_size, bins, grid, grid_max, size, dtype):
    """Bilinear weights (bins, size) of the sample points of each bin along one axis,
    summed over the bin's ``grid`` samples (``grid_max`` positions, the rest masked),
    with MXNet's boundary rules."""
    i = jnp.arange(bins, dtype=dtype)[:, None]
    k = jnp.arange(grid_max, dtype=dtype)[None, :]
    pos = start + i * bin_size + (k + 0.5) * bin_size / grid.astype(dtype)  # (bins, G)
    used = (k < grid) & (pos >= -1.0) & (pos <= size)
    pos = jnp.maximum(pos, 0)
    low = pos.astype(jnp.int32)
    at_edge = low >= size - 1
    low = jnp.where(at_edge, size - 1, low)
    high = jnp.where(at_edge, size - 1, low + 1)
    frac = jnp.where(at_edge, 0, pos - low.astype(dtype))
    cells = jnp.arange(size)
    weights = ((cells == low[..., None]) * (1 - frac)[..., None]
               + (cells == high[..., None]) * frac[..., None])
    return jnp.sum(jnp.where(used[..., None], weights, 0), axis=1)


def _roi_align_one(data, roi, pooled, scale, sample_ratio, aligned, position_sensitive,
                   grid_max):
    n, c, height, width = data.shape
    ph_n, pw_n = pooled
    if roi.shape[0] == 5:
        b, box = roi[0].astype(jnp.int32), roi[1:]
    else:
        b, box = jnp.int32(0), roi
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (box[i] * scale - offset for i in range(4))
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:  # malformed ROIs count as 1 x 1
        roi_w, roi_h = jnp.maximum(roi_w, 1.0), jnp.maximum(roi_h, 1.0)
    bin_h, bin_w = roi_h / ph_n, roi_w / pw_n
    if sample_ratio > 0:
        grid_h = grid_w = jnp.int32(sample_ratio)
    else:  # adaptive: as many samples as the bin is wide, capped at grid_max
        grid_h = jnp.minimum(jnp.ceil(roi_h / ph_n), grid_max[0]).astype(jnp.int32)
        grid_w = jnp.minimum(jnp.ceil(roi_w / pw_n), grid_max[1]).astype(jnp.int32)
    wy = _align_axis(y1, bin_h, ph_n, grid_h, grid_max[0], height, data.dtype)  # (PH, H)
    wx = _align_axis(x1, bin_w, pw_n, grid_w, grid_max[1], width, data.dtype)  # (PW, W)
    x = data[jnp.clip(b, 0, n - 1)]
    if position_sensitive:
        x = x.reshape(-1, ph_n, pw_n, height, width)
        out = jnp.einsum("ph,cpqhw,qw->cpq", wy, x, wx, precision=lax.Precision.HIGHEST)
    else:
        out = jnp.einsum("ph,chw,qw->cpq", wy, x, wx, precision=lax.Precision.HIGHEST)
    return out / (grid_h * grid_w).astype(data.dtype)


@register("_contrib_ROIAlign", inputs=("data", "rois"),
          attrs=dict(pooled_size=Required, spatial_scale=Required, sample_ratio=-1,
                     position_sensitive=False, aligned=False), lists_input_names=True)
def roi_align(data, rois, *, pooled_size, spatial_scale, sample_ratio, position_sensitive,
              aligned):
    """Average of bilinear samples in each bin of each region of interest: (R, C, PH, PW).

    ``rois`` rows are [batch index, x1, y1, x2, y2] (or [x1, y1, x2, y2] for batch 0).
    ``sample_ratio`` samples per bin side, or (<= 0) as many as the bin is wide; with
    ``position_sensitive`` each bin reads its own group of C / (PH * PW) channels;
    ``aligned`` shifts coordinates by half a pixel. Adaptive sampling takes at most
    ``ceil((size + 2) / bins)`` samples per bin side, enough for ROIs inside the map.
    """
    op = "ROIAlign"
    _check_rois(op, data, rois, (4, 5))
    pooled = _pair(pooled_size)
    if position_sensitive and data.shape[1] % (pooled[0] * pooled[1]):
        raise shape_error(op, "data", data.shape, f"channels divisible by {pooled}")
    if sample_ratio > 0:
        grid_max = (int(sample_ratio),) * 2
    else:
        grid_max = (-(-(data.shape[2] + 2) // pooled[0]), -(-(data.shape[3] + 2) // pooled[1]))
    scale = np.float32(spatial_scale)
    rois = lax.stop_gradient(rois)  # MXNet: no gradient for the ROI coordinates
    return lax.map(lambda r: _roi_align_one(data, r, pooled, scale, sample_ratio, aligned,
                                            position_sensitive, grid_max), rois)
